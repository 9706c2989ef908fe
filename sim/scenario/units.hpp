#pragma once
// Quantities with units as people write them in scenario files: rates, sizes,
// durations and event frequencies; and the way back to text.
//
// 1. A rate is bytes per second (double). Bit units are decimal SI (1 kbit = 1000
//    bits, 1 Mbit/s = 125000 B/s); byte units come decimal (1 KB = 1000 B) and
//    binary (1 KiB = 1024 B). "/s" is optional: "10Mbit", "10Mbit/s", "10 Mbps".
// 2. A plain number is bytes/s, bytes, seconds, or events per second.
// 3. Sizes and durations are parsed exactly (decimal arithmetic, no double):
//    "1.5MiB" is 1572864 bytes; a size must come to a whole number of bytes, a
//    duration is rounded to the nearest nanosecond.
// 4. Negative quantities are rejected; zero is accepted (callers that need a
//    positive value say so themselves).
// 5. format_*(v) returns text that the matching parse_* reads back to exactly v:
//    a pretty unit when the value is a whole number in it ("10Mbit/s", "256KiB",
//    "250ms"), else an exact plain form ("1250000.5B/s", "1234567B", "1500001ns").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/types.hpp"

namespace swarmsim::sim {

// A parsed value, or the reason the text is not one. Exactly one of `value` and
// a non-empty `error` is set.
template <typename T>
struct parsed {
  std::optional<T> value;
  std::string error;

  static parsed ok(T v) { return parsed{std::move(v), {}}; }
  static parsed fail(std::string why) { return parsed{std::nullopt, std::move(why)}; }
  explicit operator bool() const { return value.has_value(); }
  const T& operator*() const { return *value; }
  const T* operator->() const { return &*value; }
};

// Bytes per second: "10Mbit", "10Mbit/s", "10 Mbps", "2MiB/s", "500KB/s", "1e6".
parsed<double> parse_rate(std::string_view text);

// The slowest link or limit a scenario or a flag may give: 1 B/s. Below it the
// time to send one block (at most 128 KiB) no longer fits the clock's 64-bit
// nanoseconds once shared among connections, and turns negative; a 1 B/s link
// already takes 36 hours per block.
inline constexpr double min_rate = 1.0;
// Why a positive `rate` is too slow to use (naming min_rate), or nothing.
std::optional<std::string> check_rate_floor(double rate);
// Bytes: "500MB", "500MiB", "256KiB", "16384".
parsed<std::uint64_t> parse_size(std::string_view text);
// "10s", "250ms", "5min", "2h", "1.5s", "10" (seconds); also ns, us, d.
parsed<protocol::duration> parse_duration(std::string_view text);
// Events per second: "2", "2/s", "30/min", "10/h".
parsed<double> parse_frequency(std::string_view text);
// A count or a seed: decimal digits only ("0", "42", "010" is ten), no sign, no
// fraction, no unit, no spaces; up to 2^64 - 1.
parsed<std::uint64_t> parse_whole_number(std::string_view text);

// Exact inverses of the parsers (for values the parsers can produce: finite and
// not negative).
std::string format_rate(double bytes_per_second);
std::string format_size(std::uint64_t bytes);
std::string format_duration(protocol::duration d);
std::string format_frequency(double per_second);

}  // namespace swarmsim::sim
