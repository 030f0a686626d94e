#include "mapping/html_text.hpp"

#include "mapping/utf8.hpp"

#include <cstring>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <memory>
#include <string_view>

namespace ferry::mapping {

namespace {

bool is_one_of(const xmlChar* name, std::initializer_list<const char*> names) {
  for (const char* candidate : names)
    if (xmlStrcasecmp(name, reinterpret_cast<const xmlChar*>(candidate)) == 0)
      return true;
  return false;
}

bool is_dropped(const xmlChar* name) {
  return is_one_of(name, {"script", "style", "head", "title", "template",
                          "noscript", "iframe", "object"});
}

bool is_block(const xmlChar* name) {
  return is_one_of(name,
                   {"address",  "article",    "aside",  "blockquote", "body",
                    "caption",  "dd",         "div",    "dl",         "dt",
                    "fieldset", "figcaption", "figure", "footer",     "form",
                    "h1",       "h2",         "h3",     "h4",         "h5",
                    "h6",       "header",     "hr",     "html",       "li",
                    "main",     "nav",        "ol",     "p",          "pre",
                    "section",  "table",      "tbody",  "td",         "tfoot",
                    "th",       "thead",      "tr",     "ul"});
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

/// Collects text with collapsed whitespace and explicit line breaks.
class text_writer {
public:
  void text(std::string_view chunk) {
    for (char c : chunk) {
      if (is_space(c)) {
        pending_space_ = true;
        continue;
      }
      // U+00A0 (no-break space, from &nbsp;) counts as text: it is kept.
      if (pending_space_ && !at_line_start())
        out_ += ' ';
      pending_space_ = false;
      out_ += c;
    }
  }

  /// A block boundary: the next text starts on a new line.
  void soft_break() {
    pending_space_ = false;
    if (!at_line_start())
      out_ += '\n';
  }

  /// `<br>`: always a line break (two in a row leave an empty line).
  void hard_break() {
    pending_space_ = false;
    out_ += '\n';
  }

  std::string finish() {
    // At most one empty line in a row, none at either end.
    std::string result;
    std::size_t newlines = 0;
    for (char c : out_) {
      if (c == '\n') {
        ++newlines;
        continue;
      }
      if (!result.empty())
        result.append(newlines > 1 ? 2 : newlines, '\n');
      newlines = 0;
      result += c;
    }
    return result;
  }

private:
  bool at_line_start() const { return out_.empty() || out_.back() == '\n'; }

  std::string out_;
  bool pending_space_ = false;
};

void walk(const xmlNode* node, text_writer& out) {
  for (; node != nullptr; node = node->next) {
    switch (node->type) {
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE:
        if (node->content != nullptr)
          out.text(reinterpret_cast<const char*>(node->content));
        break;
      case XML_ELEMENT_NODE:
        if (is_dropped(node->name))
          break;
        if (is_one_of(node->name, {"br"})) {
          out.hard_break();
          break;
        }
        if (is_block(node->name)) {
          out.soft_break();
          walk(node->children, out);
          out.soft_break();
        } else {
          walk(node->children, out);
        }
        break;
      default:
        break; // comments, processing instructions, DTD
    }
  }
}

struct doc_deleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};

} // namespace

std::string html_to_text(std::string_view html) {
  if (html.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return {};
  // libxml2 copies some bytes that are not UTF-8 (a sequence cut short, a
  // stray continuation byte) into its text nodes as they are.
  auto input = replace_invalid_utf8(html);
  std::unique_ptr<xmlDoc, doc_deleter> doc(htmlReadMemory(
      input.data(), static_cast<int>(input.size()), nullptr, "UTF-8",
      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
          HTML_PARSE_NONET));
  if (!doc)
    return {};
  text_writer out;
  walk(doc->children, out);
  return out.finish();
}

std::string text_to_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  // The parser drops a U+FEFF at the very start as a byte order mark.
  static constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (text.substr(0, bom.size()) == bom) {
    out += "&#xFEFF;";
    text.remove_prefix(bom.size());
  }
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += "<br>";
        break;
      default:
        out += c;
    }
  }
  return out;
}

} // namespace ferry::mapping
