#include "protocol/wire_codec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>

#include "protocol/torrent_geometry.hpp"

namespace swarmsim::protocol {

namespace {

constexpr std::string_view protocol_string =
    "\x13"
    "BitTorrent protocol";
constexpr std::size_t header_size = msg::length_prefix_size + 1;  // length + id
static_assert(protocol_string.size() == 20);

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

std::uint32_t get_u32(std::span<const std::uint8_t> in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) |
         std::uint32_t{in[3]};
}

// Bytes in the wire form of a bitfield of n bits.
std::uint32_t bitfield_bytes(std::uint32_t n) {
  return static_cast<std::uint32_t>((std::uint64_t{n} + 7) / 8);
}

std::string_view id_name(msg::id id) {
  switch (id) {
    case msg::id::choke:
      return "choke";
    case msg::id::unchoke:
      return "unchoke";
    case msg::id::interested:
      return "interested";
    case msg::id::not_interested:
      return "not-interested";
    case msg::id::have:
      return "have";
    case msg::id::bitfield:
      return "bitfield";
    case msg::id::request:
      return "request";
    case msg::id::piece:
      return "piece";
    case msg::id::cancel:
      return "cancel";
    case msg::id::suggest_piece:
      return "suggest-piece";
    case msg::id::have_all:
      return "have-all";
    case msg::id::have_none:
      return "have-none";
    case msg::id::reject_request:
      return "reject-request";
    case msg::id::allowed_fast:
      return "allowed-fast";
    case msg::id::extended:
      return "extended";
  }
  return "unknown";
}

void put_header(std::vector<std::uint8_t>& out, std::uint32_t length, msg::id id) {
  put_u32(out, length);
  out.push_back(static_cast<std::uint8_t>(id));
}

// Length prefix (id + payload) of a message whose wire size is `size`.
std::uint32_t length_field(std::size_t size) {
  const std::size_t length = size - msg::length_prefix_size;
  if (length > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument(fmt::format("encode: message of {} bytes is too long", length));
  return static_cast<std::uint32_t>(length);
}

struct encoder {
  std::vector<std::uint8_t>& out;

  void operator()(const msg::handshake& m) const {
    out.insert(out.end(), protocol_string.begin(), protocol_string.end());
    out.insert(out.end(), m.reserved.begin(), m.reserved.end());
    out.insert(out.end(), m.info_hash.begin(), m.info_hash.end());
    out.insert(out.end(), m.peer.begin(), m.peer.end());
  }
  void operator()(const msg::keep_alive&) const { put_u32(out, 0); }
  void operator()(const msg::choke&) const { put_header(out, 1, msg::id::choke); }
  void operator()(const msg::unchoke&) const { put_header(out, 1, msg::id::unchoke); }
  void operator()(const msg::interested&) const { put_header(out, 1, msg::id::interested); }
  void operator()(const msg::not_interested&) const { put_header(out, 1, msg::id::not_interested); }
  void operator()(const msg::have& m) const {
    put_header(out, 5, msg::id::have);
    put_u32(out, m.index.value());
  }
  void operator()(const msg::bitfield& m) const {
    put_header(out, length_field(wire_size(m)), msg::id::bitfield);
    const std::size_t start = out.size();
    out.resize(start + m.bits.byte_size(), 0);
    std::uint8_t* bytes = out.data() + start;
    m.bits.for_each_set(
        [bytes](std::uint32_t i) { bytes[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8)); });
  }
  void operator()(const msg::request& m) const { block_message(msg::id::request, m); }
  void operator()(const msg::piece& m) const {
    if (m.data.size() != m.length)
      throw std::invalid_argument(
          fmt::format("encode: piece message carries {} data bytes but says length {}",
                      m.data.size(), m.length));
    encode_header(m, out);
    out.insert(out.end(), m.data.begin(), m.data.end());
  }
  void operator()(const msg::cancel& m) const { block_message(msg::id::cancel, m); }
  void operator()(const msg::have_all&) const { put_header(out, 1, msg::id::have_all); }
  void operator()(const msg::have_none&) const { put_header(out, 1, msg::id::have_none); }
  void operator()(const msg::reject_request& m) const { block_message(msg::id::reject_request, m); }
  void operator()(const msg::suggest_piece& m) const {
    put_header(out, 5, msg::id::suggest_piece);
    put_u32(out, m.index.value());
  }
  void operator()(const msg::allowed_fast& m) const {
    put_header(out, 5, msg::id::allowed_fast);
    put_u32(out, m.index.value());
  }
  void operator()(const msg::extended& m) const {
    put_header(out, length_field(wire_size(m)), msg::id::extended);
    out.push_back(m.ext);
    out.insert(out.end(), m.payload.begin(), m.payload.end());
  }

  template <typename Block>
  void block_message(msg::id id, const Block& m) const {
    put_header(out, 13, id);
    put_u32(out, m.index.value());
    put_u32(out, m.begin);
    put_u32(out, m.length);
  }
};

}  // namespace

