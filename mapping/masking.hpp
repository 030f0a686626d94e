#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

/// The one place that decides how personal data and secrets look in logs,
/// the sync log and the audit trail. Pure functions; UTF-8 aware (a masked
/// character is one code point, shown as one `*`).
namespace ferry::mapping {

/// What a field holds, judged by its name (case, `_` and `-` ignored).
enum class field_kind {
  /// Nothing to hide.
  plain,
  /// An e-mail address: `email`, `customer_email`, `contactEmail`, ...
  email,
  /// A person's name: `name`, `first_name`, `lastname`, `fullName`, ...
  name,
  /// A phone number: `phone`, `telephone`, `mobile`, `fax`, ...
  phone,
  /// A postal address or part of one: `address`, `street`, `address_line1`,
  /// `billing_address` (a nested object is masked as a whole), ...
  address,
  /// A secret (see `is_secret_key`); shown as `***` only.
  secret,
};

/// Whether the field named `key` holds a secret: the one test used by the
/// logger and by the config's redaction. True for names containing password,
/// passwd, secret, token, authorization, apikey, credential, cookie,
/// signingkey or privatekey (case, `_`, `-` and `.` ignored), unless what
/// follows the secret word says the field describes the secret rather than
/// holding it: `token_ttl`, `token_type`, `token_url`, `secret_file`, ...
/// Anything else after it (`secret_sha256`, `password_digest`) stays secret.
bool is_secret_key(std::string_view key);

/// The kind of the field named `key`.
field_kind classify_field(std::string_view key);

/// `ann@example.com` → `a***@example.com`; the domain stays readable. Text
/// without exactly one `@` is masked as a whole (`***`).
std::string mask_email(std::string_view email);

/// Each word keeps its first letter: `Ann Lee` → `A** L**`.
std::string mask_name(std::string_view name);

/// Every digit but the last two becomes `*`; separators stay:
/// `+49 170 1234567` → `+** *** *****67`.
std::string mask_phone(std::string_view phone);

/// Each word keeps its first letter, every digit becomes `*`:
/// `Main St 12, 10115 Berlin` → `M*** S* **, ***** B*****`.
std::string mask_address(std::string_view address);

/// Free text (log messages, errors): every e-mail address in it is masked
/// with `mask_email`; the rest is unchanged.
std::string mask_text(std::string_view text);

/// The value of a field named `key`, masked by its kind; strings of plain
/// fields still pass through `mask_text`.
nlohmann::json mask_field(std::string_view key, const nlohmann::json& value);

/// A copy of `doc` with every personal or secret field masked by key, at any
/// depth of objects and arrays. Nested values under a personal key (an
/// address object, a list of phones) are masked as that kind. The keys of a
/// `field_owner` object are catalog field names, not personal fields.
nlohmann::json mask_json(const nlohmann::json& doc);

/// A copy of `doc` with only the values under secret keys (`is_secret_key`)
/// replaced by `***`, at any depth; an empty string stays empty, so an unset
/// secret still shows as unset. Personal data is left alone.
nlohmann::json hide_secrets(const nlohmann::json& doc);

} // namespace ferry::mapping
