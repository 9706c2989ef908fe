#pragma once
// The swarm driver's state and handlers (sim/engine/swarm.hpp), shared by its
// translation units and by nothing else:
// - swarm.cpp: the event loop, message delivery and the protocol's actions;
// - swarm_peers.cpp: arrivals and departures, connections, the tracker;
// - swarm_observe.cpp: samples, the overlay, traces, results and, in builds with
//   SWARMSIM_INVARIANTS, the invariant checks after every event.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "protocol/peer.hpp"
#include "protocol/tracker.hpp"
#include "sim/engine/choreography.hpp"
#include "sim/engine/event.hpp"
#include "sim/engine/event_queue.hpp"
#include "sim/engine/link_model.hpp"
#include "sim/engine/link_table.hpp"
#include "sim/engine/swarm.hpp"
#include "sim/engine/topology.hpp"

namespace swarmsim::sim {

enum class peer_phase : std::uint8_t { waiting, live, gone };

// One peer as the driver sees it. Fields used on every event come first.
struct sim_peer {
  std::unique_ptr<protocol::peer> logic;
  link_table links;
  time_point timer_at = protocol::never;
  peer_phase phase = peer_phase::waiting;
  bool complete = false;
  bool initial_seed = false;
  std::uint32_t site = 0;
  uplink up;
  downlink down;
  std::uint32_t group = 0;
  time_point arrival{};
  protocol::bitfield initial;
  std::uint32_t open_links = 0;
  peer_record record;
  std::uint64_t from_seeds = 0;
};

struct swarm::impl {
  scenario spec;
  protocol::torrent_geometry geometry;
  topology topo;
  protocol::sha1_hash info_hash{};
  std::vector<sim_peer> peers;
  std::vector<protocol::peer_options> group_options;
  protocol::tracker tracker;
  event_queue<event> queue;
  static constexpr std::size_t max_lanes = 8;
  std::vector<std::pair<duration, std::uint32_t>> lanes;  // delay, lane of `queue`
  pool<protocol::bitfield> bitfields;
  pool<std::vector<protocol::connection_id>> have_recipients;  // of have_fanout events
  pool<protocol::announce_request> requests;
  pool<protocol::announce_response> responses;
  std::deque<std::vector<protocol::peer_action>> action_stack;  // reentrant drains
  std::size_t drain_depth = 0;

  // Arrivals, departures, the swarm-wide counts and the samples.
  std::optional<choreography> script;
  std::uint32_t open_link_ends = 0;  // 2 per open connection; each end closes once
  std::uint64_t uploaded_total = 0;
  std::uint64_t uploaded_by_seeds = 0;
  std::uint64_t protocol_errors = 0;  // of departed peers, then of all at the end
  std::uint64_t sent_while_choking = 0;
  std::uint64_t sent_after_departure = 0;
  std::uint64_t payload_in_flight = 0;  // blocks on the wire, not yet delivered
  std::uint64_t payload_dropped = 0;    // blocks that reached a closed connection
  std::vector<overlay_sample> overlay;
  std::vector<trace_record> traces;
  bool trace_unchoke = false;
  bool trace_interest = false;
  std::uint64_t events = 0;
  time_point now{};
  bool single_site = true;
  std::optional<duration> planned_t_min;  // Kumar & Ross for the peers there at t = 0

  explicit impl(scenario s);
  void build_peers();
  run_result run(const std::function<void(const run_progress&)>& progress);

  // ---- scheduling (swarm.cpp) ----
  void schedule(time_point t, const event& e) { queue.push(t, e); }
  void schedule_in(duration d, const event& e);
  duration latency(std::uint32_t a, std::uint32_t b) const {
    return topo.latency(peers[a].site, peers[b].site);
  }
  void arm_timer(std::uint32_t pi);
  void drain(std::uint32_t pi);
  void drain_after_message(std::uint32_t pi) {
    // A message moves the peer's deadline only along with an action
    // (protocol::peer invariant 8), so without actions the timer is armed already.
    if (peers[pi].logic->has_actions()) drain(pi);
  }

  // ---- the protocol's actions ----
  void handle(std::uint32_t pi, protocol::action::send& s);                // swarm.cpp
  void handle(std::uint32_t pi, protocol::action::broadcast_have& h);      // swarm.cpp
  void handle(std::uint32_t pi, protocol::action::upload_ready& u);        // swarm.cpp
  void handle(std::uint32_t pi, protocol::action::connect& c);             // swarm_peers.cpp
  void handle(std::uint32_t pi, protocol::action::disconnect& d);          // swarm_peers.cpp
  void handle(std::uint32_t pi, protocol::action::announce& a);            // swarm_peers.cpp
  void handle(std::uint32_t pi, protocol::action::piece_completed& c);     // swarm_peers.cpp
  void handle(std::uint32_t pi, protocol::action::check_piece& c);         // swarm_peers.cpp
  void handle(std::uint32_t pi, protocol::action::download_completed& d);  // swarm_peers.cpp
  void start_upload(std::uint32_t pi);
  std::optional<protocol::connection_id> next_ordered(std::uint32_t pi);

  // ---- events (swarm.cpp: messages; swarm_peers.cpp: the rest) ----
  void on(const events::block& e);
  void on(const events::control_message& e);
  void on(const events::have_fanout& e);
  void on(const events::uplink_free& e);
  void on(const events::timer& e);
  void on(const events::bitfield_message& e);
  void on(const events::handshake_message& e);
  void on(const events::tracker_request& e);
  void on(const events::tracker_response& e);
  void on(const events::connect_request& e);
  void on(const events::connect_accept& e);
  void on(const events::connect_refused& e);
  void on(const events::remote_closed& e);
  void on(const events::arrive& e);
  void on(const events::depart& e);
  void on(const events::abort& e);
  void on(const events::sample& e);
  void on(const events::overlay_sample& e);

  // ---- peers and connections (swarm_peers.cpp) ----
  void depart(std::uint32_t pi);
  void follow(const cue& c);
  void finish_record(sim_peer& p);
  void mirror_closed(const link_ref& l);
  // Whether connection `conn` of live peer `pi` is open.
  bool link_open(std::uint32_t pi, protocol::connection_id conn) const {
    const sim_peer& p = peers[pi];
    if (p.phase != peer_phase::live) return false;
    const link_ref* l = p.links.find(conn);
    return l && l->state == link_state::open;
  }

  // ---- observation (swarm_observe.cpp) ----
  void trace(std::uint32_t from, std::uint32_t to, trace_event what);
  void take_sample();
  void take_overlay_sample();
  run_result results(std::chrono::steady_clock::time_point wall_start);
  void check_after(const event& e) const;
  void check_peer(std::uint32_t pi) const;
  bool done() const {
    return spec.simulation.stop == stop_kind::all_complete && script->all_done();
  }
};

}  // namespace swarmsim::sim
