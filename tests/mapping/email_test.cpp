#include "mapping/email.hpp"

#include <gtest/gtest.h>

namespace {

TEST(NormalizeEmail, TrimsAndLowerCases) {
  EXPECT_EQ(ferry::normalize_email("  Ann.Lee@Example.COM \t"),
            "ann.lee@example.com");
  EXPECT_EQ(ferry::normalize_email("x@y.z"), "x@y.z");
  EXPECT_EQ(ferry::normalize_email("   "), "");
}

TEST(NormalizeEmail, LeavesNonAsciiBytesAlone) {
  EXPECT_EQ(ferry::normalize_email("J\xC3\x96RG@EXAMPLE.COM"),
            "j\xC3\x96rg@example.com");
}

struct email_case {
  const char* email;
  const char* problem; // nullptr: valid
};

TEST(EmailProblem, NamesWhatIsWrong) {
  const email_case cases[] = {
      {"ann@example.com", nullptr},
      {"a.b+tag@mail.example.co.uk", nullptr},
      {"o'brien@example.ie", nullptr},
      {"", "email is missing"},
      {"ann.example.com", "email has no '@'"},
      {"a@b@example.com", "email has more than one '@'"},
      {"@example.com", "email has nothing before the '@'"},
      {"ann@localhost", "email's domain has no '.'"},
      {"ann@-bad.com", "email's domain is not a valid host name"},
      {"ann@bad..com", "email's domain is not a valid host name"},
      {"ann@exa_mple.com", "email's domain is not a valid host name"},
      {"ann lee@example.com",
       "email has a space or a character not allowed before the '@'"},
      {".ann@example.com", "email's part before the '@' has a misplaced '.'"},
      {"an..n@example.com", "email's part before the '@' has a misplaced '.'"},
  };
  for (const auto& c : cases) {
    auto problem = ferry::email_problem(c.email);
    if (c.problem == nullptr)
      EXPECT_FALSE(problem) << c.email << ": " << *problem;
    else
      EXPECT_EQ(problem.value_or("<valid>"), c.problem) << c.email;
  }
}

TEST(EmailProblem, LimitsLengths) {
  std::string local(65, 'a');
  EXPECT_EQ(ferry::email_problem(local + "@example.com").value_or(""),
            "email's part before the '@' is longer than 64 characters");
  std::string domain(250, 'b');
  EXPECT_EQ(ferry::email_problem("a@" + domain + ".com").value_or(""),
            "email is longer than 254 characters");
}

} // namespace
