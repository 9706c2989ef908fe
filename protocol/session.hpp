#pragma once
// The state of one connection, as seen by the local peer (BEP 3's four flags,
// the remote's pieces, requests both ways, byte counters).
//
// Invariants:
// 1. outstanding holds our requests the remote has not answered; size() never
//    exceeds the largest pipeline depth the options allow.
// 2. upload_queue is empty while am_choking.
// 3. Rates use a window of the last two rechoke intervals (mainline used a
//    20-second rolling average).
// 4. superseed_piece is set only when super_seeded.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "protocol/bitfield.hpp"
#include "protocol/types.hpp"

namespace swarmsim::protocol {

enum class session_state : std::uint8_t {
  awaiting_handshake,  // connection open, remote handshake not yet received
  active,              // handshakes exchanged
};

struct rate_window {
  std::uint64_t bytes_prev = 0;  // counter two snapshots ago
  std::uint64_t bytes_last = 0;  // counter at the last snapshot
  time_point t_prev{};
  time_point t_last{};
  // Rate over the window ending at `now` with counter value `bytes`.
  double rate(std::uint64_t bytes, time_point now) const {
    const double dt = to_seconds(now - t_prev);
    return dt > 0 ? static_cast<double>(bytes - bytes_prev) / dt : 0.0;
  }
  void snapshot(std::uint64_t bytes, time_point now) {
    bytes_prev = bytes_last;
    t_prev = t_last;
    bytes_last = bytes;
    t_last = now;
  }
};

// The remote's requests to us, first come first served. Unlike std::deque it
// allocates nothing while empty (libstdc++'s deque allocates a 512-byte block
// for every instance: one per connection of every peer).
class block_queue {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  const block_ref& front() const { return items_[head_]; }
  auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return items_.end(); }
  void push_back(block_ref b) {
    if (head_ > 32 && head_ * 2 > items_.size()) {  // drop the taken front
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    items_.push_back(b);
  }
  void pop_front() {
    if (++head_ == items_.size()) clear();
  }
  // Removes the first `b` queued; false if none.
  bool erase(block_ref b) {
    const auto it = std::find(begin(), end(), b);
    if (it == end()) return false;
    items_.erase(it);
    if (empty()) clear();
    return true;
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }

 private:
  std::vector<block_ref> items_;
  std::size_t head_ = 0;  // items_[0, head_) are taken
};

// The fields that every HAVE, PIECE and loop over the sessions touches come
// first: with the alignment, they share one cache line (the static_assert below
// keeps them there), the id too, which every delivered message checks. The
// 8-byte fields lead, so the flags fill the line's tail without padding.
struct alignas(64) session {
  connection_id id;
  bitfield remote_has;
  std::vector<block_ref> outstanding;  // our requests to the remote
  std::uint32_t wanted = 0;            // pieces the remote has that we lack

  bool open = true;
  session_state state = session_state::awaiting_handshake;
  bool remote_is_seed = false;
  bool super_seeded = false;  // see below

  bool am_choking = true;
  bool am_interested = false;
  bool peer_choking = true;
  bool peer_interested = false;
  bool snubbed = false;

  // The upload path (a request queued, a block sent) touches the second line,
  // a block received the third.
  alignas(64) block_queue upload_queue;  // the remote's requests to us
  std::uint64_t payload_up = 0;
  std::uint64_t bytes_sent_since_unchoke = 0;
  time_point last_sent{};
  bool outgoing = false;
  bool handshake_sent = false;
  bool idled = false;  // held a seed slot and was sent nothing (choker rule 10)

  time_point last_block{};  // last block received (or when requests started)
  std::uint64_t payload_down = 0;
  endpoint remote;

  // What the choker looks at (peer::collect_candidates), with the byte counters
  // and last_block above.
  time_point connected_at{};
  time_point interest_seen{};  // last rechoke at which either side was interested
  time_point unchoked_since{};
  rate_window down_rate;
  rate_window up_rate;
  // choke_candidate::remote_have_rate, measured at each rechoke from
  // remote_has.count() then (haves_last) and at the one before.
  double have_rate = 0;
  std::uint32_t haves_last = 0;

  // Requests we withdrew (a CANCEL, or dropped at the remote's CHOKE) whose
  // block may still be on its way: a late answer is taken like any other
  // (peer invariant 12). At most peer::max_request_depth(), the oldest go first.
  std::vector<block_ref> withdrawn;

  // BEP 16: the connection began while we super-seeded (super_seeded); we sent no
  // bitfield and reveal one piece at a time (superseed_piece: the one revealed last).
  std::optional<piece_index> superseed_piece;

  // Negotiated in the handshakes (both sides set the reserved bit): BEP 6, BEP 10.
  bool fast = false;
  bool extension_protocol = false;
  std::uint32_t remote_reqq = 0;  // the remote's BEP 10 `reqq`; 0: none advertised
  // request_queue::adaptive: the download rate over the last completed
  // request_rate_interval, measured from rate_since (payload_down then: rate_bytes).
  double recent_rate = 0;
  time_point rate_since{};
  std::uint64_t rate_bytes = 0;
};

static_assert(offsetof(session, outstanding) + sizeof(session::outstanding) <= 64 &&
                  offsetof(session, snubbed) + sizeof(session::snubbed) <= 64,
              "a session's hot fields fit in its first cache line");
static_assert(offsetof(session, last_sent) + sizeof(session::last_sent) <= 128 &&
                  offsetof(session, last_block) == 128,
              "the upload path's fields fit in the second cache line, a received block's in "
              "the third");

}  // namespace swarmsim::protocol
