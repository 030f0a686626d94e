#pragma once

#include <string>
#include <string_view>

/// HTML ↔ plain text for product descriptions (the ERP's `Description` is
/// HTML, the shop's `description` plain text).
namespace ferry::mapping {

/// The text a reader sees in `html`, parsed with libxml2's HTML parser
/// (which recovers from broken markup): entities decoded, tags stripped,
/// `<script>`/`<style>`/`<head>` content dropped, runs of whitespace
/// collapsed to one space, block elements (p, div, li, h1–h6, tr, …) on
/// lines of their own, `<br>` a line break. Lines are trimmed; never more
/// than one empty line in a row, none at the start or end. Input that is
/// not valid UTF-8 has its bad bytes replaced by U+FFFD. The noncharacters
/// U+FFFE and U+FFFF, which HTML does not allow, are dropped.
std::string html_to_text(std::string_view html);

/// Plain text as HTML that `html_to_text` turns back into the same text
/// (for text that is already in that normal form): `&`, `<`, `>` and `"`
/// escaped, line breaks as `<br>`.
std::string text_to_html(std::string_view text);

} // namespace ferry::mapping
