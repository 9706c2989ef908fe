#include "sim/scenario/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace swarmsim::sim {
namespace {

using u128 = unsigned __int128;

template <typename Factor>
struct unit {
  std::string_view name;
  Factor factor;
};

constexpr std::uint64_t kib = 1024;

constexpr std::array<unit<std::uint64_t>, 11> size_units{{
    {"", 1},
    {"B", 1},
    {"KB", 1000},
    {"kB", 1000},
    {"KiB", kib},
    {"MB", 1000 * 1000},
    {"MiB", kib* kib},
    {"GB", 1000 * 1000 * 1000},
    {"GiB", kib* kib* kib},
    {"TB", 1000ull * 1000 * 1000 * 1000},
    {"TiB", kib* kib* kib* kib},
}};
constexpr std::string_view size_unit_names = "B, KB, KiB, MB, MiB, GB, GiB, TB, TiB";

constexpr std::uint64_t ns_per_s = 1000 * 1000 * 1000;
constexpr std::array<unit<std::uint64_t>, 8> duration_units{{
    {"", ns_per_s},
    {"ns", 1},
    {"us", 1000},
    {"ms", 1000 * 1000},
    {"s", ns_per_s},
    {"min", 60 * ns_per_s},
    {"h", 3600 * ns_per_s},
    {"d", 86400 * ns_per_s},
}};
constexpr std::string_view duration_unit_names = "ns, us, ms, s, min, h, d";

// Bytes per second per unit; the names here are also accepted with "/s".
constexpr std::array<unit<double>, 14> rate_units{{
    {"", 1},
    {"B", 1},
    {"KB", 1e3},
    {"kB", 1e3},
    {"KiB", 1024.0},
    {"MB", 1e6},
    {"MiB", 1024.0 * 1024},
    {"GB", 1e9},
    {"GiB", 1024.0 * 1024 * 1024},
    {"bit", 1.0 / 8},
    {"kbit", 1e3 / 8},
    {"Kbit", 1e3 / 8},
    {"Mbit", 1e6 / 8},
    {"Gbit", 1e9 / 8},
}};
// Bits per second, never followed by "/s".
constexpr std::array<unit<double>, 5> bps_units{{
    {"bps", 1.0 / 8},
    {"kbps", 1e3 / 8},
    {"Kbps", 1e3 / 8},
    {"Mbps", 1e6 / 8},
    {"Gbps", 1e9 / 8},
}};
constexpr std::string_view rate_unit_names =
    "bit, kbit, Mbit, Gbit, B, KB, KiB, MB, MiB, GB, GiB (each optionally with /s), "
    "bps, kbps, Mbps, Gbps";

// Pretty forms tried in order by format_rate; the first exact whole number wins.
constexpr std::array<unit<double>, 9> pretty_rates{{
    {"Gbit/s", 1e9 / 8},
    {"Mbit/s", 1e6 / 8},
    {"kbit/s", 1e3 / 8},
    {"GiB/s", 1024.0 * 1024 * 1024},
    {"MiB/s", 1024.0 * 1024},
    {"KiB/s", 1024.0},
    {"GB/s", 1e9},
    {"MB/s", 1e6},
    {"KB/s", 1e3},
}};
constexpr std::array<unit<std::uint64_t>, 8> pretty_sizes{{
    {"TiB", kib* kib* kib* kib},
    {"TB", 1000ull * 1000 * 1000 * 1000},
    {"GiB", kib* kib* kib},
    {"GB", 1000 * 1000 * 1000},
    {"MiB", kib* kib},
    {"MB", 1000 * 1000},
    {"KiB", kib},
    {"KB", 1000},
}};
constexpr std::array<unit<std::uint64_t>, 6> pretty_durations{{
    {"h", 3600 * ns_per_s},
    {"min", 60 * ns_per_s},
    {"s", ns_per_s},
    {"ms", 1000 * 1000},
    {"us", 1000},
    {"ns", 1},
}};

template <typename Factor, std::size_t N>
std::optional<Factor> find_unit(const std::array<unit<Factor>, N>& units, std::string_view name) {
  for (const auto& u : units)
    if (u.name == name) return u.factor;
  return std::nullopt;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

// Length of the number at the start of s: digits, an optional fraction and an
// optional exponent ("12", "1.5", ".5", "1e6", "2.5E-3"); 0 if there is none.
std::size_t number_length(std::string_view s) {
  std::size_t i = 0;
  bool any_digit = false;
  while (i < s.size() && is_digit(s[i]))
    ++i, any_digit = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i]))
      ++i, any_digit = true;
  }
  if (!any_digit) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && is_digit(s[j])) {
      while (j < s.size() && is_digit(s[j]))
        ++j;
      i = j;
    }
  }
  return i;
}

struct quantity {
  std::string_view number;
  std::string_view unit;
};

