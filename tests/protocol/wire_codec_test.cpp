#include "protocol/wire_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include "protocol/torrent_geometry.hpp"

namespace swarmsim::protocol {
namespace {

// "00 00 00 05 04" -> bytes; "'abc'" spells ASCII bytes inside the hex.
std::vector<std::uint8_t> hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == ' ') {
      ++i;
    } else if (text[i] == '\'') {
      const std::size_t end = text.find('\'', i + 1);
      out.insert(out.end(), text.begin() + i + 1, text.begin() + end);
      i = end + 1;
    } else {
      out.push_back(
          static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
      i += 2;
    }
  }
  return out;
}

sha1_hash filled_hash(std::uint8_t first) {
  sha1_hash h{};
  for (std::size_t i = 0; i < h.size(); ++i)
    h[i] = static_cast<std::uint8_t>(first + i);
  return h;
}

msg::handshake sample_handshake() {
  msg::handshake h;
  h.info_hash = filled_hash(0x10);
  h.peer = filled_hash(0x40);
  h.reserved = {0, 0, 0, 0, 0, 0x10, 0, 0x05};
  return h;
}

msg::piece piece_with(std::uint32_t index, std::uint32_t begin, std::string_view data) {
  return msg::piece{piece_index{index}, begin, static_cast<std::uint32_t>(data.size()),
                    std::vector<std::uint8_t>(data.begin(), data.end())};
}

// One of each message type, for a torrent of 10 pieces, handshake first.
std::vector<message> every_message() {
  return {sample_handshake(),
          msg::keep_alive{},
          msg::choke{},
          msg::unchoke{},
          msg::interested{},
          msg::not_interested{},
          msg::have{piece_index{9}},
          msg::bitfield{bitfield::from_string("1011000001")},
          msg::request{piece_index{3}, 16384, 16384},
          piece_with(4, 32768, "hello, swarm"),
          msg::cancel{piece_index{3}, 16384, 16384}};
}

std::vector<std::uint8_t> encode_all(const std::vector<message>& messages) {
  std::vector<std::uint8_t> out;
  for (const message& m : messages)
    encode(m, out);
  return out;
}

// Messages until the decoder needs more bytes; stops at (and records) an error.
struct drained {
  std::vector<message> messages;
  std::optional<wire_error> error;
};
drained drain(decoder& d) {
  drained out;
  while (true) {
    decode_result r = d.next();
    if (r.needs_more()) return out;
    if (r.has_error()) {
      out.error = r.error();
      return out;
    }
    out.messages.push_back(std::move(r.get()));
  }
}

wire_error_code error_after_feeding(std::string_view bytes, std::uint32_t num_pieces = 10,
                                    decoder_start start = decoder_start::after_handshake) {
  decoder d(num_pieces, start);
  d.feed(hex(bytes));
  const decode_result r = d.next();
  if (!r.has_error()) throw std::logic_error("expected a decode error");
  return r.error().code;
}

TEST(wire_codec, encodes_bep3_bytes) {
  EXPECT_EQ(encode(msg::keep_alive{}), hex("00 00 00 00"));
  EXPECT_EQ(encode(msg::choke{}), hex("00 00 00 01 00"));
  EXPECT_EQ(encode(msg::unchoke{}), hex("00 00 00 01 01"));
  EXPECT_EQ(encode(msg::interested{}), hex("00 00 00 01 02"));
  EXPECT_EQ(encode(msg::not_interested{}), hex("00 00 00 01 03"));
  EXPECT_EQ(encode(msg::have{piece_index{1}}), hex("00 00 00 05 04 00 00 00 01"));
  EXPECT_EQ(encode(msg::bitfield{bitfield::from_string("1000000001")}),
            hex("00 00 00 03 05 80 40"));
  EXPECT_EQ(encode(msg::request{piece_index{258}, 0x4000, 0x4000}),
            hex("00 00 00 0d 06 00 00 01 02 00 00 40 00 00 00 40 00"));
  EXPECT_EQ(encode(piece_with(2, 0x8000, "ab")),
            hex("00 00 00 0b 07 00 00 00 02 00 00 80 00 'ab'"));
  EXPECT_EQ(encode(msg::cancel{piece_index{1}, 0, 0x4000}),
            hex("00 00 00 0d 08 00 00 00 01 00 00 00 00 00 00 40 00"));
}

