#include "mapping/masking.hpp"

#include <gtest/gtest.h>

using namespace ferry::mapping;
using nlohmann::json;

namespace {

struct text_case {
  const char* input;
  const char* expected;
};

} // namespace

TEST(masking, emails_keep_first_letter_and_domain) {
  const text_case cases[] = {
      {"ann@example.com", "a***@example.com"},
      {"a@example.com", "a***@example.com"},
      {"Ann.Lee+shop@mail.example.org", "A***@mail.example.org"},
      {"élodie@example.fr", "é***@example.fr"},
      {"@example.com", "***@example.com"},
      {"no-at-sign", "***"},
      {"two@at@signs", "***"},
      {"trailing@", "***"},
      {"", "***"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(mask_email(c.input), c.expected) << c.input;
}

TEST(masking, names_keep_the_first_letter_of_each_word) {
  const text_case cases[] = {
      {"Ann Lee", "A** L**"},
      {"Ann", "A**"},
      {"J", "J"},
      {"Jean-Luc Picard", "J***-L** P*****"},
      {"Jörg Müller", "J*** M*****"},
      {"O'Brien", "O'B****"},
      {"  Ann  ", "  A**  "},
      {"", ""},
  };
  for (const auto& c : cases)
    EXPECT_EQ(mask_name(c.input), c.expected) << c.input;
}

TEST(masking, phones_keep_the_last_two_digits) {
  const text_case cases[] = {
      {"+49 170 1234567", "+** *** *****67"},
      {"0301234", "*****34"},
      {"(030) 12-34", "(***) **-34"},
      {"12", "12"},
      {"7", "7"},
      {"", ""},
  };
  for (const auto& c : cases)
    EXPECT_EQ(mask_phone(c.input), c.expected) << c.input;
}

TEST(masking, addresses_hide_digits_and_all_but_first_letters) {
  const text_case cases[] = {
      {"Main St 12, 10115 Berlin", "M*** S* **, ***** B*****"},
      {"Hauptstraße 5", "H********** *"},
      {"Apt. 4B", "A**. **"},
      {"", ""},
  };
  for (const auto& c : cases)
    EXPECT_EQ(mask_address(c.input), c.expected) << c.input;
}

TEST(masking, free_text_masks_only_email_addresses) {
  const text_case cases[] = {
      {"customer ann@example.com not found",
       "customer a***@example.com not found"},
      {"mail to bob@example.com.", "mail to b***@example.com."},
      {"<ann@example.com>, bob@x.org", "<a***@example.com>, b***@x.org"},
      {"order 1001 failed: sku missing", "order 1001 failed: sku missing"},
      {"user@localhost stays", "user@localhost stays"},
      {"from o'neil@example.com today", "from o***@example.com today"},
      {"ann!lee#1@example.com", "a***@example.com"},
      {"see {ann}=lee@x.org", "see {***@x.org"},
      {"@ alone", "@ alone"},
      {"", ""},
  };
  for (const auto& c : cases)
    EXPECT_EQ(mask_text(c.input), c.expected) << c.input;
}

TEST(masking, field_names_are_classified_ignoring_case_and_separators) {
  struct kind_case {
    const char* key;
    field_kind expected;
  };
  const kind_case cases[] = {
      {"email", field_kind::email},
      {"customer_email", field_kind::email},
      {"contactEmail", field_kind::email},
      {"E-Mail", field_kind::email},
      {"name", field_kind::name},
      {"first_name", field_kind::name},
      {"firstname", field_kind::name},
      {"lastName", field_kind::name},
      {"billing_last_name", field_kind::name},
      {"surname", field_kind::name},
      {"phone", field_kind::phone},
      {"telephone", field_kind::phone},
      {"mobile_phone", field_kind::phone},
      {"fax", field_kind::phone},
      {"address", field_kind::address},
      {"billing_address", field_kind::address},
      {"street", field_kind::address},
      {"address_line1", field_kind::address},
      {"password", field_kind::secret},
      {"client_secret", field_kind::secret},
      {"access_token", field_kind::secret},
      {"Authorization", field_kind::secret},
      {"api_key", field_kind::secret},
      {"sku", field_kind::plain},
      {"order_id", field_kind::plain},
      {"total", field_kind::plain},
      {"key", field_kind::plain},
  };
  for (const auto& c : cases)
    EXPECT_EQ(classify_field(c.key), c.expected) << c.key;
}

TEST(masking, json_is_masked_by_key_at_any_depth) {
  auto doc = json::parse(R"({
    "id": 1001,
    "sku": "SKU-1",
    "note": "call ann@example.com",
    "customer": {
      "email": "ann@example.com",
      "first_name": "Ann",
      "last_name": "Lee",
      "phone": "+49 170 1234567",
      "billing_address": {"street": "Main St 12", "city": "Berlin",
                          "zip": "10115"},
      "phones": ["0301234", null]
    },
    "lines": [{"sku": "A", "qty": 2, "name": "Ann Lee"}],
    "auth": {"access_token": "abc", "password": "pw"},
    "mobile": 491701234567,
    "vip": true
  })");
  auto expected = json::parse(R"({
    "id": 1001,
    "sku": "SKU-1",
    "note": "call a***@example.com",
    "customer": {
      "email": "a***@example.com",
      "first_name": "A**",
      "last_name": "L**",
      "phone": "+** *** *****67",
      "billing_address": {"street": "M*** S* **", "city": "B*****",
                          "zip": "*****"},
      "phones": ["*****34", null]
    },
    "lines": [{"sku": "A", "qty": 2, "name": "A** L**"}],
    "auth": {"access_token": "***", "password": "***"},
    "mobile": "**********67",
    "vip": true
  })");
  EXPECT_EQ(mask_json(doc), expected) << mask_json(doc).dump(2);
}