// Splits "12.5 Mbit/s" into "12.5" and "Mbit/s"; `what` names the quantity in errors.
parsed<quantity> split_quantity(std::string_view text, std::string_view what) {
  const std::string_view t = trim(text);
  if (t.empty()) return parsed<quantity>::fail(fmt::format("empty {}", what));
  if (t.front() == '-' && t.size() > 1 && number_length(t.substr(1)) > 0)
    return parsed<quantity>::fail(fmt::format("{} '{}' must not be negative", what, t));
  const std::size_t n = number_length(t);
  if (n == 0)
    return parsed<quantity>::fail(
        fmt::format("'{}' is not a {}: it does not start with a number", t, what));
  return parsed<quantity>::ok({t.substr(0, n), trim(t.substr(n))});
}

// An exact decimal: digits x 10^exponent, with at most 20 significant digits
// (enough for every uint64).
struct decimal {
  u128 digits = 0;
  int exponent = 0;
};

parsed<decimal> to_decimal(std::string_view number) {
  decimal d;
  int significant = 0;
  std::size_t i = 0;
  std::string_view fraction_digits;
  std::string_view integer_digits;
  while (i < number.size() && is_digit(number[i]))
    ++i;
  integer_digits = number.substr(0, i);
  if (i < number.size() && number[i] == '.') {
    const std::size_t start = ++i;
    while (i < number.size() && is_digit(number[i]))
      ++i;
    fraction_digits = number.substr(start, i - start);
    while (!fraction_digits.empty() && fraction_digits.back() == '0')
      fraction_digits.remove_suffix(1);
  }
  auto push = [&](char c) {
    if (d.digits == 0 && c == '0') return true;
    if (++significant > 20) return false;
    d.digits = d.digits * 10 + static_cast<unsigned>(c - '0');
    return true;
  };
  for (char c : integer_digits)
    if (!push(c))
      return parsed<decimal>::fail(fmt::format("'{}' has too many digits (at most 20)", number));
  for (char c : fraction_digits) {
    if (!push(c))
      return parsed<decimal>::fail(fmt::format("'{}' has too many digits (at most 20)", number));
    --d.exponent;
  }
  if (i < number.size()) {  // exponent
    ++i;
    if (number[i] == '+') ++i;
    int e = 0;
    const auto [end, ec] = std::from_chars(number.data() + i, number.data() + number.size(), e);
    if (ec != std::errc{} || end != number.data() + number.size() || e > 400 || e < -400)
      return parsed<decimal>::fail(fmt::format("'{}' has an exponent out of range", number));
    d.exponent += e;
  }
  return parsed<decimal>::ok(d);
}

enum class rounding : std::uint8_t { exact, nearest };

// d x factor as an integer no larger than `max`; `text` and `what` are for errors.
parsed<std::uint64_t> scale(decimal d, std::uint64_t factor, std::uint64_t max, rounding r,
                            std::string_view text, std::string_view what) {
  const auto too_large = [&] {
    return parsed<std::uint64_t>::fail(fmt::format("{} '{}' is too large", what, text));
  };
  u128 v = d.digits * factor;  // < 10^20 x 2^47 < 2^114: no overflow
  if (v == 0) return parsed<std::uint64_t>::ok(0);
  if (d.exponent >= 0) {
    for (int e = 0; e < d.exponent; ++e)
      if ((v *= 10) > max) return too_large();
  } else {
    u128 divisor = 1;
    int e = 0;
    for (; e < -d.exponent && divisor <= v; ++e)
      divisor *= 10;
    const u128 quotient = divisor > v ? 0 : v / divisor;
    const u128 remainder = divisor > v ? v : v % divisor;
    const bool smaller_than_half = e < -d.exponent || 2 * remainder < divisor;
    if (remainder != 0 && r == rounding::exact)
      return parsed<std::uint64_t>::fail(
          fmt::format("{} '{}' is not a whole number of bytes", what, text));
    v = quotient + (remainder != 0 && !smaller_than_half ? 1 : 0);
  }
  if (v > max) return too_large();
  return parsed<std::uint64_t>::ok(static_cast<std::uint64_t>(v));
}

template <typename Factor, std::size_t N>
parsed<std::uint64_t> parse_exact(std::string_view text, std::string_view what,
                                  const std::array<unit<Factor>, N>& units,
                                  std::string_view unit_names, std::uint64_t max, rounding r) {
  const auto q = split_quantity(text, what);
  if (!q) return parsed<std::uint64_t>::fail(q.error);
  const auto factor = find_unit(units, q->unit);
  if (!factor)
    return parsed<std::uint64_t>::fail(fmt::format("unknown {} unit '{}' in '{}' (use {})", what,
                                                   q->unit, trim(text), unit_names));
  const auto d = to_decimal(q->number);
  if (!d) return parsed<std::uint64_t>::fail(d.error);
  return scale(*d, *factor, max, r, trim(text), what);
}

