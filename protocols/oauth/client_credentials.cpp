#include "protocols/oauth/client_credentials.hpp"

#include "monitoring/log.hpp"
#include "protocols/http/codec.hpp"

#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <vector>

namespace ferry::oauth {

using steady = std::chrono::steady_clock;

const char* to_string(token_error e) {
  switch (e) {
    case token_error::invalid_client:
      return "invalid_client";
    case token_error::rejected:
      return "rejected";
    case token_error::unreachable:
      return "unreachable";
    case token_error::bad_response:
      return "bad_response";
  }
  return "unknown";
}

struct client_credentials::impl
    : std::enable_shared_from_this<client_credentials::impl> {
  client_credentials_settings settings;
  http::client& http;
  prometheus::Counter& fetches;
  prometheus::Family<prometheus::Counter>& failures;

  std::mutex mutex;
  std::optional<std::string> token;
  steady::time_point refresh_at;
  bool fetching = false;
  std::vector<std::function<void(token_result)>> waiters;
  std::size_t fetch_count = 0;

  impl(client_credentials_settings s, http::client& h,
       prometheus::Registry& registry)
      : settings(std::move(s)),
        http(h),
        fetches(prometheus::BuildCounter()
                    .Name("ferry_oauth_token_fetches_total")
                    .Help("OAuth 2.0 token requests Ferry made as a client")
                    .Register(registry)
                    .Add({{"client_id", settings.client_id}})),
        failures(prometheus::BuildCounter()
                     .Name("ferry_oauth_token_fetch_failures_total")
                     .Help("OAuth 2.0 token requests that got no token, by "
                           "reason; invalid_client means a wrong client secret")
                     .Register(registry)) {}

  void get(std::function<void(token_result)> done) {
    std::optional<std::string> cached;
    {
      std::lock_guard<std::mutex> guard{mutex};
      if (token && steady::now() < refresh_at) {
        cached = token;
      } else {
        waiters.push_back(std::move(done));
        if (fetching)
          return;
        fetching = true;
        ++fetch_count;
      }
    }
    if (cached) {
      // Outside the lock: the callback may ask again.
      token_result r;
      r.access_token = std::move(cached);
      done(std::move(r));
      return;
    }
    fetch();
  }

  void fetch() {
    fetches.Increment();
    http::client_request req;
    req.method = "POST";
    req.url = settings.token_url;
    req.headers.set("Content-Type", "application/x-www-form-urlencoded");
    req.headers.set("Accept", "application/json");
    std::map<std::string, std::string> form{
        {"grant_type", "client_credentials"},
        {"client_id", settings.client_id},
        {"client_secret", settings.client_secret}};
    if (!settings.scope.empty())
      form["scope"] = settings.scope;
    req.body = http::form_encode(form);
    http.async_send(std::move(req),
                    [self = shared_from_this()](http::client_result r) {
                      self->on_fetched(std::move(r));
                    });
  }

  token_result interpret(const http::client_result& r,
                         std::chrono::seconds& lifetime) {
    token_result out;
    auto fail = [&](token_error e, std::string detail) {
      out.error = e;
      out.detail = "token request to " + settings.token_url + " as client '" +
                   settings.client_id + "': " + std::move(detail);
      return out;
    };
    if (!r.response)
      return fail(token_error::unreachable,
                  std::string(http::to_string(*r.error)) + " (" +
                      r.error_detail + ")");
    const auto& res = *r.response;
    auto json = nlohmann::json::parse(res.body, nullptr, false);
    std::string code;
    if (!json.is_discarded() && json.is_object() && json.contains("error") &&
        json["error"].is_string())
      code = json["error"].get<std::string>();
    if (res.status == 401 || code == "invalid_client")
      return fail(token_error::invalid_client,
                  "HTTP " + std::to_string(res.status) +
                      " invalid_client: check client_id and client_secret");
    if (res.status >= 500 || res.status == 429)
      return fail(token_error::unreachable,
                  "HTTP " + std::to_string(res.status));
    if (res.status != 200)
      return fail(token_error::rejected, "HTTP " + std::to_string(res.status) +
                                             (code.empty() ? "" : " " + code));
    if (json.is_discarded() || !json.is_object() ||
        !json.contains("access_token") || !json["access_token"].is_string() ||
        json["access_token"].get<std::string>().empty())
      return fail(token_error::bad_response, "no access_token in the answer");
    if (json.contains("token_type") && json["token_type"].is_string() &&
        !http::iequals(json["token_type"].get<std::string>(), "Bearer"))
      return fail(token_error::bad_response, "token_type is not Bearer");
    lifetime = std::chrono::seconds(3600);
    if (json.contains("expires_in")) {
      if (!json["expires_in"].is_number_integer() ||
          json["expires_in"].get<long long>() <= 0)
        return fail(token_error::bad_response,
                    "expires_in is not a positive integer");
      lifetime = std::chrono::seconds(json["expires_in"].get<long long>());
    }
    out.access_token = json["access_token"].get<std::string>();
    return out;
  }

  void on_fetched(http::client_result r) {
    std::chrono::seconds lifetime{0};
    auto result = interpret(r, lifetime);
    if (result.error) {
      failures.Add({{"reason", to_string(*result.error)}}).Increment();
      // The detail names the URL, the client id and the status only: never
      // the secret or a token.
      monitoring::log_warn(
          "oauth", "token fetch failed",
          {{"reason", to_string(*result.error)}, {"detail", result.detail}});
    }
    std::vector<std::function<void(token_result)>> ready;
    {
      std::lock_guard<std::mutex> guard{mutex};
      fetching = false;
      if (result.access_token) {
        // A short-lived token is used for half its life rather than not at
        // all.
        auto margin = std::min<std::chrono::seconds>(settings.refresh_margin,
                                                     lifetime / 2);
        token = result.access_token;
        refresh_at = steady::now() + lifetime - margin;
      }
      ready.swap(waiters);
    }
    for (auto& w : ready)
      w(result);
  }

  void invalidate(const std::string& t) {
    std::lock_guard<std::mutex> guard{mutex};
    if (token && *token == t)
      token.reset();
  }

  void send(http::client_request r, bool retried,
            std::function<void(authorized_result)> done) {
    get([self = shared_from_this(), r = std::move(r), retried,
         done = std::move(done)](token_result t) mutable {
      if (!t.access_token) {
        authorized_result out;
        out.token_failure = t.error;
        out.token_detail = std::move(t.detail);
        done(std::move(out));
        return;
      }
      auto req = r;
      req.headers.set("Authorization", "Bearer " + *t.access_token);
      self->http.async_send(
          std::move(req),
          [self, r = std::move(r), retried, done = std::move(done),
           used = *t.access_token](http::client_result res) mutable {
            if (!retried && res.response && res.response->status == 401 &&
                res.response->headers.get("WWW-Authenticate")
                        .value_or("")
                        .find("invalid_token") != std::string::npos) {
              self->invalidate(used);
              self->send(std::move(r), true, std::move(done));
              return;
            }
            authorized_result out;
            out.http = std::move(res);
            done(std::move(out));
          });
    });
  }
};

client_credentials::client_credentials(client_credentials_settings s,
                                       http::client& http,
                                       prometheus::Registry& registry)
    : impl_(std::make_shared<impl>(std::move(s), http, registry)) {}

client_credentials::~client_credentials() = default;

void client_credentials::async_token(std::function<void(token_result)> done) {
  impl_->get(std::move(done));
}

token_result client_credentials::token() {
  std::promise<token_result> p;
  auto f = p.get_future();
  impl_->get([&p](token_result r) { p.set_value(std::move(r)); });
  return f.get();
}

void client_credentials::invalidate(const std::string& token) {
  impl_->invalidate(token);
}

void client_credentials::async_send(
    http::client_request r, std::function<void(authorized_result)> done) {
  impl_->send(std::move(r), false, std::move(done));
}

authorized_result client_credentials::send(http::client_request r) {
  std::promise<authorized_result> p;
  auto f = p.get_future();
  impl_->send(std::move(r), false,
              [&p](authorized_result res) { p.set_value(std::move(res)); });
  return f.get();
}

std::size_t client_credentials::fetch_count() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->fetch_count;
}

} // namespace ferry::oauth
