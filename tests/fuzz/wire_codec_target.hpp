#pragma once
// Fuzz target: the peer wire decoder (protocol/wire_codec.hpp).
// Input layout: 2 bytes choose num_pieces (1..4096), 1 byte chooses whether a
// handshake comes first and how the rest is cut into chunks; the rest is the
// byte stream from the peer. Properties checked:
// 1. Every decoded message re-encodes to exactly the bytes it was decoded from,
//    and wire_size() is that length.
// 2. Feeding the stream whole or in chunks gives the same messages and the same
//    error.
// 3. After an error the decoder stays failed, returns the same error, and drops
//    further input.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "protocol/wire_codec.hpp"

namespace swarmsim::fuzz {

struct wire_outcome {
  std::vector<protocol::message> messages;
  std::optional<protocol::wire_error> error;
};

// Drains d, checking property 1 against `stream` (everything fed so far).
inline void wire_drain(protocol::decoder& d, std::span<const std::uint8_t> stream,
                       std::size_t& consumed, wire_outcome& out) {
  for (;;) {
    auto r = d.next();
    if (r.needs_more()) return;
    if (r.has_error()) {
      check(d.failed(), "an error leaves the decoder failed");
      if (!out.error) out.error = r.error();
      check(d.next().has_error() && d.next().error() == *out.error, "the error repeats");
      return;
    }
    const std::size_t now_consumed = stream.size() - d.buffered();
    check(now_consumed > consumed && now_consumed <= stream.size(), "a message consumes bytes");
    const auto bytes = stream.subspan(consumed, now_consumed - consumed);
    check(protocol::encode(r.get()) == std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
          "a decoded message re-encodes to its bytes");
    check(protocol::wire_size(r.get()) == bytes.size(), "wire_size is the decoded length");
    consumed = now_consumed;
    out.messages.push_back(std::move(r.get()));
  }
}

inline void wire_codec_one(std::span<const std::uint8_t> data) {
  if (data.size() < 3) return;
  const std::uint32_t num_pieces = 1 + ((std::uint32_t{data[0]} << 8 | data[1]) % 4096);
  const auto start = (data[2] & 1) ? protocol::decoder_start::with_handshake
                                   : protocol::decoder_start::after_handshake;
  std::uint32_t cut = data[2] >> 1;
  const auto stream = data.subspan(3);

  protocol::decoder whole(num_pieces, start);
  wire_outcome a;
  std::size_t consumed_a = 0;
  whole.feed(stream);
  wire_drain(whole, stream, consumed_a, a);

  protocol::decoder chunked(num_pieces, start);
  wire_outcome b;
  std::size_t consumed_b = 0;
  std::size_t fed = 0;
  while (fed < stream.size()) {
    cut = cut * 1103515245u + 12345u;
    const std::size_t n = std::min<std::size_t>(1 + (cut >> 16) % 97, stream.size() - fed);
    chunked.feed(stream.subspan(fed, n));
    fed += n;
    if (chunked.failed()) {
      check(chunked.buffered() == 0, "a failed decoder buffers nothing");
    } else {
      wire_drain(chunked, stream.first(fed), consumed_b, b);
    }
  }
  wire_drain(chunked, stream, consumed_b, b);

  check(a.messages == b.messages, "whole and chunked feeding give the same messages");
  check(a.error.has_value() == b.error.has_value() && (!a.error || *a.error == *b.error),
        "whole and chunked feeding give the same error");
}

}  // namespace swarmsim::fuzz
