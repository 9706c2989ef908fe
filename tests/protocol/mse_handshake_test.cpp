// Message stream encryption: two handshakes joined back to back, in every
// policy pairing, with bytes delivered whole and one at a time; what a responder
// does with a plaintext handshake and with garbage; RC4 against a reference.

#include "protocol/mse_handshake.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

namespace swarmsim::protocol {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes text(std::string_view s) {
  return bytes(s.begin(), s.end());
}

sha1_hash hash_filled(std::uint8_t v) {
  sha1_hash h;
  h.fill(v);
  return h;
}

// Delivers each side's output to the other, in chunks of at most `chunk` bytes,
// until neither has anything to say.
void exchange(mse_handshake& a, mse_handshake& b, std::size_t chunk) {
  for (int round = 0; round < 100; ++round) {
    const auto from_a = a.take_output();
    const auto from_b = b.take_output();
    if (from_a.empty() && from_b.empty()) return;
    for (std::size_t i = 0; i < from_a.size(); i += chunk)
      b.feed(std::span(from_a).subspan(i, std::min(chunk, from_a.size() - i)));
    for (std::size_t i = 0; i < from_b.size(); i += chunk)
      a.feed(std::span(from_b).subspan(i, std::min(chunk, from_b.size() - i)));
  }
  FAIL() << "handshake did not settle";
}

// Sends `message` through one side's result to the other's, as a driver would.
bytes carry(mse_result& from, mse_result& to, bytes message) {
  if (from.encryptor) from.encryptor->apply(message);
  if (to.decryptor) to.decryptor->apply(message);
  return message;
}

struct pairing {
  encryption_policy initiator;
  encryption_policy responder;
  stream_cipher expected;
};

class mse_pairing : public ::testing::TestWithParam<pairing> {};

TEST_P(mse_pairing, agrees_on_the_cipher_and_carries_the_stream_both_ways) {
  const auto [ip, rp, expected] = GetParam();
  const sha1_hash info = hash_filled(0xab);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{100'000}}) {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
      rng ra(seed), rb(seed + 1000);
      auto a = mse_handshake::initiator(info, ip, ra);
      auto b = mse_handshake::responder({hash_filled(1), info}, rp, rb);
      exchange(a, b, chunk);
      ASSERT_TRUE(a.done()) << "chunk " << chunk << " seed " << seed;
      ASSERT_TRUE(b.done());
      auto ra_result = a.take_result();
      auto rb_result = b.take_result();
      EXPECT_EQ(ra_result.cipher, expected);
      EXPECT_EQ(rb_result.cipher, expected);
      EXPECT_TRUE(rb_result.exchanged);
      EXPECT_EQ(rb_result.info_hash, info);
      EXPECT_TRUE(ra_result.payload.empty());
      EXPECT_TRUE(rb_result.payload.empty());
      EXPECT_EQ(ra_result.encryptor.has_value(), expected == stream_cipher::rc4);
      for (int i = 0; i < 3; ++i) {
        const bytes hello = text(
            "\x13"
            "BitTorrent protocol and more " +
            std::to_string(i));
        EXPECT_EQ(carry(ra_result, rb_result, hello), hello);
        EXPECT_EQ(carry(rb_result, ra_result, hello), hello);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    policies, mse_pairing,
    ::testing::Values(
        pairing{encryption_policy::enabled, encryption_policy::enabled, stream_cipher::plaintext},
        pairing{encryption_policy::required, encryption_policy::enabled, stream_cipher::rc4},
        pairing{encryption_policy::enabled, encryption_policy::required, stream_cipher::rc4},
        pairing{encryption_policy::required, encryption_policy::required, stream_cipher::rc4}));

TEST(mse_handshake, rc4_hides_the_stream_on_the_wire) {
  rng ra(3), rb(4);
  const sha1_hash info = hash_filled(7);
  auto a = mse_handshake::initiator(info, encryption_policy::required, ra);
  auto b = mse_handshake::responder({info}, encryption_policy::enabled, rb);
  exchange(a, b, 1000);
  auto x = a.take_result();
  bytes m = text(
      "\x13"
      "BitTorrent protocol");
  x.encryptor->apply(m);
  EXPECT_NE(m, text("\x13"
                    "BitTorrent protocol"));
}

TEST(mse_handshake, responder_receives_the_initial_payload_and_what_follows_it) {
  rng ra(5), rb(6);
  const sha1_hash info = hash_filled(9);
  const bytes ia = text("initial payload");
  for (auto policy : {encryption_policy::enabled, encryption_policy::required}) {
    auto a = mse_handshake::initiator(info, policy, ra, ia);
    auto b = mse_handshake::responder({info}, encryption_policy::enabled, rb);
    // Ya first, then the rest with stream bytes glued on behind the IA.
    b.feed(a.take_output());
    a.feed(b.take_output());
    bytes third = a.take_output();
    ASSERT_FALSE(a.done());
    ASSERT_FALSE(third.empty());
    b.feed(third);
    a.feed(b.take_output());
    ASSERT_TRUE(a.done() && b.done());
    auto ar = a.take_result();
    auto br = b.take_result();
    EXPECT_EQ(br.payload, ia);
    EXPECT_EQ(carry(ar, br, text("next")), text("next"));
  }
}

TEST(mse_handshake, stream_bytes_in_the_same_read_as_the_handshake_end_reach_the_payload) {
  rng ra(11), rb(12);
  const sha1_hash info = hash_filled(3);
  auto a = mse_handshake::initiator(info, encryption_policy::required, ra);
  auto b = mse_handshake::responder({info}, encryption_policy::required, rb);
  b.feed(a.take_output());
  a.feed(b.take_output());
  b.feed(a.take_output());
  ASSERT_TRUE(b.done());
  auto br = b.take_result();
  bytes to_a = b.take_output();
  bytes stream = text("the responder's handshake");
  br.encryptor->apply(stream);
  to_a.insert(to_a.end(), stream.begin(), stream.end());
  a.feed(to_a);
  ASSERT_TRUE(a.done());
  EXPECT_EQ(a.take_result().payload, text("the responder's handshake"));
}

TEST(mse_handshake, responder_passes_a_plaintext_handshake_through_when_allowed) {
  rng r(1);
  using namespace std::string_view_literals;
  const bytes plain = text(
      "\x13"
      "BitTorrent protocol"
      "\0\0\0\0\0\0\0\0 rest"sv);
  auto b = mse_handshake::responder({hash_filled(1)}, encryption_policy::enabled, r);
  b.feed(std::span(plain).first(5));
  EXPECT_FALSE(b.done());
  EXPECT_FALSE(b.failed());
  b.feed(std::span(plain).subspan(5));
  ASSERT_TRUE(b.done());
  EXPECT_TRUE(b.take_output().empty());
  auto result = b.take_result();
  EXPECT_FALSE(result.exchanged);
  EXPECT_EQ(result.cipher, stream_cipher::plaintext);
  EXPECT_EQ(result.payload, plain);
}

TEST(mse_handshake, responder_requiring_encryption_refuses_a_plaintext_handshake) {
  rng r(1);
  auto b = mse_handshake::responder({hash_filled(1)}, encryption_policy::required, r);
  b.feed(
      text("\x13"
           "BitTorrent protocol"));
  ASSERT_TRUE(b.failed());
  EXPECT_EQ(b.error(), mse_error::plaintext_refused);
  EXPECT_TRUE(b.take_output().empty());
}

TEST(mse_handshake, responder_refuses_a_torrent_it_does_not_serve) {
  rng ra(1), rb(2);
  auto a = mse_handshake::initiator(hash_filled(1), encryption_policy::enabled, ra);
  auto b = mse_handshake::responder({hash_filled(2)}, encryption_policy::enabled, rb);
  exchange(a, b, 1000);
  EXPECT_TRUE(b.failed());
  EXPECT_EQ(b.error(), mse_error::unknown_torrent);
  EXPECT_FALSE(a.done());
}

TEST(mse_handshake, garbage_fails_once_the_sync_window_has_passed) {
  rng r(1), noise(99);
  auto b = mse_handshake::responder({hash_filled(1)}, encryption_policy::enabled, r);
  bytes junk(mse_handshake::key_size + mse_handshake::max_pad + 20 - 1);
  for (auto& x : junk)
    x = static_cast<std::uint8_t>(noise() | 1);
  b.feed(junk);
  EXPECT_FALSE(b.failed()) << "the marker may still start in the window";
  EXPECT_FALSE(b.take_output().empty()) << "Yb goes out once Ya is in";
  b.feed(bytes{0x55});
  ASSERT_TRUE(b.failed());
  EXPECT_EQ(b.error(), mse_error::no_sync);
  b.feed(bytes(100, 0));
  EXPECT_TRUE(b.take_output().empty());
}

TEST(mse_handshake, initiator_fails_on_an_answer_without_the_verification_constant) {
  rng ra(1), noise(5);
  auto a = mse_handshake::initiator(hash_filled(1), encryption_policy::enabled, ra);
  bytes answer(mse_handshake::key_size + mse_handshake::max_pad + 8);
  for (auto& x : answer)
    x = static_cast<std::uint8_t>(noise());
  a.feed(answer);
  ASSERT_TRUE(a.failed());
  EXPECT_EQ(a.error(), mse_error::no_sync);
}

TEST(mse_handshake, initiator_fails_at_once_on_a_plaintext_answer) {
  rng ra(1);
  auto a = mse_handshake::initiator(hash_filled(1), encryption_policy::enabled, ra);
  a.feed(
      text("\x13"
           "BitTorrent protocol"));
  ASSERT_TRUE(a.failed());
  EXPECT_EQ(a.error(), mse_error::plaintext_reply);
}

TEST(mse_handshake, policies_parse_and_print) {
  for (auto p :
       {encryption_policy::disabled, encryption_policy::enabled, encryption_policy::required})
    EXPECT_EQ(parse_encryption_policy(to_string(p)), p);
  EXPECT_FALSE(parse_encryption_policy("maybe"));
  EXPECT_TRUE(retry_in_plaintext(encryption_policy::enabled));
  EXPECT_FALSE(retry_in_plaintext(encryption_policy::required));
}

TEST(mse_handshake, key_agreement_uses_the_mse_prime) {
  // 2^x mod P for x = 0x0102...14, computed independently (Python's pow()).
  bytes x(20);
  std::iota(x.begin(), x.end(), 1);
  const std::string expected =
      "96e112dab29e8c5272accb9b17b26887ce54a144a4e3b697c7d159b7a817e556b0918db2b4c658e02a87f7e5fb"
      "14b18a553e084cbf3dad2d30f16596ccb982d406258c61b30c5c1dae2ddc60bdbd48d79896312aad63238c39e1"
      "a633821eb693";
  const std::array<std::uint8_t, 1> two{2};
  const auto y = mse_handshake::mod_exp(two, x);
  std::string hex;
  for (const auto b : y)
    hex += fmt::format("{:02x}", b);
  EXPECT_EQ(hex, expected);
}

// RC4 as published (key scheduling, then the generator), the oracle for rc4_stream.
bytes reference_rc4(const bytes& key, std::size_t skip, std::size_t n) {
  std::vector<std::uint8_t> s(256);
  std::iota(s.begin(), s.end(), 0);
  for (std::size_t i = 0, j = 0; i < 256; ++i) {
    j = (j + s[i] + key[i % key.size()]) % 256;
    std::swap(s[i], s[j]);
  }
  bytes out;
  for (std::size_t k = 0, i = 0, j = 0; k < skip + n; ++k) {
    i = (i + 1) % 256;
    j = (j + s[i]) % 256;
    std::swap(s[i], s[j]);
    if (k >= skip) out.push_back(s[(s[i] + s[j]) % 256]);
  }
  return out;
}

TEST(rc4_stream, matches_the_published_algorithm_after_discarding_1024_bytes) {
  bytes key(20);
  std::iota(key.begin(), key.end(), 1);
  rc4_stream cipher(key);
  bytes stream(3000, 0);
  cipher.apply(std::span(stream).first(1));  // in pieces: state carries over
  cipher.apply(std::span(stream).subspan(1));
  EXPECT_EQ(stream, reference_rc4(key, rc4_stream::discarded_bytes, 3000));
}

}  // namespace
}  // namespace swarmsim::protocol