TEST(wire_codec, encodes_bep6_and_bep10_bytes_and_decodes_them_back) {
  const std::vector<std::pair<message, std::string_view>> cases{
      {msg::have_all{}, "00 00 00 01 0e"},
      {msg::have_none{}, "00 00 00 01 0f"},
      {msg::suggest_piece{piece_index{2}}, "00 00 00 05 0d 00 00 00 02"},
      {msg::allowed_fast{piece_index{3}}, "00 00 00 05 11 00 00 00 03"},
      {msg::reject_request{piece_index{1}, 0x4000, 0x4000},
       "00 00 00 0d 10 00 00 00 01 00 00 40 00 00 00 40 00"},
      {msg::extended{0, {'d', 'e'}}, "00 00 00 04 14 00 'de'"},
  };
  for (const auto& [m, bytes] : cases) {
    EXPECT_EQ(encode(m), hex(bytes)) << name(m);
    EXPECT_EQ(encode(m).size(), wire_size(m)) << name(m);
    decoder d(10, decoder_start::after_handshake);
    d.feed(hex(bytes));
    decode_result r = d.next();
    ASSERT_TRUE(r.has_message()) << name(m);
    EXPECT_EQ(r.get(), m);
  }
  EXPECT_EQ(error_after_feeding("00 00 00 02 0e 00"), wire_error_code::bad_message_length);
  EXPECT_EQ(error_after_feeding("00 00 00 01 14"), wire_error_code::bad_message_length);
  EXPECT_EQ(error_after_feeding("00 00 00 0d 10 00 00 00 0a 00 00 00 00 00 00 40 00"),
            wire_error_code::piece_index_out_of_range);
}

TEST(wire_codec, encodes_the_68_byte_handshake) {
  msg::handshake h;
  h.info_hash.fill(0xaa);
  h.peer.fill(0xbb);
  h.reserved[7] = 0x01;
  std::vector<std::uint8_t> want = hex("13 'BitTorrent protocol' 00 00 00 00 00 00 00 01");
  want.insert(want.end(), 20, 0xaa);
  want.insert(want.end(), 20, 0xbb);
  EXPECT_EQ(encode(h), want);
  EXPECT_EQ(want.size(), msg::handshake_size);
}

TEST(wire_codec, encoded_size_is_wire_size_for_every_message) {
  for (const message& m : every_message()) {
    std::vector<std::uint8_t> out = {0xee};  // encode appends
    encode(m, out);
    EXPECT_EQ(out.size() - 1, wire_size(m)) << name(m);
    EXPECT_EQ(out.front(), 0xee);
  }
}

TEST(wire_codec, piece_header_is_the_start_of_the_piece_message) {
  const msg::piece p = piece_with(7, 16384, "data bytes");
  std::vector<std::uint8_t> header;
  encode_header(p, header);
  const std::vector<std::uint8_t> full = encode(p);
  ASSERT_EQ(header.size(), 13u);
  EXPECT_TRUE(std::equal(header.begin(), header.end(), full.begin()));
}

TEST(wire_codec, refuses_to_encode_a_piece_without_its_data) {
  const msg::piece simulated{piece_index{0}, 0, 16384, {}};
  std::vector<std::uint8_t> out;
  EXPECT_THROW(encode(simulated, out), std::invalid_argument);
}

