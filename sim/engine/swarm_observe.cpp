// What the swarm driver records: samples, the overlay, traces, the run's
// results, and in builds with SWARMSIM_INVARIANTS the checks after every event
// (sim/engine/swarm_impl.hpp).

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "sim/engine/swarm_impl.hpp"

namespace swarmsim::sim {

using protocol::time_origin;

void swarm::impl::trace(std::uint32_t from, std::uint32_t to, trace_event what) {
  traces.push_back(
      trace_record{now - time_origin, protocol::peer_id{from}, protocol::peer_id{to}, what});
}

void swarm::impl::take_sample() {
  script->take_sample(now,
                      sample_inputs{open_link_ends / 2, uploaded_total, uploaded_by_seeds, events},
                      [&](std::uint32_t i) -> const protocol::peer& { return *peers[i].logic; });
}

void swarm::impl::on(const events::sample&) {
  take_sample();
  schedule_in(spec.simulation.sample_interval, events::sample{});
}

// The connection and unchoke graphs of the live peers (sim/results/overlay.hpp).
void swarm::impl::take_overlay_sample() {
  overlay_snapshot snap;
  std::vector<std::uint32_t> node(peers.size(), no_peer);
  for (std::uint32_t i = 0; i < peers.size(); ++i) {
    if (peers[i].phase != peer_phase::live) continue;
    node[i] = static_cast<std::uint32_t>(snap.upload.size());
    snap.upload.push_back(peers[i].up.rate());
  }
  for (std::uint32_t i = 0; i < peers.size(); ++i) {
    const sim_peer& p = peers[i];
    if (node[i] == no_peer) continue;
    p.links.for_each([&](const link_ref& l) {
      if (l.state != link_state::open || node[l.remote] == no_peer) return;
      if (i < l.remote) snap.connections.emplace_back(node[i], node[l.remote]);
      if (p.complete) return;
      const protocol::session* sess = p.logic->find(l.id);
      if (sess && !sess->am_choking && !p.logic->is_optimistic_unchoke(sess->id))
        snap.unchokes.emplace_back(node[i], node[l.remote]);
    });
  }
  overlay.push_back(measure_overlay(snap, now - time_origin));
}

void swarm::impl::on(const events::overlay_sample&) {
  take_overlay_sample();
  schedule_in(*spec.simulation.overlay_interval, events::overlay_sample{});
}

run_result swarm::impl::results(std::chrono::steady_clock::time_point wall_start) {
  run_result result;
  for (const auto& p : peers) {
    if (p.phase != peer_phase::live) continue;
    p.logic->for_each_session([&](const protocol::session& x) {
      if (x.state == protocol::session_state::awaiting_handshake &&
          now - x.connected_at > std::chrono::seconds(1))
        ++result.stalled_handshakes;
    });
  }
  for (auto& p : peers) {
    if (p.phase == peer_phase::live) finish_record(p);
    result.peers.push_back(p.record);
  }
  result.samples = script->take_samples();
  result.overlay = std::move(overlay);
  result.traces = std::move(traces);
  result.undelivered_payload = payload_dropped + payload_in_flight;
  result.protocol_errors = protocol_errors;
  result.blocks_sent_while_choking = sent_while_choking;
  result.blocks_sent_after_departure = sent_after_departure;
  result.info.scenario = spec.name;
  result.info.seed = spec.simulation.seed;
  result.info.simulated_end = now - time_origin;
  result.info.events = events;
  result.info.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  result.info.t_min = planned_t_min;
  return result;
}

// After every event (builds with SWARMSIM_INVARIANTS): the protocol objects it
// touched and the simulator's mirror of their connections. Throws
// std::logic_error naming what broke.
void swarm::impl::check_after(const event& e) const {
  if (std::holds_alternative<events::tracker_request>(e) ||
      std::holds_alternative<events::tracker_response>(e))
    tracker.check_invariants();
  if (const auto pi = peer_of(e); pi && *pi < peers.size()) check_peer(*pi);
}

void swarm::impl::check_peer(std::uint32_t pi) const {
  const sim_peer& p = peers[pi];
  if (p.phase != peer_phase::live) return;
  p.logic->check_invariants();
  std::size_t open = 0;
  p.links.for_each([&](const link_ref& l) {
    if (l.state != link_state::open) return;
    ++open;
    if (!p.logic->find(l.id))
      throw std::logic_error(
          fmt::format("simulator: peer {} has link {} open but no session", pi, l.id.value()));
    if (l.remote_open != link_open(l.remote, l.remote_conn))
      throw std::logic_error(fmt::format(
          "simulator: peer {}'s mirror of link {}'s far end is stale", pi, l.id.value()));
  });
  std::size_t sessions = 0;
  p.logic->for_each_session([&](const protocol::session& x) {
    ++sessions;
    const link_ref* l = p.links.find(x.id);
    if (!l || (l->state != link_state::open && l->state != link_state::pending))
      throw std::logic_error(fmt::format(
          "simulator: peer {} has session {} but its link is not open", pi, x.id.value()));
  });
  if (open > sessions)
    throw std::logic_error(
        fmt::format("simulator: peer {} has {} open links for {} sessions", pi, open, sessions));
}

}  // namespace swarmsim::sim