void encode(const message& m, std::vector<std::uint8_t>& out) {
  out.reserve(out.size() + wire_size(m));
  std::visit(encoder{out}, m);
}

std::vector<std::uint8_t> encode(const message& m) {
  std::vector<std::uint8_t> out;
  encode(m, out);
  return out;
}

void encode_header(const msg::piece& m, std::vector<std::uint8_t>& out) {
  put_header(out, length_field(wire_size(m)), msg::id::piece);
  put_u32(out, m.index.value());
  put_u32(out, m.begin);
}

std::string_view to_string(wire_error_code code) {
  switch (code) {
    case wire_error_code::bad_handshake:
      return "bad handshake";
    case wire_error_code::oversized_message:
      return "oversized message";
    case wire_error_code::unknown_message_id:
      return "unknown message id";
    case wire_error_code::bad_message_length:
      return "bad message length";
    case wire_error_code::bad_bitfield:
      return "bad bitfield";
    case wire_error_code::piece_index_out_of_range:
      return "piece index out of range";
    case wire_error_code::zero_length_request:
      return "zero-length request";
  }
  return "unknown wire error";
}

std::uint32_t decoder::default_max_message_length(std::uint32_t num_pieces) {
  return std::max(bitfield_bytes(num_pieces), max_block_size) + 13u;
}

decoder::decoder(std::uint32_t num_pieces, decoder_start start)
    : decoder(num_pieces, start, default_max_message_length(num_pieces)) {}

decoder::decoder(std::uint32_t num_pieces, decoder_start start, std::uint32_t max_message_length)
    : num_pieces_(num_pieces),
      max_message_length_(max_message_length),
      awaiting_handshake_(start == decoder_start::with_handshake) {}