TEST(wire_codec, round_trips_every_message_type) {
  const std::vector<message> sent = every_message();
  decoder d(10);
  d.feed(encode_all(sent));
  const drained got = drain(d);
  EXPECT_FALSE(got.error);
  EXPECT_EQ(got.messages, sent);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(wire_codec, one_byte_at_a_time_gives_the_same_messages) {
  const std::vector<message> sent = every_message();
  const std::vector<std::uint8_t> bytes = encode_all(sent);
  decoder d(10);
  std::vector<message> got;
  for (std::uint8_t b : bytes) {
    d.feed(std::span(&b, 1));
    drained step = drain(d);
    ASSERT_FALSE(step.error) << step.error->text;
    for (message& m : step.messages)
      got.push_back(std::move(m));
  }
  EXPECT_EQ(got, sent);
}

TEST(wire_codec, random_chunking_of_a_long_stream_gives_the_same_messages) {
  std::vector<message> sent;
  for (std::uint32_t i = 0; i < 300; ++i) {
    sent.emplace_back(std::in_place_type<msg::have>, piece_index{i % 10});
    sent.emplace_back(
        piece_with(i % 10, i * 16, std::string(i % 50 + 1, static_cast<char>('a' + i % 26))));
    if (i % 7 == 0) sent.emplace_back(std::in_place_type<msg::keep_alive>);
  }
  const std::vector<std::uint8_t> bytes = encode_all(sent);
  rng gen(42);
  std::uniform_int_distribution<std::size_t> chunk(1, 200);
  decoder d(10, decoder_start::after_handshake);
  std::vector<message> got;
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t n = std::min(chunk(gen), bytes.size() - at);
    d.feed(std::span(bytes).subspan(at, n));
    at += n;
    drained step = drain(d);
    ASSERT_FALSE(step.error) << step.error->text;
    for (message& m : step.messages)
      got.push_back(std::move(m));
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(wire_codec, truncated_message_waits_for_the_rest) {
  const std::vector<std::uint8_t> request = encode(msg::request{piece_index{1}, 0, 16384});
  decoder d(10, decoder_start::after_handshake);
  d.feed(std::span(request).first(request.size() - 1));
  EXPECT_TRUE(d.next().needs_more());
  EXPECT_EQ(d.buffered(), request.size() - 1);
  d.feed(std::span(request).last(1));
  const decode_result r = d.next();
  ASSERT_TRUE(r.has_message());
  EXPECT_EQ(r.get(), (message{msg::request{piece_index{1}, 0, 16384}}));
}

TEST(wire_codec, handshake_comes_first_when_expected) {
  decoder d(10);
  EXPECT_TRUE(d.awaiting_handshake());
  std::vector<std::uint8_t> bytes = encode(sample_handshake());
  encode(msg::interested{}, bytes);
  d.feed(bytes);
  const drained got = drain(d);
  ASSERT_EQ(got.messages.size(), 2u);
  EXPECT_EQ(got.messages[0], (message{sample_handshake()}));
  EXPECT_EQ(got.messages[1], (message{msg::interested{}}));
  EXPECT_FALSE(d.awaiting_handshake());
}

TEST(wire_codec, rejects_a_wrong_protocol_string_at_its_first_bad_byte) {
  decoder d(10);
  d.feed(hex("13 'BitTorrent'"));
  EXPECT_TRUE(d.next().needs_more());
  d.feed(hex("'-'"));  // 12 bytes in: no need to wait for all 68
  const decode_result r = d.next();
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().code, wire_error_code::bad_handshake);

  EXPECT_EQ(error_after_feeding("14", 10, decoder_start::with_handshake),
            wire_error_code::bad_handshake);
  // A length-prefixed message where the handshake belongs.
  EXPECT_EQ(error_after_feeding("00 00 00 01 02", 10, decoder_start::with_handshake),
            wire_error_code::bad_handshake);
}

TEST(wire_codec, rejects_oversized_length_from_the_prefix_alone) {
  decoder d(10, decoder_start::after_handshake);
  EXPECT_EQ(d.max_message_length(), max_block_size + 13);
  d.feed(hex("00 00 ff ff"));  // 64 KiB: allowed, waits for the payload
  EXPECT_TRUE(d.next().needs_more());

  decoder big(10, decoder_start::after_handshake);
  big.feed(hex("7f ff ff ff"));  // 2 GiB claimed, 4 bytes sent
  const decode_result r = big.next();
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().code, wire_error_code::oversized_message);
  EXPECT_EQ(big.buffered(), 0u);

  decoder small(10, decoder_start::after_handshake, 64);
  small.feed(encode(piece_with(0, 0, std::string(56, 'x'))));  // length 65
  EXPECT_EQ(small.next().error().code, wire_error_code::oversized_message);
}

TEST(wire_codec, default_limit_admits_a_large_torrents_bitfield) {
  const std::uint32_t pieces = 2'000'000;  // 250 000-byte bitfield, above a 128 KiB block
  bitfield all(pieces, true);
  decoder d(pieces, decoder_start::after_handshake);
  d.feed(encode(msg::bitfield{all}));
  const decode_result r = d.next();
  ASSERT_TRUE(r.has_message());
  EXPECT_EQ(std::get<msg::bitfield>(r.get()).bits.count(), pieces);
}

TEST(wire_codec, rejects_unknown_ids) {
  EXPECT_EQ(error_after_feeding("00 00 00 03 09 1a e1"), wire_error_code::unknown_message_id);
  EXPECT_EQ(error_after_feeding("00 00 00 02 15 00"), wire_error_code::unknown_message_id);
  EXPECT_EQ(error_after_feeding("00 00 00 01 0c"), wire_error_code::unknown_message_id);
  EXPECT_EQ(error_after_feeding("00 00 00 01 ff"), wire_error_code::unknown_message_id);
}

