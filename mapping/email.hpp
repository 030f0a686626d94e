#pragma once

#include <optional>
#include <string>
#include <string_view>

/// E-mail addresses as both systems key customers by them: compared
/// case-insensitively, so Ferry looks customers up by one normal form.
namespace ferry {

/// Trimmed of ASCII whitespace and lower-cased (ASCII only: the local part
/// of an address in either system is ASCII, and lower-casing other scripts
/// would need a locale). "  Ann.Lee@Example.COM " → "ann.lee@example.com".
std::string normalize_email(std::string_view email);

/// Why `email` is not a usable address, or nothing when it is. Checks what
/// the shop and the ERP reject: one '@', a non-empty local part of at most
/// 64 characters, a domain with a dot, labels of letters, digits and '-'
/// not starting or ending with '-', no spaces or control characters, at
/// most 254 characters in all. The reason never quotes the address (it is
/// personal data).
std::optional<std::string> email_problem(std::string_view email);

} // namespace ferry
