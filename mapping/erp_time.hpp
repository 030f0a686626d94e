#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// UTC instants → the ERP's local wall-clock time (an IANA zone), DST
/// correct. The zone rules come from the system's compiled tz database
/// (TZif files under /usr/share/zoneinfo), read by config::load_time_zone;
/// everything here is pure.
namespace ferry {

/// The offsets of one IANA time zone over time.
class time_zone {
public:
  /// Reads a TZif (version 2 or later) image; nullopt names nothing, the
  /// caller knows which zone it asked for. Times after the last
  /// transition follow the POSIX rule of the file's footer.
  static std::optional<time_zone> from_tzif(std::string_view bytes);

  /// The UTC offset in seconds at `utc_seconds` (seconds since the epoch).
  std::int64_t offset_at(std::int64_t utc_seconds) const;

private:
  struct posix_rule {
    std::int64_t std_offset = 0;
    std::int64_t dst_offset = 0;
    bool has_dst = false;
    // Mm.w.d: month 1–12, week 1–5 (5 = last), weekday 0–6 (Sunday 0),
    // and the local time of the change in seconds.
    int start_month = 0, start_week = 0, start_day = 0;
    std::int64_t start_time = 7200;
    int end_month = 0, end_week = 0, end_day = 0;
    std::int64_t end_time = 7200;
  };
  static std::optional<posix_rule> parse_posix(std::string_view text);
  std::int64_t rule_offset_at(std::int64_t utc_seconds) const;

  std::vector<std::int64_t> transitions_;
  std::vector<std::int64_t> offsets_after_; // one per transition
  std::int64_t initial_offset_ = 0;
  std::optional<posix_rule> rule_;
};

/// Seconds since the epoch of a UTC timestamp "YYYY-MM-DD HH:MM:SS" (the
/// shop's form; "YYYY-MM-DDTHH:MM:SS[Z]" is accepted too); nullopt when it
/// is not a valid date and time.
std::optional<std::int64_t> parse_utc_timestamp(std::string_view text);

/// `utc_seconds` as local time in `zone`, in the ERP's `OrderDate` form
/// "YYYY-MM-DDTHH:MM:SS" (no offset).
std::string erp_local_time(std::int64_t utc_seconds, const time_zone& zone);

} // namespace ferry
