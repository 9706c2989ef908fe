#pragma once
// The BEP 3 peer wire codec (with BEP 6's messages and BEP 10's envelope): messages to bytes
// (encode) and bytes to messages (decoder), without any I/O.
//
// Wire forms: the handshake is the 68-byte "\x13BitTorrent protocol" + reserved(8)
// + info_hash(20) + peer id(20) block; every other message is a 4-byte big-endian
// length, then (unless the length is 0, a keep-alive) a 1-byte id and the payload.
//
// decoder keeps track of bytes received but not yet decoded, and of whether the
// handshake is still due. Invariants:
// 1. A length prefix is checked against max_message_length() and against its id as
//    soon as those bytes arrive; nothing is ever allocated from a length the peer
//    claims. The only buffering is of bytes the caller fed.
// 2. Every message next() returns is well formed for the torrent: fixed-size ids
//    have their exact length, piece indices are below num_pieces, a bitfield has
//    exactly num_pieces bits and no spare bit set, request/cancel ask for at least
//    one byte, and a piece carries data.size() == length >= 1 bytes.
// 3. After the first error the decoder stays failed: next() returns that error
//    again and feed() drops its input.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/message.hpp"

namespace swarmsim::protocol {

// Appends the wire bytes of m to out; exactly wire_size(m) bytes.
// Throws std::invalid_argument for a piece whose data.size() != length (a
// simulation-only piece carries no data and cannot be put on a wire).
void encode(const message& m, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> encode(const message& m);
// Appends only the 13 header bytes of a piece message (length prefix, id, index,
// begin) for a driver that sends the m.length data bytes from its own buffer.
void encode_header(const msg::piece& m, std::vector<std::uint8_t>& out);

enum class wire_error_code : std::uint8_t {
  bad_handshake,             // not "\x13BitTorrent protocol"
  oversized_message,         // length prefix above max_message_length()
  unknown_message_id,        // id outside BEP 3's 0..8, BEP 6's 13..17 and BEP 10's 20
  bad_message_length,        // length does not fit the id (e.g. have of 6 bytes)
  bad_bitfield,              // wrong byte count for num_pieces, or spare bits set
  piece_index_out_of_range,  // have/request/piece/cancel for a piece >= num_pieces
  zero_length_request,       // request or cancel of 0 bytes
};
std::string_view to_string(wire_error_code code);

struct wire_error {
  wire_error_code code;
  std::string text;
  friend bool operator==(const wire_error&, const wire_error&) = default;
};

// What next() found: a message, the need for more bytes, or an error.
class decode_result {
 public:
  static decode_result need_more() { return decode_result{}; }
  decode_result(message&& m) : v_(std::in_place_type<message>, std::move(m)) {}
  // One alternative of message, built in place.
  template <typename M>
  requires(!std::same_as<M, message> && std::constructible_from<message, M>) decode_result(M&& m)
      : v_(std::in_place_type<message>, std::in_place_type<std::remove_cvref_t<M>>,
           std::forward<M>(m)) {}
  decode_result(wire_error e) : v_(std::in_place_type<wire_error>, std::move(e)) {}

  bool has_message() const { return std::holds_alternative<message>(v_); }
  bool needs_more() const { return std::holds_alternative<need_more_bytes>(v_); }
  bool has_error() const { return std::holds_alternative<wire_error>(v_); }
  // Preconditions: has_message() / has_error() respectively.
  message& get() { return std::get<message>(v_); }
  const message& get() const { return std::get<message>(v_); }
  const wire_error& error() const { return std::get<wire_error>(v_); }

 private:
  struct need_more_bytes {};
  decode_result() = default;
  std::variant<need_more_bytes, message, wire_error> v_;
};

enum class decoder_start : std::uint8_t {
  with_handshake,   // a fresh connection: the peer's handshake comes first
  after_handshake,  // length-prefixed messages only
};

class decoder {
 public:
  // The default limit on a length prefix: the larger of a full bitfield and a
  // max_block_size piece, plus the 13 header bytes.
  static std::uint32_t default_max_message_length(std::uint32_t num_pieces);

  explicit decoder(std::uint32_t num_pieces, decoder_start start = decoder_start::with_handshake);
  decoder(std::uint32_t num_pieces, decoder_start start, std::uint32_t max_message_length);

  // Buffers bytes received from the peer (dropped once failed()).
  void feed(std::span<const std::uint8_t> bytes);
  // Decodes the next complete message, if the buffered bytes hold one.
  decode_result next();

  bool failed() const { return error_.has_value(); }
  bool awaiting_handshake() const { return awaiting_handshake_; }
  // Bytes fed but not yet returned as messages.
  std::size_t buffered() const { return buffer_.size() - read_; }
  std::uint32_t num_pieces() const { return num_pieces_; }
  std::uint32_t max_message_length() const { return max_message_length_; }

 private:
  decode_result decode_handshake(std::span<const std::uint8_t> in);
  decode_result decode_message(std::span<const std::uint8_t> in);
  decode_result fail(wire_error_code code, std::string text);

  std::vector<std::uint8_t> buffer_;
  std::size_t read_ = 0;  // buffer_[0, read_) is decoded already
  std::uint32_t num_pieces_;
  std::uint32_t max_message_length_;
  bool awaiting_handshake_;
  std::optional<wire_error> error_;
};

}  // namespace swarmsim::protocol
