#include "sim/scenario/units.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace swarmsim::sim {
namespace {

using namespace std::chrono_literals;
using protocol::duration;
using testing::HasSubstr;

constexpr double mbit = 1e6 / 8;  // bytes per second in 1 Mbit/s

double rate(std::string_view text) {
  const auto r = parse_rate(text);
  EXPECT_TRUE(r) << text << ": " << r.error;
  return r ? *r : -1;
}
std::uint64_t size(std::string_view text) {
  const auto s = parse_size(text);
  EXPECT_TRUE(s) << text << ": " << s.error;
  return s ? *s : 0;
}
duration dur(std::string_view text) {
  const auto d = parse_duration(text);
  EXPECT_TRUE(d) << text << ": " << d.error;
  return d ? *d : duration{-1};
}
template <typename T>
std::string error_of(const parsed<T>& p) {
  EXPECT_FALSE(p) << "parsed, but expected an error";
  return p.error;
}

TEST(units, rates_in_bits_are_decimal_si) {
  EXPECT_EQ(rate("10Mbit"), 10 * mbit);
  EXPECT_EQ(rate("10Mbit/s"), 10 * mbit);
  EXPECT_EQ(rate("10 Mbps"), 10 * mbit);
  EXPECT_EQ(rate("512kbit"), 512 * 1000 / 8.0);
  EXPECT_EQ(rate("512 Kbit/s"), 512 * 1000 / 8.0);
  EXPECT_EQ(rate("1Gbit"), 1e9 / 8);
  EXPECT_EQ(rate("1Gbps"), 1e9 / 8);
  EXPECT_EQ(rate("12bit/s"), 1.5);
  EXPECT_EQ(rate("2.5Mbit/s"), 2.5 * mbit);
}

TEST(units, rates_in_bytes_come_decimal_and_binary) {
  EXPECT_EQ(rate("2MiB/s"), 2 * 1024 * 1024);
  EXPECT_EQ(rate("500KB/s"), 500'000);
  EXPECT_EQ(rate("500kB"), 500'000);
  EXPECT_EQ(rate("500KiB/s"), 500 * 1024);
  EXPECT_EQ(rate("1GB/s"), 1e9);
  EXPECT_EQ(rate("3B/s"), 3);
}

TEST(units, plain_numbers_are_bytes_seconds_and_events_per_second) {
  EXPECT_EQ(rate("1250000"), 1'250'000);
  EXPECT_EQ(rate("1e6"), 1e6);
  EXPECT_EQ(size("16384"), 16384u);
  EXPECT_EQ(dur("10"), 10s);
  EXPECT_EQ(dur("0.25"), 250ms);
  EXPECT_EQ(*parse_frequency("2"), 2.0);
}

TEST(units, sizes) {
  EXPECT_EQ(size("500MB"), 500'000'000u);
  EXPECT_EQ(size("500MiB"), 500u * 1024 * 1024);
  EXPECT_EQ(size("256KiB"), 256u * 1024);
  EXPECT_EQ(size("16KiB"), 16u * 1024);
  EXPECT_EQ(size("16 KB"), 16'000u);
  EXPECT_EQ(size("1.5MiB"), 1'572'864u);
  EXPECT_EQ(size("5e8"), 500'000'000u);
  EXPECT_EQ(size("2TiB"), 2ull << 40);
  EXPECT_EQ(size("18446744073709551615B"), UINT64_MAX);
}

TEST(units, durations) {
  EXPECT_EQ(dur("10s"), 10s);
  EXPECT_EQ(dur("250ms"), 250ms);
  EXPECT_EQ(dur("5min"), 5min);
  EXPECT_EQ(dur("2h"), 2h);
  EXPECT_EQ(dur("1.5s"), 1500ms);
  EXPECT_EQ(dur("1d"), 24h);
  EXPECT_EQ(dur("30us"), 30us);
  EXPECT_EQ(dur("0s"), 0s);
  // Exact decimal arithmetic, rounded to the nearest nanosecond.
  EXPECT_EQ(dur("1.000000001s"), 1'000'000'001ns);
  EXPECT_EQ(dur("1.5ns"), 2ns);
  EXPECT_EQ(dur("0.4ns"), 0ns);
  EXPECT_EQ(dur("0.1h"), 6min);
}

TEST(units, frequencies) {
  EXPECT_EQ(*parse_frequency("2/s"), 2.0);
  EXPECT_EQ(*parse_frequency("30/min"), 0.5);
  EXPECT_EQ(*parse_frequency("36/h"), 0.01);
}

TEST(units, errors_say_what_is_wrong) {
  EXPECT_THAT(error_of(parse_rate("10 Mbitz")), HasSubstr("unknown rate unit 'Mbitz'"));
  EXPECT_THAT(error_of(parse_rate("-5Mbit")), HasSubstr("must not be negative"));
  EXPECT_THAT(error_of(parse_rate("fast")), HasSubstr("does not start with a number"));
  EXPECT_THAT(error_of(parse_rate("")), HasSubstr("empty rate"));
  EXPECT_THAT(error_of(parse_rate("1e400")), HasSubstr("out of range"));
  EXPECT_THAT(error_of(parse_rate("10Mbps/s")), HasSubstr("unknown rate unit"));
  EXPECT_THAT(error_of(parse_size("500Mbit")), HasSubstr("unknown size unit 'Mbit'"));
  EXPECT_THAT(error_of(parse_size("1.5B")), HasSubstr("not a whole number of bytes"));
  EXPECT_THAT(error_of(parse_size("18446744073709551616")), HasSubstr("too large"));
  EXPECT_THAT(error_of(parse_size("-1KiB")), HasSubstr("must not be negative"));
  EXPECT_THAT(error_of(parse_duration("10 parsecs")), HasSubstr("unknown duration unit"));
  EXPECT_THAT(error_of(parse_duration("10m")), HasSubstr("unknown duration unit 'm'"));
  EXPECT_THAT(error_of(parse_duration("-1s")), HasSubstr("must not be negative"));
  EXPECT_THAT(error_of(parse_duration("3000000h")), HasSubstr("too large"));
  EXPECT_THAT(error_of(parse_frequency("2/day")), HasSubstr("unknown frequency unit"));
}

TEST(units, whole_numbers_are_plain_decimal_digits) {
  EXPECT_EQ(*parse_whole_number("0"), 0u);
  EXPECT_EQ(*parse_whole_number("42"), 42u);
  EXPECT_EQ(*parse_whole_number("010"), 10u);  // decimal, not octal
  EXPECT_EQ(*parse_whole_number("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(error_of(parse_whole_number("18446744073709551616")),
            "18446744073709551616 is too large (at most 18446744073709551615)");
  EXPECT_EQ(error_of(parse_whole_number("-1")), "must not be negative, got '-1'");
  for (const char* text : {"", "abc", "1.5", "1e3", "0x10", "+5", " 5", "5 ", "5s", "-", "--1"})
    EXPECT_EQ(error_of(parse_whole_number(text)),
              std::string("expected a whole number, got '") + text + "'")
        << text;
}

TEST(units, format_is_pretty_when_exact) {
  EXPECT_EQ(format_rate(10 * mbit), "10Mbit/s");
  EXPECT_EQ(format_rate(1e9 / 8), "1Gbit/s");
  EXPECT_EQ(format_rate(64'000), "512kbit/s");
  EXPECT_EQ(format_rate(2 * 1024 * 1024), "2MiB/s");
  EXPECT_EQ(format_size(500u * 1024 * 1024), "500MiB");
  EXPECT_EQ(format_size(500'000'000), "500MB");
  EXPECT_EQ(format_size(16 * 1024), "16KiB");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(5min), "5min");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(0s), "0s");
}

TEST(units, format_falls_back_to_an_exact_plain_form) {
  EXPECT_EQ(format_rate(1'250'000.5), "1250000.5B/s");
  EXPECT_EQ(format_rate(100), "100B/s");
  EXPECT_EQ(format_size(1'234'567), "1234567B");
  EXPECT_EQ(format_size(0), "0B");
  EXPECT_EQ(format_duration(1'500'001ns), "1500001ns");
}

TEST(units, format_then_parse_gives_back_the_same_value) {
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> exponent(-3, 12);
  std::uniform_int_distribution<std::uint64_t> any;
  for (int i = 0; i < 2000; ++i) {
    const double r = std::pow(10.0, exponent(random));
    const double whole_mbit = static_cast<double>(any(random) % 10'000) * mbit;
    const double whole_kib = static_cast<double>(any(random) % 10'000 + 1) * 1024;
    for (double x : {r, whole_mbit, whole_kib, std::round(r)}) {
      const auto back = parse_rate(format_rate(x));
      ASSERT_TRUE(back) << x << " -> " << format_rate(x) << ": " << back.error;
      ASSERT_EQ(*back, x) << format_rate(x);
    }
    const std::uint64_t bytes = any(random) >> (any(random) % 64);
    for (std::uint64_t s : {bytes, (bytes % 100'000) * 1024 * 1024, (bytes % 100'000) * 1000}) {
      const auto back = parse_size(format_size(s));
      ASSERT_TRUE(back) << s << " -> " << format_size(s) << ": " << back.error;
      ASSERT_EQ(*back, s) << format_size(s);
    }
    const auto ns = static_cast<std::int64_t>(any(random) >> (1 + any(random) % 63));
    for (duration d : {duration{ns}, duration{ns % 100'000 * 1'000'000}}) {
      const auto back = parse_duration(format_duration(d));
      ASSERT_TRUE(back) << d.count() << " -> " << format_duration(d) << ": " << back.error;
      ASSERT_EQ(*back, d) << format_duration(d);
    }
    const double per_second = r / 1000;
    ASSERT_EQ(*parse_frequency(format_frequency(per_second)), per_second);
  }
}

}  // namespace
}  // namespace swarmsim::sim
