#include "protocol/bencode.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <string_view>

#include "protocol/types.hpp"

namespace swarmsim::protocol::bencode {
namespace {

std::string encoded(const value& v) {
  const std::vector<std::uint8_t> bytes = encode(v);
  return std::string(bytes.begin(), bytes.end());
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The error of decoding `text`, which must fail.
decode_error error_of(std::string_view text, const decode_options& options = {}) {
  const decode_result r = decode(text, options);
  if (r.ok()) return decode_error{std::numeric_limits<std::size_t>::max(), "decoded fine"};
  return r.error();
}

TEST(bencode, encodes_each_kind) {
  EXPECT_EQ(encoded(42), "i42e");
  EXPECT_EQ(encoded(-7), "i-7e");
  EXPECT_EQ(encoded(0), "i0e");
  EXPECT_EQ(encoded("spam"), "4:spam");
  EXPECT_EQ(encoded(""), "0:");
  EXPECT_EQ(encoded(value::list{"spam", 42}), "l4:spami42ee");
  EXPECT_EQ(encoded(value::list{}), "le");
  EXPECT_EQ(encoded(value::dict{{"cow", "moo"}, {"spam", "eggs"}}), "d3:cow3:moo4:spam4:eggse");
}

TEST(bencode, dictionary_keys_are_written_in_raw_byte_order) {
  const value d = value::dict{{"\xff", 1}, {"a", 2}, {"B", 3}, {"ab", 4}};
  EXPECT_EQ(encoded(d), "d1:Bi3e1:ai2e2:abi4e1:\xffi1ee");
}

TEST(bencode, round_trips_nested_values_and_binary_strings) {
  const value v = value::dict{
      {"bytes", std::string("\0\x01\xff\x80:e", 6)},
      {"ints", value::list{std::numeric_limits<std::int64_t>::min(),
                           std::numeric_limits<std::int64_t>::max(), 0, -1}},
      {"nested", value::list{value::list{value::dict{{"k", value::list{}}}}, value::dict{}}},
  };
  const decode_result r = decode(encode(v));
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(r.get(), v);
}

TEST(bencode, accessors_tell_the_kind) {
  const decode_result r = decode("d4:listli1ee3:numi5e3:str1:xe");
  ASSERT_TRUE(r);
  const value& v = r.get();
  ASSERT_TRUE(v.is_dict());
  ASSERT_NE(v.find("num"), nullptr);
  EXPECT_EQ(*v.find("num")->as_integer(), 5);
  EXPECT_EQ(*v.find("str")->as_string(), "x");
  EXPECT_EQ(v.find("str")->as_integer(), nullptr);
  EXPECT_EQ(v.find("list")->as_list()->size(), 1u);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(v.find("num")->find("num"), nullptr);
}

TEST(bencode, integers_must_be_canonical) {
  EXPECT_EQ(error_of("i03e").offset, 1u);
  EXPECT_EQ(error_of("i-0e").offset, 2u);
  EXPECT_EQ(error_of("i-03e").offset, 2u);
  EXPECT_EQ(error_of("ie").offset, 1u);
  EXPECT_EQ(error_of("i-e").offset, 2u);
  EXPECT_EQ(error_of("i1x2e").offset, 2u);
  EXPECT_EQ(error_of("li1ei+2ee").offset, 5u);
  EXPECT_NE(error_of("i03e").text.find("leading zero"), std::string::npos);
  EXPECT_NE(error_of("i-0e").text.find("negative zero"), std::string::npos);
}

TEST(bencode, integers_fit_in_64_bits) {
  ASSERT_TRUE(decode("i9223372036854775807e"));
  ASSERT_TRUE(decode("i-9223372036854775808e"));
  EXPECT_EQ(*decode("i-9223372036854775808e").get().as_integer(),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(error_of("i9223372036854775808e").offset, 1u);
  EXPECT_EQ(error_of("i-9223372036854775809e").offset, 2u);
  EXPECT_EQ(error_of("i99999999999999999999999999e").offset, 1u);
}

TEST(bencode, string_lengths_are_checked_before_copying) {
  EXPECT_EQ(error_of("5:abc").offset, 0u);
  EXPECT_EQ(error_of("l1:a9:abce").offset, 4u);
  // A length far beyond any memory, and one beyond size_t.
  EXPECT_EQ(error_of("4294967296000:x").offset, 0u);
  EXPECT_EQ(error_of("999999999999999999999999999999:x").offset, 0u);
  EXPECT_EQ(error_of("01:a").offset, 0u);
  EXPECT_EQ(error_of("3abc").offset, 1u);
  EXPECT_TRUE(decode("0:"));
}

TEST(bencode, truncated_input_is_reported_at_its_end) {
  EXPECT_EQ(error_of("").offset, 0u);
  EXPECT_EQ(error_of("i12").offset, 3u);
  EXPECT_EQ(error_of("li1e").offset, 4u);
  EXPECT_EQ(error_of("d1:a").offset, 4u);
  EXPECT_EQ(error_of("1").offset, 1u);
}

TEST(bencode, every_proper_prefix_of_a_valid_encoding_is_rejected) {
  const std::string whole =
      encoded(value::dict{{"a", value::list{1, "xyz", value::dict{{"q", -12}}}}, {"b", "c"}});
  for (std::size_t n = 0; n < whole.size(); ++n)
    EXPECT_FALSE(decode(std::string_view(whole).substr(0, n))) << whole.substr(0, n);
  EXPECT_TRUE(decode(whole));
}

TEST(bencode, rejects_trailing_data_and_stray_bytes) {
  EXPECT_EQ(error_of("i1ei2e").offset, 3u);
  EXPECT_EQ(error_of("x").offset, 0u);
  EXPECT_EQ(error_of("le ").offset, 2u);
  EXPECT_EQ(error_of("di1ei2ee").offset, 1u);  // keys are strings
}

TEST(bencode, strict_mode_wants_sorted_unique_keys) {
  //                 offsets:  0123456789
  EXPECT_EQ(error_of("d1:bi1e1:ai2ee").offset, 7u);
  EXPECT_EQ(error_of("d1:ai1e1:ai2ee").offset, 7u);
  EXPECT_NE(error_of("d1:ai1e1:ai2ee").text.find("duplicate"), std::string::npos);
  EXPECT_EQ(error_of("d1:\xffi1e1:ai2ee").offset, 7u);  // 0xff sorts after 'a'
  EXPECT_TRUE(decode("d1:ai1e1:\xffi2ee"));
  EXPECT_TRUE(decode("d1:ai1e2:aai2ee"));
}

TEST(bencode, lenient_mode_accepts_unsorted_keys_but_not_duplicates) {
  const decode_options lenient{.keys = key_order::lenient};
  const decode_result r = decode("d1:bi1e1:ai2ee", lenient);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.get(), (value::dict{{"a", 2}, {"b", 1}}));
  EXPECT_EQ(encoded(r.get()), "d1:ai2e1:bi1ee");
  EXPECT_EQ(error_of("d1:bi1e1:ai2e1:bi3ee", lenient).offset, 13u);
}

TEST(bencode, nesting_is_limited) {
  const auto nested = [](std::size_t depth) {
    return std::string(depth, 'l') + std::string(depth, 'e');
  };
  EXPECT_TRUE(decode(nested(64)));
  EXPECT_EQ(error_of(nested(65)).offset, 64u);
  EXPECT_EQ(error_of("d1:ad1:ad1:ai1eeee", decode_options{.max_depth = 2}).offset, 8u);
  // Far deeper than the stack would allow without the limit.
  EXPECT_FALSE(decode(std::string(1'000'000, 'l')));
}

TEST(bencode, span_of_a_nested_value_is_its_exact_bytes) {
  const std::string text = "d8:announce3:url4:infod6:lengthi5e4:name1:xe5:zlistl1:ai7eee";
  const auto info = find_span(bytes_of(text), {"info"});
  ASSERT_TRUE(info);
  EXPECT_EQ(text.substr(info->offset, info->size), "d6:lengthi5e4:name1:xe");
  const auto name = find_span(bytes_of(text), {"info", "name"});
  ASSERT_TRUE(name);
  EXPECT_EQ(text.substr(name->offset, name->size), "1:x");
  const auto second = find_span(bytes_of(text), {"zlist", 1});
  ASSERT_TRUE(second);
  EXPECT_EQ(text.substr(second->offset, second->size), "i7e");
  const auto whole = find_span(bytes_of(text), {});
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->size, text.size());
}

TEST(bencode, span_is_absent_for_missing_paths_and_invalid_input) {
  const std::string text = "d4:infod4:name1:xe4:listli1eee";
  EXPECT_FALSE(find_span(bytes_of(text), {"nope"}));
  EXPECT_FALSE(find_span(bytes_of(text), {"info", "length"}));
  EXPECT_FALSE(find_span(bytes_of(text), {"list", 1}));
  EXPECT_FALSE(find_span(bytes_of(text), {"list", "key"}));
  EXPECT_FALSE(find_span(bytes_of(text), {"info", 0}));
  EXPECT_FALSE(find_span(bytes_of("d4:infod4:name1:xe"), {"info"}));  // truncated
}

TEST(bencode, span_keeps_unsorted_keys_as_written) {
  const std::string text = "d4:infod4:name1:x6:lengthi5eee";
  EXPECT_FALSE(find_span(bytes_of(text), {"info"}));
  const auto info = find_span(bytes_of(text), {"info"}, {.keys = key_order::lenient});
  ASSERT_TRUE(info);
  EXPECT_EQ(text.substr(info->offset, info->size), "d4:name1:x6:lengthi5ee");
}

// Decoding either fails at an offset inside the input or yields a value that
// re-encodes to exactly the input (strict input is canonical).
void expect_canonical_or_error(std::string_view s, int& decoded) {
  const decode_result r = decode(s);
  if (r) {
    ++decoded;
    EXPECT_EQ(encoded(r.get()), s);
  } else {
    EXPECT_LE(r.error().offset, s.size());
  }
}

TEST(bencode, random_and_mutated_inputs_decode_canonically_or_fail_cleanly) {
  rng gen(7);
  std::uniform_int_distribution<int> pick(0, 15);
  const std::string alphabet = "ilde0123456789:-";
  int decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s(static_cast<std::size_t>(pick(gen) + pick(gen)), ' ');
    for (char& c : s)
      c = alphabet[static_cast<std::size_t>(pick(gen))];
    expect_canonical_or_error(s, decoded);
  }
  const std::string valid =
      encoded(value::dict{{"a", value::list{1, "xyz", value::dict{{"q", -12}}}}, {"bb", "c"}});
  std::uniform_int_distribution<std::size_t> where(0, valid.size() - 1);
  for (int round = 0; round < 20000; ++round) {
    std::string s = valid;
    s[where(gen)] = alphabet[static_cast<std::size_t>(pick(gen))];
    expect_canonical_or_error(s, decoded);
  }
  EXPECT_GT(decoded, 1000);  // the round-trip property was exercised
}

}  // namespace
}  // namespace swarmsim::protocol::bencode
