#pragma once
// The scenario's choreography, written once for both drivers (the simulator,
// sim/engine/swarm.cpp, and the real-socket run, sim/real/run/real_run.cpp): which planned
// peers are there, when each one leaves, and what the periodic samples report.
// Sans-I/O: the driver tells it that peer i arrived, completed a piece,
// completed the download or departed, with the time; it answers what the driver
// must schedule (cues) and keeps the swarm-wide counts the samples are made of.
//
// Departures: a group's leave_at (from the peer's arrival on), its
// after_completion (stay; leave at once; seed_for the peer's drawn seeding
// time), and churn aborts (sim/engine/population.hpp): on completing a piece that
// brings the peer to abort_at_pieces pieces, or abort_after after its arrival,
// unless it has completed by then.
//
// Invariants:
// 1. A peer goes pending -> live -> gone, each step once; completes at most
//    once, and only while live (initial seeds count as complete from the start).
// 2. copies[p] is the number of live peers whose counted pieces hold p,
//    leecher_copies[p] the same among live leechers; a peer's counted pieces are
//    its initial ones and those on_piece reported while it was live.
// 3. leechers + seeds == arrived - departed; arrived + pending == planned peers.
// 4. A cue is only a proposal: the driver carries out a departure when the cue's
//    time comes only if applies(cue) still holds then (an abort does not apply to
//    a peer that completed meanwhile, nothing applies to a peer that is gone).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/bitfield.hpp"
#include "protocol/peer.hpp"
#include "protocol/types.hpp"
#include "sim/engine/population.hpp"
#include "sim/results/metrics.hpp"
#include "sim/results/playback_results.hpp"
#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {

enum class cue_kind : std::uint8_t {
  depart,  // leave_at, after_completion leave or seed_for
  abort,   // churn: leave unless complete by then
};

// Something the driver must do to one peer at a time (a time_point on the
// protocol clock, time_origin = the start of the run).
struct cue {
  cue_kind kind;
  std::uint32_t peer;
  protocol::time_point at;
  friend bool operator==(const cue&, const cue&) = default;
};

// At most two cues (an arrival's leave_at and abort timer), without allocating.
class cue_list {
 public:
  void push(const cue& c) { items_[size_++] = c; }
  const cue* begin() const { return items_.data(); }
  const cue* end() const { return items_.data() + size_; }
  std::size_t size() const { return size_; }

 private:
  std::array<cue, 2> items_{};
  std::size_t size_ = 0;
};

// What only the driver knows at a sample.
struct sample_inputs {
  std::uint32_t connections = 0;        // open now, each counted once
  std::uint64_t uploaded = 0;           // payload sent by every peer since the start
  std::uint64_t uploaded_by_seeds = 0;  // the part sent by peers complete at the time
  std::uint64_t events = 0;             // events (or I/O handlers) run so far
};

class choreography {
 public:
  // `plan` is plan_peers(s, ...): peer i of the plan is peer i here.
  choreography(const scenario& s, std::span<const planned_peer> plan, std::uint32_t num_pieces);

  // --- what happened ---
  // Peer i arrived (at its planned arrival): its leave_at and abort timer.
  cue_list on_arrive(std::uint32_t i);
  // Live peer i completed piece p: an abort at once if that brings it to its
  // abort_at_pieces.
  std::optional<cue> on_piece(std::uint32_t i, protocol::piece_index p, protocol::time_point now);
  // Live peer i completed the download: its after_completion departure, if any.
  // Returns nullopt too if it had completed already.
  std::optional<cue> on_complete(std::uint32_t i, protocol::time_point now);
  // Peer i left (a cue that applied); one still live at the end stays live.
  void on_depart(std::uint32_t i);
  // Whether `c` still applies now that its time has come (invariant 4).
  bool applies(const cue& c) const;

  // --- state ---
  bool is_live(std::uint32_t i) const { return peers_[i].at == stage::live; }
  bool is_complete(std::uint32_t i) const { return peers_[i].complete; }
  std::uint32_t live_leechers() const { return live_leechers_; }
  std::uint32_t completed() const { return completed_; }
  std::uint32_t total_leechers() const { return total_leechers_; }
  std::uint32_t pending() const { return pending_; }  // planned peers not arrived yet
  // No arrival pending and no live leecher: an all_complete run is over.
  bool all_done() const { return pending_ == 0 && live_leechers_ == 0; }

  // --- samples ---
  // Appends the sample at `now` (at most one per instant: at the time of the
  // last one, returns that one). PeerOf maps a live leecher's index to its
  // protocol::peer, for peer availability.
  template <typename PeerOf>
  const sample& take_sample(protocol::time_point now, const sample_inputs& in, PeerOf&& peer_of) {
    if (!samples_.empty() && samples_.back().time == now - protocol::time_origin)
      return samples_.back();
    std::uint64_t pairs = 0, interested = 0;
    for (std::uint32_t i = 0; i < peers_.size(); ++i)
      if (peers_[i].at == stage::live && !peers_[i].complete)
        count_interest(peer_of(i), pairs, interested);
    sample& s = record_sample(now, in, pairs, interested);
    if (has_viewers_) {
      viewers_.clear();
      for (std::uint32_t i = 0; i < peers_.size(); ++i)
        if (peers_[i].at == stage::live) add_viewer(peer_of(i), now);
      s.playback = summarize_viewers(viewers_);
    }
    return s;
  }
  const std::vector<sample>& samples() const { return samples_; }
  std::vector<sample> take_samples() { return std::move(samples_); }

 private:
  enum class stage : std::uint8_t { pending, live, gone };
  struct peer_state {
    stage at = stage::pending;
    bool complete = false;
    bool leave_at_set = false;
    std::uint32_t abort_at_pieces = no_abort;
    protocol::time_point arrival{};
    protocol::time_point leave_at{};
    std::optional<protocol::duration> abort_after;
    protocol::duration seed_time{};
    after_completion_kind after = after_completion_kind::stay;
    double upload = 0;
    protocol::bitfield counted;  // invariant 2
  };

  static void count_interest(const protocol::peer& p, std::uint64_t& pairs,
                             std::uint64_t& interested);
  sample& record_sample(protocol::time_point now, const sample_inputs& in, std::uint64_t pairs,
                        std::uint64_t interested);
  // Adds p's viewer, if it has one, to viewers_ as it is at `now`.
  void add_viewer(const protocol::peer& p, protocol::time_point now);

  std::vector<peer_state> peers_;
  std::vector<std::uint32_t> copies_;          // invariant 2
  std::vector<std::uint32_t> leecher_copies_;  // invariant 2
  std::uint32_t pending_ = 0;
  std::uint32_t arrived_ = 0;
  std::uint32_t completed_ = 0;
  std::uint32_t departed_ = 0;
  std::uint32_t live_leechers_ = 0;
  std::uint32_t live_seeds_ = 0;
  std::uint32_t total_leechers_ = 0;
  double live_upload_capacity_ = 0;  // added on arrival, taken off on departure
  std::uint64_t uploaded_at_last_sample_ = 0;
  std::uint64_t seed_uploaded_at_last_sample_ = 0;
  std::vector<sample> samples_;
  bool has_viewers_ = false;           // a group has playback: samples carry playback_sample
  std::vector<viewer_point> viewers_;  // take_sample's scratch
};

}  // namespace swarmsim::sim
