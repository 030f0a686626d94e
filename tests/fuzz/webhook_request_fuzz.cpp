// Fuzzes the webhook path up to the inbox commit
// (actors/webhook_intake.hpp: check_shop_webhook): size limit, HMAC over the
// raw body (with both rotation secrets), event id and topic validation and
// JSON parsing, plus the codecs under them. Half of the inputs carry a
// correct signature so that the fuzzer gets past the HMAC check into JSON.
#include "actors/webhook_intake.hpp"
#include "protocols/http/codec.hpp"
#include "protocols/webhook_signature.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>
#include <string>

using namespace ferry;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  FuzzedDataProvider in{data, size};
  static const webhook_intake_settings settings = [] {
    webhook_intake_settings s;
    s.secrets = {"current-secret", "previous-secret"};
    s.max_body_bytes = 4096;
    return s;
  }();
  auto mode = in.ConsumeIntegral<std::uint8_t>();
  http::request r;
  r.method = "POST";
  r.target = r.path = "/webhooks/shop";
  auto topic = in.ConsumeRandomLengthString(64);
  auto event_id = in.ConsumeRandomLengthString(160);
  auto fuzzed_signature = in.ConsumeRandomLengthString(64);
  r.body = in.ConsumeRemainingBytesAsString();
  if (mode & 1)
    r.headers.set("X-Shop-Topic", topic);
  else if (mode & 2)
    r.headers.set("X-Shop-Topic", "orders/create");
  if (mode & 4)
    r.headers.set("X-Shop-Event-Id", event_id);
  const std::string& key = settings.secrets[(mode >> 3) & 1];
  bool signed_correctly = (mode & 16) != 0;
  if (signed_correctly)
    r.headers.set("X-Shop-Hmac-Sha256", webhook::sign(key, r.body));
  else if (mode & 32)
    r.headers.set("X-Shop-Hmac-Sha256", fuzzed_signature);

  auto verdict = check_shop_webhook(r, settings);
  if (verdict.status == 0) {
    // Whatever passes must be authentic, small enough, of a known topic and
    // a JSON object: anything else reaching the inbox is a bug.
    if (!webhook::verify(r.body, *r.headers.get("X-Shop-Hmac-Sha256"),
                         settings.secrets) ||
        r.body.size() > settings.max_body_bytes ||
        verdict.event.payload != r.body || verdict.event.event_id.empty() ||
        !nlohmann::json::parse(r.body, nullptr, false).is_object())
      std::abort();
  } else if (verdict.reason.empty() ||
             (verdict.status != 400 && verdict.status != 401 &&
              verdict.status != 413)) {
    std::abort();
  }
  if (!signed_correctly && verdict.status == 0)
    std::abort(); // a forged signature got through

  // The codecs the path relies on: decode(encode(x)) == x, and decoding
  // arbitrary text never crashes.
  if (auto d = http::base64_decode(fuzzed_signature))
    if (http::base64_encode(*d) != fuzzed_signature)
      std::abort();
  if (*http::base64_decode(http::base64_encode(r.body)) != r.body)
    std::abort();
  if (*http::base64url_decode(http::base64url_encode(event_id)) != event_id)
    std::abort();
  (void)http::form_decode(r.body);
  (void)http::percent_decode(topic);
  return 0;
}