parsed<double> to_double(std::string_view number, std::string_view text, std::string_view what) {
  double v = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc{} || end != number.data() + number.size() || !std::isfinite(v))
    return parsed<double>::fail(fmt::format("{} '{}' is out of range", what, trim(text)));
  return parsed<double>::ok(v);
}

}  // namespace

parsed<double> parse_rate(std::string_view text) {
  const auto q = split_quantity(text, "rate");
  if (!q) return parsed<double>::fail(q.error);
  std::string_view name = q->unit;
  std::optional<double> factor = find_unit(bps_units, name);
  if (!factor) {
    if (name.ends_with("/s") && name.size() > 2) name.remove_suffix(2);
    factor = find_unit(rate_units, name);
  }
  if (!factor)
    return parsed<double>::fail(fmt::format("unknown rate unit '{}' in '{}' (use {})", q->unit,
                                            trim(text), rate_unit_names));
  const auto v = to_double(q->number, text, "rate");
  if (!v) return v;
  const double rate = *v * *factor;
  if (!std::isfinite(rate))
    return parsed<double>::fail(fmt::format("rate '{}' is out of range", trim(text)));
  return parsed<double>::ok(rate);
}

std::optional<std::string> check_rate_floor(double rate) {
  if (rate >= min_rate) return std::nullopt;
  return fmt::format("rate {} B/s is below the minimum of {} B/s", rate, min_rate);
}

parsed<std::uint64_t> parse_size(std::string_view text) {
  return parse_exact(text, "size", size_units, size_unit_names,
                     std::numeric_limits<std::uint64_t>::max(), rounding::exact);
}

parsed<protocol::duration> parse_duration(std::string_view text) {
  const auto ns = parse_exact(text, "duration", duration_units, duration_unit_names,
                              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
                              rounding::nearest);
  if (!ns) return parsed<protocol::duration>::fail(ns.error);
  return parsed<protocol::duration>::ok(protocol::duration{static_cast<std::int64_t>(*ns)});
}

parsed<double> parse_frequency(std::string_view text) {
  const auto q = split_quantity(text, "frequency");
  if (!q) return parsed<double>::fail(q.error);
  double per = 0;
  if (q->unit.empty() || q->unit == "/s")
    per = 1;
  else if (q->unit == "/min")
    per = 60;
  else if (q->unit == "/h")
    per = 3600;
  else
    return parsed<double>::fail(
        fmt::format("unknown frequency unit '{}' in '{}' (use /s, /min, /h)", q->unit, trim(text)));
  const auto v = to_double(q->number, text, "frequency");
  if (!v) return v;
  return parsed<double>::ok(*v / per);
}

parsed<std::uint64_t> parse_whole_number(std::string_view text) {
  using result = parsed<std::uint64_t>;
  if (text.size() > 1 && text.front() == '-' && is_digit(text[1]))
    return result::fail(fmt::format("must not be negative, got '{}'", text));
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool all_digits = !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
  if (ec == std::errc::result_out_of_range && all_digits)
    return result::fail(fmt::format("{} is too large (at most {})", text,
                                    std::numeric_limits<std::uint64_t>::max()));
  if (ec != std::errc{} || end != text.data() + text.size() || !all_digits)
    return result::fail(fmt::format("expected a whole number, got '{}'", text));
  return result::ok(value);
}

std::string format_rate(double bytes_per_second) {
  for (const auto& u : pretty_rates) {
    const double v = bytes_per_second / u.factor;
    if (v < 1 || v >= 1e15 || v != std::floor(v)) continue;
    std::string text = fmt::format("{}{}", static_cast<std::uint64_t>(v), u.name);
    const auto back = parse_rate(text);
    if (back && *back == bytes_per_second) return text;
  }
  return fmt::format("{}B/s", bytes_per_second);
}

std::string format_size(std::uint64_t bytes) {
  for (const auto& u : pretty_sizes)
    if (bytes != 0 && bytes % u.factor == 0) return fmt::format("{}{}", bytes / u.factor, u.name);
  return fmt::format("{}B", bytes);
}

std::string format_duration(protocol::duration d) {
  const std::int64_t ns = d.count();
  if (ns == 0) return "0s";
  if (ns < 0) return fmt::format("-{}ns", -static_cast<std::uint64_t>(ns));
  const auto value = static_cast<std::uint64_t>(ns);
  for (const auto& u : pretty_durations)
    if (value % u.factor == 0) return fmt::format("{}{}", value / u.factor, u.name);
  return fmt::format("{}ns", value);  // unreachable: 1 ns divides everything
}

std::string format_frequency(double per_second) {
  return fmt::format("{}/s", per_second);
}

}  // namespace swarmsim::sim
