// The swarm driver's peers: building them from the scenario, arrivals and
// departures, connections and the tracker (sim/engine/swarm_impl.hpp).

#include <fmt/format.h>

#include <algorithm>

#include "sim/engine/population.hpp"
#include "sim/engine/rng.hpp"
#include "sim/engine/swarm_impl.hpp"
#include "sim/results/playback_results.hpp"
#include "sim/results/theory.hpp"

namespace swarmsim::sim {

using protocol::announce_event;
using protocol::connection_id;
using protocol::endpoint;
using protocol::time_origin;

namespace {

constexpr std::uint32_t address_base = 0x0a000000;  // 10.0.0.0/8: synthetic addresses
constexpr std::uint16_t listen_port = 6881;

endpoint address_of(std::uint32_t peer) {
  return endpoint{address_base + peer + 1, listen_port};
}
std::uint32_t peer_of(endpoint e) {
  return e.address - address_base - 1;
}

protocol::wire_peer_id wire_id_of(std::uint32_t peer) {
  protocol::wire_peer_id id{};
  const std::string s = fmt::format("-SS0001-{:012d}", peer);
  std::copy_n(s.begin(), 20, id.begin());
  return id;
}

}  // namespace

swarm::impl::impl(scenario s)
    : spec(std::move(s)),
      geometry(spec.torrent.size, spec.torrent.piece_size, spec.torrent.block_size),
      topo(topology::build(spec.network)),
      tracker(protocol::tracker_options{spec.tracker.announce_interval, spec.tracker.min_interval,
                                        spec.tracker.expire_after, spec.tracker.numwant,
                                        std::max(200u, spec.tracker.numwant)},
              split_seed(spec.simulation.seed, stream::tracker)) {
  single_site = topo.num_sites() == 1;
  for (std::size_t i = 0; i < info_hash.size(); ++i)
    info_hash[i] = static_cast<std::uint8_t>(splitmix64(spec.simulation.seed + i) & 0xff);
  build_peers();
  for (const trace_kind k : spec.simulation.trace) {
    trace_unchoke |= k == trace_kind::unchoke;
    trace_interest |= k == trace_kind::interest;
  }
}

void swarm::impl::build_peers() {
  auto plan = plan_peers(spec, topo, geometry);
  planned_t_min = t_min_at_start(plan, geometry.total_size());
  script.emplace(spec, plan, geometry.num_pieces());
  peers.resize(plan.size());
  for (const auto& g : spec.groups)
    group_options.push_back(peer_options_of(g, spec.tracker));
  for (std::uint32_t i = 0; i < plan.size(); ++i) {
    planned_peer& x = plan[i];
    sim_peer& p = peers[i];
    p.group = x.group;
    p.site = x.site;
    p.up = uplink(x.upload);
    p.down.capacity = x.download;
    p.arrival = x.arrival;
    p.initial_seed = x.initial_seed;
    p.complete = x.initial_seed;
    p.initial = std::move(x.initial);
    p.record = std::move(x.record);
  }
}

// ---- the protocol's actions ----

void swarm::impl::handle(std::uint32_t pi, protocol::action::connect& c) {
  const std::uint32_t target = peer_of(c.address);
  schedule_in(latency(pi, target), events::connect_request{target, pi});
}

void swarm::impl::handle(std::uint32_t pi, protocol::action::disconnect& d) {
  sim_peer& p = peers[pi];
  link_ref* l = p.links.find(d.conn);
  if (!l || l->state == link_state::closed) return;
  if (l->state == link_state::open) {
    schedule_in(latency(pi, l->remote), events::remote_closed{l->remote, l->remote_conn, pi});
    --open_link_ends;
    --p.open_links;
    mirror_closed(*l);
  }
  p.links.close(*l);
}

void swarm::impl::handle(std::uint32_t pi, protocol::action::announce& a) {
  sim_peer& p = peers[pi];
  const auto& st = p.logic->stats();
  protocol::announce_request r;
  r.info_hash = info_hash;
  r.peer = wire_id_of(pi);
  r.address = address_of(pi);
  r.uploaded = st.uploaded;
  r.downloaded = st.downloaded;
  const std::uint64_t have_bytes =
      static_cast<std::uint64_t>(p.logic->have().count()) * geometry.piece_size();
  r.left = p.logic->is_seed()
               ? 0
               : geometry.total_size() - std::min(have_bytes, geometry.total_size() - 1);
  r.event = a.event;
  r.numwant = a.numwant;
  schedule_in(spec.tracker.latency, events::tracker_request{pi, requests.put(r)});
}

void swarm::impl::handle(std::uint32_t pi, protocol::action::piece_completed& c) {
  sim_peer& p = peers[pi];
  if (!p.record.first_piece) p.record.first_piece = now - time_origin;
  if (const auto next = script->on_piece(pi, c.piece, now)) follow(*next);
}

// The simulator moves no bytes and builds its peers with piece_check::none, so
// the protocol never asks it to check a piece; the overload exists because the
// action does, and answers as a check of real data would (passed).
void swarm::impl::handle(std::uint32_t pi, protocol::action::check_piece& c) {
  peers[pi].logic->on_piece_checked(c.piece, protocol::piece_verdict::passed, now);
}

void swarm::impl::handle(std::uint32_t pi, protocol::action::download_completed&) {
  sim_peer& p = peers[pi];
  if (p.complete) return;
  p.complete = true;
  p.record.completion = now - time_origin;
  if (const auto next = script->on_complete(pi, now)) follow(*next);
}

// Schedules what the choreography asked for.
void swarm::impl::follow(const cue& c) {
  const event e =
      c.kind == cue_kind::abort ? event{events::abort{c.peer}} : event{events::depart{c.peer}};
  if (c.at == now)
    schedule_in(duration{0}, e);
  else
    schedule(c.at, e);
}

// ---- arrivals and departures ----

void swarm::impl::on(const events::arrive& e) {
  const std::uint32_t pi = e.peer;
  sim_peer& p = peers[pi];
  p.phase = peer_phase::live;
  const cue_list next = script->on_arrive(pi);
  protocol::peer_options options = group_options[p.group];
  options.choker.upload_capacity = p.up.rate();  // for choker slots_mode::automatic
  p.logic =
      std::make_unique<protocol::peer>(geometry, info_hash, wire_id_of(pi), address_of(pi), options,
                                       split_seed(spec.simulation.seed, stream::peer, pi));
  if (p.initial_seed)
    p.logic->set_have_all();
  else
    p.initial.for_each_set([&](std::uint32_t i) { p.logic->set_have(protocol::piece_index{i}); });
  p.initial = protocol::bitfield();
  p.logic->start(now);
  drain(pi);
  for (const cue& c : next)
    follow(c);
}

void swarm::impl::on(const events::depart& e) {
  if (script->applies(cue{cue_kind::depart, e.peer, now})) depart(e.peer);
}

void swarm::impl::on(const events::abort& e) {
  if (script->applies(cue{cue_kind::abort, e.peer, now})) depart(e.peer);
}

void swarm::impl::depart(std::uint32_t pi) {
  sim_peer& p = peers[pi];
  if (p.phase != peer_phase::live) return;
  p.logic->stop(now);
  drain(pi);
  p.phase = peer_phase::gone;
  script->on_depart(pi);
  p.record.departure = now - time_origin;
  finish_record(p);
  p.logic.reset();
  p.links.for_each([&](const link_ref& l) {
    if (l.state == link_state::open) mirror_closed(l);  // (stop() closed them all)
  });
  p.links.clear();
  p.up.clear();
}

void swarm::impl::finish_record(sim_peer& p) {
  const auto& st = p.logic->stats();
  protocol_errors += st.protocol_errors;
  p.record.bytes_uploaded = st.uploaded;
  p.record.bytes_downloaded = st.downloaded + st.wasted;
  p.record.bytes_wasted = st.wasted;
  p.record.bytes_downloaded_from_seeds = p.from_seeds;
  p.record.pieces_at_end = p.logic->have().count();
  p.record.playback = viewer_outcome(*p.logic, now);
}

// ---- connections ----

void swarm::impl::on(const events::connect_request& e) {
  sim_peer& t = peers[e.target];
  const duration lat = latency(e.target, e.initiator);
  std::optional<connection_id> c;
  if (t.phase == peer_phase::live) c = t.logic->on_connected(address_of(e.initiator), false, now);
  if (!c) {
    schedule_in(lat, events::connect_refused{e.initiator, e.target});
    return;
  }
  link_ref pending;
  pending.id = *c;
  pending.remote = e.initiator;
  pending.state = link_state::pending;
  pending.established = now;
  t.links.add(pending);
  schedule_in(lat, events::connect_accept{e.initiator, e.target, *c});
  drain(e.target);
}

void swarm::impl::on(const events::connect_accept& e) {
  const std::uint32_t from = e.initiator;
  const std::uint32_t target = e.target;
  const connection_id tconn = e.target_conn;
  sim_peer& f = peers[from];
  sim_peer& t = peers[target];
  link_ref* tl = t.phase == peer_phase::live ? t.links.find(tconn) : nullptr;
  const bool target_ok = tl && tl->state == link_state::pending;
  const auto drop_target = [&] {
    t.links.close(*tl);
    t.logic->on_disconnected(tconn, now);
    drain(target);
  };
  if (f.phase != peer_phase::live) {
    if (target_ok) drop_target();
    return;
  }
  if (!target_ok) {
    f.logic->on_connect_failed(address_of(target), now);
    drain(from);
    return;
  }
  const auto c = f.logic->on_connected(address_of(target), true, now);
  if (!c) {
    drop_target();
    drain(from);
    return;
  }
  // The handshake on_connected queued travels at drain(from), below.
  link_ref open;
  open.id = *c;
  open.remote_conn = tconn;
  open.remote = target;
  open.state = link_state::open;
  open.remote_open = true;
  open.established = now;
  f.links.add(open);
  tl->remote_conn = *c;
  tl->state = link_state::open;
  tl->remote_open = true;
  tl->established = now;
  open_link_ends += 2;
  ++f.open_links;
  ++t.open_links;
  for (sim_peer* x : {&f, &t}) {
    ++x->record.connections_total;
    x->record.connections_max = std::max(x->record.connections_max, x->open_links);
  }
  drain(from);
}

void swarm::impl::on(const events::connect_refused& e) {
  sim_peer& p = peers[e.initiator];
  if (p.phase != peer_phase::live) return;
  p.logic->on_connect_failed(address_of(e.target), now);
  drain(e.initiator);
}

void swarm::impl::on(const events::handshake_message& e) {
  if (!link_open(e.peer, e.conn)) return;
  peers[e.peer].logic->on_message(
      e.conn, protocol::msg::handshake{info_hash, wire_id_of(e.sender), {}}, now);
  drain(e.peer);
}

// Our end of open link `l` closes: the remote's mirror of it
// (link_ref::remote_open) follows. Connection ids are never reused, so
// remote_conn still names it (or nothing, once a later connection took its
// index).
void swarm::impl::mirror_closed(const link_ref& l) {
  if (link_ref* r = peers[l.remote].links.find(l.remote_conn)) r->remote_open = false;
}

void swarm::impl::on(const events::remote_closed& e) {
  if (!link_open(e.peer, e.conn)) return;
  sim_peer& p = peers[e.peer];
  link_ref& l = *p.links.find(e.conn);
  if (l.remote != e.from) return;
  p.links.close(l);
  mirror_closed(l);
  --open_link_ends;
  --p.open_links;
  p.logic->on_disconnected(e.conn, now);
  drain(e.peer);
}

// ---- tracker ----

void swarm::impl::on(const events::tracker_request& e) {
  const protocol::announce_request r = requests.take(e.request);
  auto resp = tracker.announce(r, now);
  if (r.event == announce_event::stopped || peers[e.peer].phase != peer_phase::live) return;
  schedule_in(spec.tracker.latency,
              events::tracker_response{e.peer, responses.put(std::move(resp))});
}

void swarm::impl::on(const events::tracker_response& e) {
  const protocol::announce_response r = responses.take(e.response);
  if (peers[e.peer].phase != peer_phase::live) return;
  peers[e.peer].logic->on_tracker_response(r, now);
  drain(e.peer);
}

}  // namespace swarmsim::sim
