// Description HTML → plain text, table-driven.
#include "mapping/html_text.hpp"

#include <gtest/gtest.h>

using ferry::mapping::html_to_text;
using ferry::mapping::text_to_html;

namespace {

struct html_case {
  const char* name;
  const char* html;
  const char* text;
};

const html_case html_cases[] = {
    {"empty", "", ""},
    {"only whitespace", "  \n\t ", ""},
    {"plain text stays", "A sturdy mug", "A sturdy mug"},
    {"tags stripped", "<b>Bold</b> and <i>italic</i>", "Bold and italic"},
    {"entities decoded",
     "Fish &amp; chips &lt;3 &quot;hot&quot; &#8364;5 &euro;",
     "Fish & chips <3 \"hot\" \u20AC5 \u20AC"},
    {"nbsp kept as a character", "a&nbsp;b", "a\u00A0b"},
    {"whitespace collapsed", "  lots \n\n of \t  space  ", "lots of space"},
    {"paragraphs on their own lines", "<p>One</p><p>Two</p>", "One\nTwo"},
    {"br is a line break", "line 1<br>line 2<br/>line 3",
     "line 1\nline 2\nline 3"},
    {"two br leave one empty line", "a<br><br>b", "a\n\nb"},
    {"many br leave at most one empty line", "a<br><br><br><br>b", "a\n\nb"},
    {"script dropped", "Before<script>alert('x<b>')</script>After",
     "BeforeAfter"},
    {"style dropped", "<style>p{color:red}</style><p>Shown</p>", "Shown"},
    {"comments dropped", "a<!-- hidden -->b", "ab"},
    {"nested lists one item a line",
     "<ul><li>Cups<ul><li>Small</li><li>Large <b>XL</b></li></ul></li>"
     "<li>Plates</li></ul>",
     "Cups\nSmall\nLarge XL\nPlates"},
    {"headings and divs", "<h2>Title</h2><div>Body <span>text</span></div>",
     "Title\nBody text"},
    {"table rows and cells", "<table><tr><td>a</td><td>b</td></tr></table>",
     "a\nb"},
    {"broken markup recovered", "<p>Unclosed <b>bold<p>next",
     "Unclosed bold\nnext"},
    {"utf-8 text kept", "<p>日本語 😀 Müller</p>", "日本語 😀 Müller"},
    {"full document",
     "<html><head><title>T</title></head><body><p>x</p></body></html>", "x"},
    {"inline whitespace between tags", "<span>a</span> <span>b</span>", "a b"},
    {"each byte of a cut sequence becomes U+FFFD", "<p>ab\xE4\xB8</p>",
     "ab\uFFFD\uFFFD"},
    {"a stray byte becomes U+FFFD",
     "a\x80"
     "b \xFF",
     "a\uFFFD"
     "b \uFFFD"},
    {"a surrogate's bytes become U+FFFD", "a\xED\xA0\x80z",
     "a\uFFFD\uFFFD\uFFFDz"},
    {"noncharacters HTML does not allow dropped", "a\uFFFF\uFFFEb", "ab"},
};

class html_to_text_table : public ::testing::TestWithParam<html_case> {};

} // namespace

TEST_P(html_to_text_table, gives_the_visible_text) {
  const auto& c = GetParam();
  EXPECT_EQ(html_to_text(c.html), c.text) << c.name << ": " << c.html;
}

INSTANTIATE_TEST_SUITE_P(cases, html_to_text_table,
                         ::testing::ValuesIn(html_cases), [](const auto& info) {
                           std::string name = info.param.name;
                           for (auto& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           return name;
                         });

TEST(text_to_html, round_trips_through_html_to_text) {
  for (const char* text : {"plain", "Fish & chips <3 \"hot\"", "line 1\nline 2",
                           "a\n\nb", "<script>not code</script>", "日本語 😀",
                           // The parser takes a leading U+FEFF for a BOM.
                           "\uFEFFzero width no-break space first"}) {
    EXPECT_EQ(html_to_text(text_to_html(text)), text) << text;
  }
  EXPECT_EQ(text_to_html("a<b>&\nc"), "a&lt;b&gt;&amp;<br>c");
}
