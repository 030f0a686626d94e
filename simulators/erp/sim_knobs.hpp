#pragma once

#include "mapping/erp_types.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>

namespace ferry::sim {

/// The runtime fault knobs (see README.md, `POST /admin/faults`).
struct fault_knobs {
  int latency_ms = 0; ///< added to every call
  int jitter_ms = 0;  ///< plus uniform [0, jitter_ms]
  /// Per operation (or "*"): share of calls answered with `fault`, spread
  /// evenly and deterministically.
  struct error_rate {
    double rate = 0;
    erp_fault_code fault = erp_fault_code::unavailable;
  };
  std::map<std::string, error_rate> error_rates;
  /// Concurrent calls above this get the Throttled fault.
  int throttle_above = 8;
  /// "none", "refuse" (connections refused) or "503".
  std::string outage = "none";
  /// Added to the ERP's clock (WS-Security Created checks, ModifiedAt).
  int clock_skew_s = 0;
  /// Operations whose effect is committed but whose answer is never sent.
  std::set<std::string> drop_response;
  /// How long a dropped answer holds the connection before closing it.
  int drop_hold_ms = 30000;
};

/// The knobs and the counters, shared by the SOAP and admin servers.
class knob_board {
public:
  /// A copy of the current knobs.
  fault_knobs get() const;
  /// Replaces the knobs given in `body`; returns an error naming the field,
  /// or "" when applied.
  std::string update(const nlohmann::json& body);
  /// Back to no faults.
  void reset();
  nlohmann::json to_json() const;

  /// Counts a request of `operation` that reached the ERP.
  void count_request(const std::string& operation);
  /// Counts an accepted connection.
  void count_connection();
  nlohmann::json stats() const;

  /// The ERP's clock (system clock plus skew).
  std::chrono::system_clock::time_point now() const;

  /// Whether this call draws the injected fault for `operation`.
  erp_fault_code draw_fault(const std::string& operation);
  /// Added latency for one call.
  std::chrono::milliseconds draw_latency();

  /// Concurrent calls in the ERP right now.
  std::atomic<int> in_flight{0};

private:
  mutable std::mutex mtx_;
  fault_knobs knobs_;
  std::map<std::string, long> requests_;
  std::map<std::string, long> draws_; // per error_rates key
  long connections_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

} // namespace ferry::sim