TEST(masking, json_without_personal_data_is_unchanged) {
  auto doc = json::parse(R"({"sku":"A","qty":[1,2],"price":{"minor":1999}})");
  EXPECT_EQ(mask_json(doc), doc);
  EXPECT_EQ(mask_json(json()), json());
  EXPECT_EQ(mask_json(json("plain text")), json("plain text"));
}

TEST(masking, secret_fields_hide_even_structured_values) {
  EXPECT_EQ(mask_field("credentials", json{{"user", "u"}, {"pw", "p"}}),
            json("***"));
  EXPECT_EQ(mask_field("token", json(12345)), json("***"));
  EXPECT_EQ(mask_field("password", json()), json());
}

// One test decides what is secret, for the logger and the config's
// redaction alike; a field that only describes a secret stays readable.
TEST(masking, secret_keys_hold_secrets_not_facts_about_them) {
  for (const char* key :
       {"password", "db_password", "password_digest", "client_secret",
        "webhook_secrets", "secret_sha256", "access_token", "refresh-token",
        "Authorization", "api_key", "x-api-key", "credentials", "Set-Cookie",
        "signing_key", "private_key"})
    EXPECT_TRUE(is_secret_key(key)) << key;
  for (const char* key :
       {"token_ttl", "token_type", "tokenUrl", "token_endpoint",
        "token_expires_in", "password_file", "webhook_secret_file", "key",
        "tls_key_file", "key_prefix", "name", "sku"})
    EXPECT_FALSE(is_secret_key(key)) << key;
}

TEST(masking, hide_secrets_leaves_personal_data_and_unset_secrets_alone) {
  auto doc = json::parse(R"({
    "smtp": {"password": "pw", "from": "ferry@example.com"},
    "shop": {"client_secret": "", "webhook_secrets": ["a", "b"]},
    "api": {"token_ttl": "1h", "clients": [{"id": "c", "secret_sha256": "ab"}]}
  })");
  auto expected = json::parse(R"({
    "smtp": {"password": "***", "from": "ferry@example.com"},
    "shop": {"client_secret": "", "webhook_secrets": ["***", "***"]},
    "api": {"token_ttl": "1h", "clients": [{"id": "c", "secret_sha256": "***"}]}
  })");
  EXPECT_EQ(hide_secrets(doc), expected);
}

TEST(masking, field_owner_keys_are_field_names_not_names_of_people) {
  auto doc = json::parse(R"({
    "catalog": {"field_owner": {"name": "erp", "price": "erp"}},
    "customer": {"name": "Ann Lee"}
  })");
  auto masked = mask_json(doc);
  EXPECT_EQ(masked["catalog"]["field_owner"]["name"], "erp");
  EXPECT_EQ(masked["customer"]["name"], "A** L**");
}