TEST(wire_codec, rejects_lengths_that_do_not_fit_the_id) {
  EXPECT_EQ(error_after_feeding("00 00 00 02 00 00"), wire_error_code::bad_message_length);
  EXPECT_EQ(error_after_feeding("00 00 00 02 03 00"), wire_error_code::bad_message_length);
  EXPECT_EQ(error_after_feeding("00 00 00 06 04 00 00 00 01 00"),
            wire_error_code::bad_message_length);
  EXPECT_EQ(error_after_feeding("00 00 00 04 04 00 00 00"), wire_error_code::bad_message_length);
  EXPECT_EQ(error_after_feeding("00 00 00 0c 06"), wire_error_code::bad_message_length);
  EXPECT_EQ(error_after_feeding("00 00 00 0e 08"), wire_error_code::bad_message_length);
  // A piece message with no data byte.
  EXPECT_EQ(error_after_feeding("00 00 00 09 07 00 00 00 01 00 00 00 00"),
            wire_error_code::bad_message_length);
}

TEST(wire_codec, rejects_bitfields_of_the_wrong_size_or_with_spare_bits) {
  // 10 pieces need 2 bytes.
  EXPECT_EQ(error_after_feeding("00 00 00 04 05"), wire_error_code::bad_bitfield);
  EXPECT_EQ(error_after_feeding("00 00 00 02 05 ff"), wire_error_code::bad_bitfield);
  EXPECT_EQ(error_after_feeding("00 00 00 03 05 ff e0"), wire_error_code::bad_bitfield);
  EXPECT_EQ(error_after_feeding("00 00 00 03 05 ff c1"), wire_error_code::bad_bitfield);

  decoder ok(10, decoder_start::after_handshake);
  ok.feed(hex("00 00 00 03 05 ff c0"));
  const decode_result r = ok.next();
  ASSERT_TRUE(r.has_message());
  EXPECT_TRUE(std::get<msg::bitfield>(r.get()).bits.all());
}

TEST(wire_codec, rejects_zero_length_requests_and_cancels) {
  EXPECT_EQ(error_after_feeding("00 00 00 0d 06 00 00 00 01 00 00 00 00 00 00 00 00"),
            wire_error_code::zero_length_request);
  EXPECT_EQ(error_after_feeding("00 00 00 0d 08 00 00 00 01 00 00 40 00 00 00 00 00"),
            wire_error_code::zero_length_request);
}

TEST(wire_codec, rejects_piece_indices_beyond_the_torrent) {
  EXPECT_EQ(error_after_feeding("00 00 00 05 04 00 00 00 0a"),
            wire_error_code::piece_index_out_of_range);
  EXPECT_EQ(error_after_feeding("00 00 00 0d 06 80 00 00 00 00 00 00 00 00 00 40 00"),
            wire_error_code::piece_index_out_of_range);
  EXPECT_EQ(error_after_feeding("00 00 00 0a 07 00 00 00 0b 00 00 00 00 'x'"),
            wire_error_code::piece_index_out_of_range);

  decoder last_piece(10, decoder_start::after_handshake);
  last_piece.feed(hex("00 00 00 05 04 00 00 00 09"));
  EXPECT_EQ(last_piece.next().get(), (message{msg::have{piece_index{9}}}));
}

TEST(wire_codec, stays_failed_after_an_error) {
  decoder d(10, decoder_start::after_handshake);
  d.feed(hex("00 00 00 01 0b"));
  const decode_result first = d.next();
  ASSERT_TRUE(first.has_error());
  d.feed(encode(msg::interested{}));
  EXPECT_TRUE(d.failed());
  EXPECT_EQ(d.buffered(), 0u);
  const decode_result again = d.next();
  ASSERT_TRUE(again.has_error());
  EXPECT_EQ(again.error(), first.error());
}

TEST(wire_codec, error_texts_name_the_problem) {
  decoder d(10, decoder_start::after_handshake);
  d.feed(hex("00 00 00 06 04"));
  const decode_result r = d.next();
  ASSERT_TRUE(r.has_error());
  EXPECT_NE(r.error().text.find("have"), std::string::npos) << r.error().text;
  EXPECT_NE(r.error().text.find('6'), std::string::npos) << r.error().text;
  EXPECT_EQ(to_string(wire_error_code::oversized_message), "oversized message");
}

}  // namespace
}  // namespace swarmsim::protocol
