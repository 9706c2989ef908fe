#pragma once
// The BitTorrent peer wire messages of BEP 3, the fast extension's (BEP 6) and
// the extension protocol's envelope (BEP 10), as plain structs.
//
// 1. Every message knows its exact size on the wire (wire_size), length prefix
//    included, so the simulator charges links the bytes a real client would send.
// 2. A piece message may carry no payload (`data` empty): the simulator moves
//    `length` bytes of virtual data. The real-socket mode fills `data`.

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/bitfield.hpp"
#include "protocol/types.hpp"

namespace swarmsim::protocol::msg {

// BEP 3 message ids.
enum class id : std::uint8_t {
  choke = 0,
  unchoke = 1,
  interested = 2,
  not_interested = 3,
  have = 4,
  bitfield = 5,
  request = 6,
  piece = 7,
  cancel = 8,
  suggest_piece = 13,  // BEP 6, from here to allowed_fast
  have_all = 14,
  have_none = 15,
  reject_request = 16,
  allowed_fast = 17,
  extended = 20,  // BEP 10
};

// Reserved handshake bits (BEP 4): byte index and mask.
constexpr std::size_t extension_protocol_byte = 5;  // BEP 10
constexpr std::uint8_t extension_protocol_bit = 0x10;
constexpr std::size_t fast_extension_byte = 7;  // BEP 6
constexpr std::uint8_t fast_extension_bit = 0x04;

constexpr std::size_t handshake_size = 68;  // 1 + 19 + 8 + 20 + 20
constexpr std::size_t length_prefix_size = 4;

struct handshake {
  sha1_hash info_hash{};
  wire_peer_id peer{};
  std::array<std::uint8_t, 8> reserved{};
  friend bool operator==(const handshake&, const handshake&) = default;
};
struct keep_alive {
  friend bool operator==(const keep_alive&, const keep_alive&) = default;
};
struct choke {
  friend bool operator==(const choke&, const choke&) = default;
};
struct unchoke {
  friend bool operator==(const unchoke&, const unchoke&) = default;
};
struct interested {
  friend bool operator==(const interested&, const interested&) = default;
};
struct not_interested {
  friend bool operator==(const not_interested&, const not_interested&) = default;
};
struct have {
  piece_index index;
  friend bool operator==(const have&, const have&) = default;
};
struct bitfield {
  protocol::bitfield bits;
  friend bool operator==(const bitfield&, const bitfield&) = default;
};
struct request {
  piece_index index;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  friend bool operator==(const request&, const request&) = default;
};
struct piece {
  piece_index index;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;        // payload bytes (== data.size() when data is carried)
  std::vector<std::uint8_t> data;  // empty in simulation
  friend bool operator==(const piece&, const piece&) = default;
};
struct cancel {
  piece_index index;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  friend bool operator==(const cancel&, const cancel&) = default;
};

// BEP 6.
struct have_all {
  friend bool operator==(const have_all&, const have_all&) = default;
};
struct have_none {
  friend bool operator==(const have_none&, const have_none&) = default;
};
struct reject_request {
  piece_index index;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  friend bool operator==(const reject_request&, const reject_request&) = default;
};
struct suggest_piece {
  piece_index index;
  friend bool operator==(const suggest_piece&, const suggest_piece&) = default;
};
struct allowed_fast {
  piece_index index;
  friend bool operator==(const allowed_fast&, const allowed_fast&) = default;
};
// BEP 10: extended message `ext` (0: the extension handshake) and its payload,
// a bencoded dictionary for the handshake.
struct extended {
  std::uint8_t ext = 0;
  std::vector<std::uint8_t> payload;
  friend bool operator==(const extended&, const extended&) = default;
};

}  // namespace swarmsim::protocol::msg

namespace swarmsim::protocol {

using message =
    std::variant<msg::handshake, msg::keep_alive, msg::choke, msg::unchoke, msg::interested,
                 msg::not_interested, msg::have, msg::bitfield, msg::request, msg::piece,
                 msg::cancel, msg::have_all, msg::have_none, msg::reject_request,
                 msg::suggest_piece, msg::allowed_fast, msg::extended>;

// Exact bytes on the wire, including the 4-byte length prefix (or the whole handshake).
constexpr std::size_t wire_size(const msg::handshake&) {
  return msg::handshake_size;
}
constexpr std::size_t wire_size(const msg::keep_alive&) {
  return 4;
}
constexpr std::size_t wire_size(const msg::choke&) {
  return 5;
}
constexpr std::size_t wire_size(const msg::unchoke&) {
  return 5;
}
constexpr std::size_t wire_size(const msg::interested&) {
  return 5;
}
constexpr std::size_t wire_size(const msg::not_interested&) {
  return 5;
}
constexpr std::size_t wire_size(const msg::have&) {
  return 9;
}
inline std::size_t wire_size(const msg::bitfield& m) {
  return 5 + m.bits.byte_size();
}
constexpr std::size_t wire_size(const msg::request&) {
  return 17;
}
constexpr std::size_t wire_size(const msg::piece& m) {
  return 13 + std::size_t{m.length};
}
constexpr std::size_t wire_size(const msg::cancel&) {
  return 17;
}
constexpr std::size_t wire_size(const msg::have_all&) {
  return 5;
}
constexpr std::size_t wire_size(const msg::have_none&) {
  return 5;
}
constexpr std::size_t wire_size(const msg::reject_request&) {
  return 17;
}
constexpr std::size_t wire_size(const msg::suggest_piece&) {
  return 9;
}
constexpr std::size_t wire_size(const msg::allowed_fast&) {
  return 9;
}
inline std::size_t wire_size(const msg::extended& m) {
  return 6 + m.payload.size();
}
inline std::size_t wire_size(const message& m) {
  return std::visit([](const auto& x) { return wire_size(x); }, m);
}

std::string_view name(const message& m);

}  // namespace swarmsim::protocol