void decoder::feed(std::span<const std::uint8_t> bytes) {
  if (failed() || bytes.empty()) return;
  // Drop decoded bytes once they are at least half the buffer: each byte moves at
  // most once on average.
  if (read_ == buffer_.size()) {
    buffer_.clear();
    read_ = 0;
  } else if (read_ > 0 && read_ >= buffer_.size() - read_) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
    read_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

decode_result decoder::next() {
  if (error_) return *error_;
  const std::span<const std::uint8_t> in = std::span(buffer_).subspan(read_);
  return awaiting_handshake_ ? decode_handshake(in) : decode_message(in);
}

decode_result decoder::fail(wire_error_code code, std::string text) {
  error_ = wire_error{code, std::move(text)};
  buffer_.clear();
  buffer_.shrink_to_fit();
  read_ = 0;
  return *error_;
}

decode_result decoder::decode_handshake(std::span<const std::uint8_t> in) {
  // Check the protocol string as far as it has arrived, so a peer speaking
  // something else is refused at its first wrong byte.
  const std::size_t known = std::min(in.size(), protocol_string.size());
  for (std::size_t i = 0; i < known; ++i) {
    const auto expected = static_cast<std::uint8_t>(protocol_string[i]);
    if (in[i] != expected)
      return fail(wire_error_code::bad_handshake,
                  fmt::format("handshake: byte {} is 0x{:02x}, expected 0x{:02x} of "
                              "\"\\x13BitTorrent protocol\"",
                              i, in[i], expected));
  }
  if (in.size() < msg::handshake_size) return decode_result::need_more();

  msg::handshake h;
  auto rest = in.subspan(protocol_string.size());
  std::copy_n(rest.begin(), h.reserved.size(), h.reserved.begin());
  rest = rest.subspan(h.reserved.size());
  std::copy_n(rest.begin(), h.info_hash.size(), h.info_hash.begin());
  rest = rest.subspan(h.info_hash.size());
  std::copy_n(rest.begin(), h.peer.size(), h.peer.begin());
  read_ += msg::handshake_size;
  awaiting_handshake_ = false;
  return h;
}

decode_result decoder::decode_message(std::span<const std::uint8_t> in) {
  if (in.size() < msg::length_prefix_size) return decode_result::need_more();
  const std::uint32_t length = get_u32(in);
  if (length == 0) {
    read_ += msg::length_prefix_size;
    return msg::keep_alive{};
  }
  if (length > max_message_length_)
    return fail(wire_error_code::oversized_message,
                fmt::format("message length {} exceeds the limit of {} bytes", length,
                            max_message_length_));
  if (in.size() < header_size) return decode_result::need_more();

  // Check the length against the id before waiting for the payload.
  const std::uint8_t raw_id = in[msg::length_prefix_size];
  const auto bad_length = [&](std::string_view what, std::uint32_t expected) {
    return fail(wire_error_code::bad_message_length,
                fmt::format("{}: length {}, expected {}", what, length, expected));
  };
  const auto id = static_cast<msg::id>(raw_id);
  switch (id) {
    case msg::id::choke:
    case msg::id::unchoke:
    case msg::id::interested:
    case msg::id::not_interested:
    case msg::id::have_all:
    case msg::id::have_none:
      if (length != 1) return bad_length(id_name(id), 1);
      break;
    case msg::id::have:
    case msg::id::suggest_piece:
    case msg::id::allowed_fast:
      if (length != 5) return bad_length(id_name(id), 5);
      break;
    case msg::id::request:
    case msg::id::cancel:
    case msg::id::reject_request:
      if (length != 13) return bad_length(id_name(id), 13);
      break;
    case msg::id::extended:
      if (length < 2)
        return fail(wire_error_code::bad_message_length,
                    fmt::format("extended: length {}, expected at least 2", length));
      break;
    case msg::id::piece:
      if (length < 10)
        return fail(wire_error_code::bad_message_length,
                    fmt::format("piece: length {}, expected at least 10 (9 + data)", length));
      break;
    case msg::id::bitfield: {
      const std::uint32_t expected = 1 + bitfield_bytes(num_pieces_);
      if (length != expected)
        return fail(wire_error_code::bad_bitfield,
                    fmt::format("bitfield: length {}, expected {} for {} pieces", length, expected,
                                num_pieces_));
      break;
    }
    default:
      return fail(wire_error_code::unknown_message_id,
                  fmt::format("message id {} is unknown (length {})", raw_id, length));
  }

  if (in.size() < msg::length_prefix_size + std::size_t{length}) return decode_result::need_more();
  const std::span<const std::uint8_t> payload = in.subspan(header_size, length - 1);

  const auto index_field = [&]() -> std::optional<piece_index> {
    const std::uint32_t index = get_u32(payload);
    if (index < num_pieces_) return piece_index{index};
    return std::nullopt;
  };
  const auto bad_index = [&](std::string_view what) {
    return fail(wire_error_code::piece_index_out_of_range,
                fmt::format("{}: piece {} is out of range (torrent has {} pieces)", what,
                            get_u32(payload), num_pieces_));
  };

  read_ += msg::length_prefix_size + std::size_t{length};
  switch (id) {
    case msg::id::choke:
      return msg::choke{};
    case msg::id::unchoke:
      return msg::unchoke{};
    case msg::id::interested:
      return msg::interested{};
    case msg::id::not_interested:
      return msg::not_interested{};
    case msg::id::have_all:
      return msg::have_all{};
    case msg::id::have_none:
      return msg::have_none{};
    case msg::id::have:
    case msg::id::suggest_piece:
    case msg::id::allowed_fast: {
      const auto index = index_field();
      if (!index) return bad_index(id_name(id));
      if (id == msg::id::suggest_piece) return msg::suggest_piece{*index};
      if (id == msg::id::allowed_fast) return msg::allowed_fast{*index};
      return msg::have{*index};
    }
    case msg::id::extended:
      return msg::extended{payload[0],
                           std::vector<std::uint8_t>(payload.begin() + 1, payload.end())};
    case msg::id::bitfield: {
      auto bits = bitfield::from_bytes(payload, num_pieces_);
      if (!bits)
        return fail(wire_error_code::bad_bitfield,
                    fmt::format("bitfield: spare bits past piece {} are set", num_pieces_));
      return msg::bitfield{std::move(*bits)};
    }
    case msg::id::request:
    case msg::id::cancel:
    case msg::id::reject_request: {
      const std::string_view what = id_name(id);
      const auto index = index_field();
      if (!index) return bad_index(what);
      const std::uint32_t begin = get_u32(payload.subspan(4));
      const std::uint32_t block_length = get_u32(payload.subspan(8));
      if (block_length == 0)
        return fail(
            wire_error_code::zero_length_request,
            fmt::format("{}: piece {} begin {} asks for 0 bytes", what, index->value(), begin));
      if (id == msg::id::request) return msg::request{*index, begin, block_length};
      if (id == msg::id::reject_request) return msg::reject_request{*index, begin, block_length};
      return msg::cancel{*index, begin, block_length};
    }
    case msg::id::piece: {
      const auto index = index_field();
      if (!index) return bad_index("piece");
      const auto data = payload.subspan(8);
      return msg::piece{*index, get_u32(payload.subspan(4)),
                        static_cast<std::uint32_t>(data.size()),
                        std::vector<std::uint8_t>(data.begin(), data.end())};
    }
  }
  return fail(wire_error_code::unknown_message_id, "unreachable: id checked above");
}

}  // namespace swarmsim::protocol
