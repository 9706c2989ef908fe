#include "protocol/bitfield.hpp"

#include <gtest/gtest.h>

namespace swarmsim::protocol {
namespace {

TEST(bitfield, counts_and_tests_bits) {
  auto b = bitfield::from_string("1101 0**");
  EXPECT_EQ(b.size(), 8u);
  EXPECT_EQ(b.count(), 5u);
  EXPECT_TRUE(b.test(0u));
  EXPECT_FALSE(b.test(2u));
  EXPECT_TRUE(b.test(7u));
  EXPECT_FALSE(b.set(0u));
  EXPECT_TRUE(b.reset(0u));
  EXPECT_EQ(b.count(), 4u);
}

TEST(bitfield, wire_bytes_are_big_endian_by_bit) {
  auto b = bitfield::from_string("1000000001");
  auto bytes = b.to_bytes();
  ASSERT_EQ(bytes.size(), 2u);
  EXPECT_EQ(bytes[0], 0x80);
  EXPECT_EQ(bytes[1], 0x40);
  auto back = bitfield::from_bytes(bytes, 10);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, b);
}

TEST(bitfield, from_bytes_rejects_spare_bits_and_wrong_length) {
  const std::uint8_t spare[] = {0xff, 0xff};  // 10 pieces: bits 10..15 must be zero
  EXPECT_FALSE(bitfield::from_bytes(spare, 10));
  const std::uint8_t short_buf[] = {0xff};
  EXPECT_FALSE(bitfield::from_bytes(short_buf, 10));
  const std::uint8_t ok[] = {0xff, 0xc0};
  auto b = bitfield::from_bytes(ok, 10);
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->all());
}

TEST(bitfield, set_all_keeps_spare_bits_clear) {
  bitfield b(70);
  b.set_all();
  EXPECT_EQ(b.count(), 70u);
  EXPECT_TRUE(b.all());
  std::uint32_t seen = 0;
  b.for_each_set([&](std::uint32_t i) {
    EXPECT_LT(i, 70u);
    ++seen;
  });
  EXPECT_EQ(seen, 70u);
  EXPECT_EQ(bitfield(70, true), b);
}

TEST(bitfield, set_difference_queries) {
  auto peer = bitfield::from_string("1110");
  auto ours = bitfield::from_string("1010");
  EXPECT_TRUE(peer.has_any_not_in(ours));
  EXPECT_EQ(peer.count_not_in(ours), 1u);
  EXPECT_FALSE(ours.has_any_not_in(peer));
}

TEST(bitfield, copies_are_independent_and_assignment_takes_the_other_size) {
  bitfield a(66);  // two words
  a.set(0u);
  a.set(65u);
  bitfield b = a;
  EXPECT_EQ(b, a);
  b.set(1u);
  EXPECT_FALSE(a.test(1u));
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(b.count(), 3u);

  bitfield small = bitfield::from_string("101");
  small = a;  // grows to two words
  EXPECT_EQ(small.size(), 66u);
  EXPECT_TRUE(small.test(65u));
  EXPECT_EQ(small, a);
  small = bitfield::from_string("11");  // shrinks again
  EXPECT_EQ(small.to_string(), "11");

  const bitfield& same = a;
  a = same;  // self-assignment keeps the bits
  EXPECT_EQ(a.count(), 2u);
  EXPECT_TRUE(a.test(65u));

  bitfield empty;
  b = empty;
  EXPECT_EQ(b.size(), 0u);
  EXPECT_TRUE(b.words().empty());
  EXPECT_EQ(b, empty);
}

TEST(bitfield, a_moved_from_bitfield_is_empty) {
  auto a = bitfield::from_string("0110");
  bitfield b = std::move(a);
  EXPECT_EQ(b.to_string(), "0110");
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_EQ(a.count(), 0u);
  EXPECT_TRUE(a.words().empty());
  a = std::move(b);
  EXPECT_EQ(a.to_string(), "0110");
  EXPECT_EQ(b.size(), 0u);  // NOLINT(bugprone-use-after-move)
  a = bitfield(3, true);
  EXPECT_EQ(a.to_string(), "111");
  EXPECT_EQ(a.words().size(), 1u);
}

}  // namespace
}  // namespace swarmsim::protocol
