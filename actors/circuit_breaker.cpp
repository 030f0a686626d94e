#include "actors/circuit_breaker.hpp"

#include <algorithm>

namespace ferry {

circuit_breaker::circuit_breaker(settings s) : settings_(s) {
  // A zero-sized window could never hold an outcome; treat it as one.
  settings_.window = std::max<std::size_t>(1, settings_.window);
  outcomes_.assign(settings_.window, false);
}

bool circuit_breaker::allow(clock::time_point now) {
  switch (state_) {
    case state::closed:
      return true;
    case state::open:
      if (now - opened_at_ < settings_.cool_down)
        return false;
      state_ = state::half_open;
      probe_in_flight_ = true;
      return true;
    case state::half_open:
      if (probe_in_flight_)
        return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void circuit_breaker::record_success(clock::time_point now) {
  switch (state_) {
    case state::closed:
      record(false, now);
      break;
    case state::half_open:
      state_ = state::closed;
      probe_in_flight_ = false;
      outcomes_.assign(settings_.window, false);
      next_ = count_ = failures_ = 0;
      break;
    case state::open:
      // A late answer to a call sent before the breaker opened says nothing
      // about the cool-down; it is not counted.
      break;
  }
}

void circuit_breaker::record_failure(clock::time_point now) {
  switch (state_) {
    case state::closed:
      record(true, now);
      break;
    case state::half_open:
      open(now);
      break;
    case state::open:
      break;
  }
}

circuit_breaker::state circuit_breaker::current() const {
  return state_;
}

void circuit_breaker::record(bool failed, clock::time_point now) {
  if (count_ == settings_.window) {
    if (outcomes_[next_])
      --failures_;
  } else {
    ++count_;
  }
  outcomes_[next_] = failed;
  if (failed)
    ++failures_;
  next_ = (next_ + 1) % settings_.window;
  if (count_ >= settings_.min_calls &&
      static_cast<double>(failures_) >=
          settings_.failure_ratio * static_cast<double>(count_) &&
      failures_ > 0)
    open(now);
}

void circuit_breaker::open(clock::time_point now) {
  state_ = state::open;
  opened_at_ = now;
  probe_in_flight_ = false;
}

const char* to_string(circuit_breaker::state s) {
  switch (s) {
    case circuit_breaker::state::closed:
      return "closed";
    case circuit_breaker::state::open:
      return "open";
    case circuit_breaker::state::half_open:
      return "half_open";
  }
  return "unknown";
}

double gauge_value(circuit_breaker::state s) {
  switch (s) {
    case circuit_breaker::state::closed:
      return 0;
    case circuit_breaker::state::open:
      return 1;
    case circuit_breaker::state::half_open:
      return 2;
  }
  return 0;
}

} // namespace ferry
