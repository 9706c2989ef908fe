// The peer's optional wire extensions, BEP 6 (fast) and BEP 10 (extension
// protocol), and the depth of each connection's request queue (peer.hpp
// invariants 9 and 10).

#include <algorithm>
#include <cmath>

#include "protocol/bencode.hpp"
#include "protocol/peer.hpp"

namespace swarmsim::protocol {

namespace {
constexpr std::string_view client_version = "swarmsim 0.1";
}  // namespace

std::array<std::uint8_t, 8> peer::reserved_bits() const {
  std::array<std::uint8_t, 8> r{};
  if (options_.extensions == wire_extensions::fast_and_extension_protocol) {
    r[msg::extension_protocol_byte] |= msg::extension_protocol_bit;
    r[msg::fast_extension_byte] |= msg::fast_extension_bit;
  }
  return r;
}

void peer::note_extensions(session& s, const msg::handshake& h) {
  const auto ours = reserved_bits();
  s.fast = (ours[msg::fast_extension_byte] & h.reserved[msg::fast_extension_byte] &
            msg::fast_extension_bit) != 0;
  s.extension_protocol =
      (ours[msg::extension_protocol_byte] & h.reserved[msg::extension_protocol_byte] &
       msg::extension_protocol_bit) != 0;
}

// After the handshakes: what we have (BEP 3's bitfield, or BEP 6's HAVE_ALL as a
// seed; HAVE_NONE when we have nothing or super-seed, since a fast peer must
// say; a super-seed's one HAVE), then the BEP 10 handshake.
void peer::send_first_messages(session& s) {
  if (super_seeding()) {
    s.super_seeded = true;
    if (s.fast) send(s, msg::have_none{});  // then one HAVE at a time
    reveal_next_piece(s);
  } else if (picker_.num_have() > 0) {
    if (s.fast && picker_.is_seed())
      send(s, msg::have_all{});
    else
      send(s, msg::bitfield{picker_.have_bits()});
  } else if (s.fast) {
    send(s, msg::have_none{});
  }
  if (!s.extension_protocol) return;
  bencode::value::dict d;
  d.emplace("m", bencode::value::dict{});
  if (self_.port != 0) d.emplace("p", self_.port);
  d.emplace("reqq", options_.max_request_queue);
  d.emplace("v", client_version);
  send(s, msg::extended{0, bencode::encode(bencode::value(std::move(d)))});
}

void peer::handle_fast(session& s, const msg::have_all&, time_point now) {
  if (!s.fast) return protocol_error(s, disconnect_reason::not_negotiated, now);
  handle_bitfield(s, msg::bitfield{bitfield(geometry_.num_pieces(), true)}, now);
}

void peer::handle_fast(session& s, const msg::have_none&, time_point now) {
  if (!s.fast) return protocol_error(s, disconnect_reason::not_negotiated, now);
  handle_bitfield(s, msg::bitfield{bitfield(geometry_.num_pieces())}, now);
}

// The remote will not answer a request: the block goes back to the picker. A
// REJECT of a request we no longer wait for (cancelled, or dropped at a CHOKE)
// changes nothing.
void peer::handle_fast(session& s, const msg::reject_request& m, time_point now) {
  if (!s.fast) return protocol_error(s, disconnect_reason::not_negotiated, now);
  const auto b = geometry_.block_at(m.index, m.begin, m.length);
  if (!b) return;
  std::erase(s.withdrawn, *b);  // it will not come
  const auto it = std::find(s.outstanding.begin(), s.outstanding.end(), *b);
  if (it == s.outstanding.end()) return;
  s.outstanding.erase(it);
  picker_.abort_request(*b, s.id);
  refill_others(s, now);
  // Ask this remote again only once nothing else is outstanding on it, so a
  // remote that rejects while unchoked is asked once a round trip, not stalled.
  if (s.outstanding.empty()) fill_pipeline(s, now);
}

// Hints we may ignore (BEP 6): we request what the picker chooses, and only
// while unchoked.
void peer::handle_fast(session& s, const msg::suggest_piece&, time_point now) {
  if (!s.fast) protocol_error(s, disconnect_reason::not_negotiated, now);
}
void peer::handle_fast(session& s, const msg::allowed_fast&, time_point now) {
  if (!s.fast) protocol_error(s, disconnect_reason::not_negotiated, now);
}

// BEP 10: only the handshake (message 0) means anything to us, since we list no
// extension messages in `m`; its `reqq` caps our requests on this connection.
void peer::handle_extended(session& s, const msg::extended& m, time_point now) {
  if (!s.extension_protocol) return protocol_error(s, disconnect_reason::not_negotiated, now);
  if (m.ext != 0) return;
  const auto v = bencode::decode(std::span<const std::uint8_t>(m.payload),
                                 bencode::decode_options{bencode::key_order::lenient, 16});
  if (!v || !v.get().is_dict())
    return protocol_error(s, disconnect_reason::bad_extension_handshake, now);
  if (const bencode::value* reqq = v.get().find("reqq"); reqq && reqq->as_integer()) {
    const std::int64_t n = *reqq->as_integer();
    if (n > 0) s.remote_reqq = static_cast<std::uint32_t>(std::min<std::int64_t>(n, 1 << 20));
  }
}

bool peer::reject(session& s, const msg::request& r) {
  if (!s.fast) return false;
  send(s, msg::reject_request{r.index, r.begin, r.length});
  return true;
}

void peer::reject_queued(session& s) {
  if (!s.fast) return;
  for (const block_ref b : s.upload_queue)
    send(s, msg::reject_request{b.piece, geometry_.block_offset(b), geometry_.block_length(b)});
}

std::uint32_t peer::max_request_depth() const {
  return options_.queue == request_queue::adaptive
             ? std::max(options_.pipeline_depth, options_.max_pipeline_depth)
             : options_.pipeline_depth;
}

std::uint32_t peer::request_depth(const session& s) const {
  std::uint32_t depth = options_.pipeline_depth;
  if (options_.queue == request_queue::adaptive) {
    const double want = s.recent_rate * to_seconds(options_.request_queue_time) /
                        static_cast<double>(geometry_.block_size());
    const double capped = std::min(want, static_cast<double>(max_request_depth()));
    depth = std::max(depth, static_cast<std::uint32_t>(capped));
  }
  if (s.remote_reqq > 0) depth = std::min(depth, s.remote_reqq);
  return std::max(depth, 1u);
}

// The rate of the last whole request_rate_interval, measured from the first
// block after a pause (so time spent choked does not count).
void peer::sample_download_rate(session& s, time_point now) {
  if (s.rate_since == time_point{} || now - s.rate_since > 4 * options_.request_rate_interval) {
    s.rate_since = now;
    s.rate_bytes = s.payload_down;
    return;
  }
  const duration elapsed = now - s.rate_since;
  if (elapsed < options_.request_rate_interval) return;
  s.recent_rate = static_cast<double>(s.payload_down - s.rate_bytes) / to_seconds(elapsed);
  s.rate_since = now;
  s.rate_bytes = s.payload_down;
}

}  // namespace swarmsim::protocol
