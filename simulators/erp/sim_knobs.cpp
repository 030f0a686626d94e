#include "simulators/erp/sim_knobs.hpp"

namespace ferry::sim {

using nlohmann::json;

fault_knobs knob_board::get() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return knobs_;
}

void knob_board::reset() {
  std::lock_guard<std::mutex> guard{mtx_};
  knobs_ = fault_knobs{};
  draws_.clear();
}

std::string knob_board::update(const json& body) {
  if (!body.is_object())
    return "the body must be a JSON object";
  fault_knobs k = get();
  auto int_field = [&](const char* name, int& out, int lo,
                       int hi) -> std::string {
    if (!body.contains(name))
      return "";
    const auto& v = body[name];
    if (!v.is_number_integer() || v.get<long long>() < lo ||
        v.get<long long>() > hi)
      return std::string{name} + " must be an integer in " +
             std::to_string(lo) + ".." + std::to_string(hi);
    out = v.get<int>();
    return "";
  };
  for (auto err :
       {int_field("latency_ms", k.latency_ms, 0, 600000),
        int_field("jitter_ms", k.jitter_ms, 0, 600000),
        int_field("throttle_above", k.throttle_above, 1, 100000),
        int_field("clock_skew_s", k.clock_skew_s, -86400 * 365, 86400 * 365),
        int_field("drop_hold_ms", k.drop_hold_ms, 0, 600000)})
    if (!err.empty())
      return err;
  if (body.contains("outage")) {
    const auto& v = body["outage"];
    if (!v.is_string() || (v != "none" && v != "refuse" && v != "503"))
      return "outage must be \"none\", \"refuse\" or \"503\"";
    k.outage = v.get<std::string>();
  }
  if (body.contains("error_rates")) {
    const auto& v = body["error_rates"];
    if (!v.is_object())
      return "error_rates must be an object {operation: {rate, fault}}";
    k.error_rates.clear();
    for (auto it = v.begin(); it != v.end(); ++it) {
      const auto& e = it.value();
      fault_knobs::error_rate r;
      if (!e.is_object() || !e.contains("rate") || !e["rate"].is_number() ||
          e["rate"].get<double>() < 0 || e["rate"].get<double>() > 1)
        return "error_rates." + it.key() + ".rate must be a number in 0..1";
      r.rate = e["rate"].get<double>();
      if (e.contains("fault")) {
        if (!e["fault"].is_string() ||
            !from_string(e["fault"].get<std::string>(), r.fault))
          return "error_rates." + it.key() +
                 ".fault must be an ErrorCode such as Unavailable";
      }
      k.error_rates[it.key()] = r;
    }
  }
  if (body.contains("drop_response")) {
    const auto& v = body["drop_response"];
    if (!v.is_array())
      return "drop_response must be an array of operation names";
    k.drop_response.clear();
    for (const auto& op : v) {
      if (!op.is_string())
        return "drop_response must be an array of operation names";
      k.drop_response.insert(op.get<std::string>());
    }
  }
  std::lock_guard<std::mutex> guard{mtx_};
  knobs_ = k;
  draws_.clear();
  return "";
}

json knob_board::to_json() const {
  auto k = get();
  json rates = json::object();
  for (const auto& [op, r] : k.error_rates)
    rates[op] = {{"rate", r.rate}, {"fault", ferry::to_string(r.fault)}};
  return {{"latency_ms", k.latency_ms},
          {"jitter_ms", k.jitter_ms},
          {"error_rates", rates},
          {"throttle_above", k.throttle_above},
          {"outage", k.outage},
          {"clock_skew_s", k.clock_skew_s},
          {"drop_response", k.drop_response},
          {"drop_hold_ms", k.drop_hold_ms}};
}

void knob_board::count_request(const std::string& operation) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++requests_[operation];
}

void knob_board::count_connection() {
  std::lock_guard<std::mutex> guard{mtx_};
  ++connections_;
}

json knob_board::stats() const {
  std::lock_guard<std::mutex> guard{mtx_};
  long total = 0;
  for (const auto& [op, n] : requests_)
    total += n;
  return {{"requests", requests_},
          {"requests_total", total},
          {"connections", connections_},
          {"in_flight", in_flight.load()}};
}

std::chrono::system_clock::time_point knob_board::now() const {
  return std::chrono::system_clock::now() +
         std::chrono::seconds{get().clock_skew_s};
}

erp_fault_code knob_board::draw_fault(const std::string& operation) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = knobs_.error_rates.find(operation);
  if (it == knobs_.error_rates.end())
    it = knobs_.error_rates.find("*");
  if (it == knobs_.error_rates.end() || it->second.rate <= 0)
    return erp_fault_code::none;
  // Exactly `rate` of the calls fail, spread evenly (call n fails when
  // floor((n+1)*rate) > floor(n*rate)): tests get the same sequence on
  // every run.
  auto n = draws_[it->first]++;
  auto before = static_cast<long>(static_cast<double>(n) * it->second.rate);
  auto after = static_cast<long>(static_cast<double>(n + 1) * it->second.rate);
  return after > before ? it->second.fault : erp_fault_code::none;
}

std::chrono::milliseconds knob_board::draw_latency() {
  std::lock_guard<std::mutex> guard{mtx_};
  int extra = 0;
  if (knobs_.jitter_ms > 0)
    extra = std::uniform_int_distribution<int>{0, knobs_.jitter_ms}(rng_);
  return std::chrono::milliseconds{knobs_.latency_ms + extra};
}

} // namespace ferry::sim
