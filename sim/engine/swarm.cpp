// The swarm driver's event loop, message delivery and the protocol's actions
// that send: the hot path, kept in one translation unit (sim/engine/swarm_impl.hpp).

#include <fmt/format.h>

#include <array>
#include <cassert>
#include <chrono>

#include "sim/engine/swarm_impl.hpp"

namespace swarmsim::sim {

using protocol::connection_id;
using protocol::piece_index;
using protocol::time_origin;

// ---- scheduling ----

// Schedules `e` at now + d. Events of one constant delay (the latency between
// two sites, the tracker's, a full block's transmit time at one upload rate,
// zero) are scheduled in (time, sequence) order, so they go to a FIFO lane of
// the queue instead of its heap (sim/engine/event_queue.hpp); the first
// max_lanes delays seen get a lane, any other delay uses the heap.
void swarm::impl::schedule_in(duration d, const event& e) {
  for (const auto& [delay, lane] : lanes)
    if (delay == d) {
      queue.push_lane(lane, now + d, e);
      return;
    }
  if (lanes.size() < max_lanes) {
    lanes.emplace_back(d, queue.add_lane());
    queue.push_lane(lanes.back().second, now + d, e);
    return;
  }
  queue.push(now + d, e);
}

void swarm::impl::arm_timer(std::uint32_t pi) {
  sim_peer& p = peers[pi];
  if (!p.logic) return;
  const time_point t = p.logic->next_deadline();
  if (t == protocol::never || t >= p.timer_at) return;
  p.timer_at = t;
  schedule(t, events::timer{pi});
}

// Carries out everything peer `pi` asked for.
void swarm::impl::drain(std::uint32_t pi) {
  sim_peer& p = peers[pi];
  if (!p.logic) return;
  if (!p.logic->has_actions()) {
    arm_timer(pi);
    return;
  }
  if (action_stack.size() <= drain_depth) action_stack.emplace_back();
  std::vector<protocol::peer_action>& acts = action_stack[drain_depth];
  ++drain_depth;
  while (p.logic && p.logic->has_actions()) {
    p.logic->drain_actions(acts);
    for (auto& a : acts)
      std::visit([&](auto& x) { handle(pi, x); }, a);
  }
  acts.clear();
  --drain_depth;
  arm_timer(pi);
}

// ---- actions that send ----

namespace {

// The event that carries message `m` to `e.peer`, or nothing for the messages
// that travel otherwise (handshake and bitfield: their own events; PIECE: the
// uplink).
template <typename M>
std::optional<events::control_message> control_of(const M& m, events::control_message e) {
  namespace msg = protocol::msg;
  using events::control;
  if constexpr (std::is_same_v<M, msg::keep_alive>) {
    e.type = control::keep_alive;
  } else if constexpr (std::is_same_v<M, msg::choke>) {
    e.type = control::choke;
  } else if constexpr (std::is_same_v<M, msg::unchoke>) {
    e.type = control::unchoke;
  } else if constexpr (std::is_same_v<M, msg::interested>) {
    e.type = control::interested;
  } else if constexpr (std::is_same_v<M, msg::not_interested>) {
    e.type = control::not_interested;
  } else if constexpr (std::is_same_v<M, msg::have>) {
    e.type = control::have;
    e.piece = m.index.value();
  } else if constexpr (std::is_same_v<M, msg::request> || std::is_same_v<M, msg::cancel>) {
    e.type = std::is_same_v<M, msg::request> ? control::request : control::cancel;
    e.piece = m.index.value();
    e.begin = m.begin;
    e.length = m.length;
  } else {
    return std::nullopt;
  }
  return e;
}

// What the traces record of message `m`, if anything.
template <typename M>
std::optional<trace_event> traced(bool unchoke, bool interest) {
  namespace msg = protocol::msg;
  if (unchoke && std::is_same_v<M, msg::choke>) return trace_event::choke;
  if (unchoke && std::is_same_v<M, msg::unchoke>) return trace_event::unchoke;
  if (interest && std::is_same_v<M, msg::interested>) return trace_event::interested;
  if (interest && std::is_same_v<M, msg::not_interested>) return trace_event::not_interested;
  return std::nullopt;
}

}  // namespace

// A message other than PIECE: after the latency alone (link_model.hpp rule 3).
void swarm::impl::handle(std::uint32_t pi, protocol::action::send& s) {
  const link_ref* l = peers[pi].links.find(s.conn);
  if (!l || l->state != link_state::open) return;
  const duration delay = latency(pi, l->remote);
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, protocol::msg::handshake>) {
          schedule_in(delay, events::handshake_message{l->remote, l->remote_conn, pi});
        } else if constexpr (std::is_same_v<M, protocol::msg::bitfield>) {
          schedule_in(delay, events::bitfield_message{l->remote, l->remote_conn,
                                                      bitfields.put(std::move(m.bits))});
        } else if constexpr (std::is_same_v<M, protocol::msg::piece>) {
          assert(false && "blocks travel through the uplink (next_upload), never as sends");
        } else {
          const auto e = control_of(m, events::control_message{l->remote, l->remote_conn});
          // BEP 6 / BEP 10 messages: simulated peers offer no extensions
          // (wire_extensions::none), so none is ever sent.
          assert(e && "simulated peers negotiate no wire extensions");
          if (!e) return;
          if (const auto what = traced<M>(trace_unchoke, trace_interest))
            trace(pi, l->remote, *what);
          schedule_in(delay, *e);
        }
      },
      s.msg);
}

// The protocol chose the recipients (h.to); one-site swarms deliver to all of
// them in one event, at the one latency there is.
void swarm::impl::handle(std::uint32_t pi, protocol::action::broadcast_have& h) {
  if (single_site) {
    schedule_in(topo.local_latency(),
                events::have_fanout{pi, h.piece.value(), have_recipients.put(std::move(h.to))});
    return;
  }
  const sim_peer& p = peers[pi];
  for (const connection_id c : h.to) {
    const link_ref* l = p.links.find(c);
    if (!l || l->state != link_state::open) continue;
    events::control_message e{l->remote, l->remote_conn};
    e.type = events::control::have;
    e.piece = h.piece.value();
    schedule_in(latency(pi, l->remote), e);
  }
}

void swarm::impl::handle(std::uint32_t pi, protocol::action::upload_ready& u) {
  sim_peer& p = peers[pi];
  link_ref* l = p.links.find(u.conn);
  if (!l || l->in_ring) return;
  l->in_ring = true;
  p.up.queue(u.conn);
  if (!p.up.busy()) start_upload(pi);
}

// The next block of the uplink: round robin, or the upload strategy's choice
// (link_model.hpp rules 1 and 2).
void swarm::impl::start_upload(std::uint32_t pi) {
  sim_peer& p = peers[pi];
  if (p.up.rate() <= 0) return;  // a free-rider (its choker unchokes nobody anyway)
  while (const auto c = p.logic->orders_uploads() ? next_ordered(pi) : p.up.next()) {
    link_ref* l = p.links.find(*c);
    if (!l) continue;  // closed and dropped since it was queued
    l->in_ring = false;
    if (l->state != link_state::open) continue;
    const auto block = p.logic->next_upload(*c, now);
    if (!block) continue;
    // BEP 3 and churn invariants, checked on the driver's side of the boundary.
    const protocol::session* sess = p.logic->find(*c);
    if (!sess || sess->am_choking) ++sent_while_choking;
    if (p.phase != peer_phase::live) ++sent_after_departure;
    const std::uint64_t bytes = protocol::wire_size(*block);
    const time_point end = p.up.send(bytes, now);
    const time_point at = peers[l->remote].down.receive(bytes, now, end, latency(pi, l->remote));
    schedule(at, events::block{l->remote, l->remote_conn, block->index.value(), block->begin,
                               block->length, pi});
    uploaded_total += block->length;
    payload_in_flight += block->length;
    if (p.complete) uploaded_by_seeds += block->length;
    if (p.logic->has_upload(*c)) {
      l->in_ring = true;
      p.up.queue(*c);
    }
    schedule_in(end - now, events::uplink_free{pi});
    return;
  }
  p.up.idle();
}

// For an upload strategy that orders blocks: the queued connection it picks
// among those that can send now (the others leave the queue).
std::optional<connection_id> swarm::impl::next_ordered(std::uint32_t pi) {
  sim_peer& p = peers[pi];
  p.up.prune([&](connection_id c) {
    link_ref* l = p.links.find(c);
    if (l && l->state == link_state::open && p.logic->has_upload(c)) return true;
    if (l) l->in_ring = false;
    return false;
  });
  if (p.up.queued().empty()) return std::nullopt;
  return p.up.take(p.logic->choose_upload(p.up.queued(), now));
}

// ---- message delivery ----

namespace {

// Whether connection `conn` of peer `p` is open, asked of the receiver's
// session, which the message's delivery touches anyway: while a peer is live,
// its link and its session of one connection open and close together
// (checked by check_peer in builds with SWARMSIM_INVARIANTS).
bool session_open(const sim_peer& p, connection_id conn) {
  return p.phase == peer_phase::live && p.logic->find(conn);
}

}  // namespace

void swarm::impl::on(const events::control_message& e) {
  sim_peer& p = peers[e.peer];
  if (!session_open(p, e.conn)) return;
  protocol::peer& x = *p.logic;
  const connection_id c = e.conn;
  namespace msg = protocol::msg;
  using events::control;
  switch (e.type) {
    case control::keep_alive:
      x.on_message(c, msg::keep_alive{}, now);
      break;
    case control::choke:
      x.on_message(c, msg::choke{}, now);
      break;
    case control::unchoke:
      x.on_message(c, msg::unchoke{}, now);
      break;
    case control::interested:
      x.on_message(c, msg::interested{}, now);
      break;
    case control::not_interested:
      x.on_message(c, msg::not_interested{}, now);
      break;
    case control::have:
      x.on_message(c, msg::have{piece_index{e.piece}}, now);
      break;
    case control::request:
      x.on_message(c, msg::request{piece_index{e.piece}, e.begin, e.length}, now);
      break;
    case control::cancel:
      x.on_message(c, msg::cancel{piece_index{e.piece}, e.begin, e.length}, now);
      break;
  }
  drain_after_message(e.peer);
}

void swarm::impl::on(const events::block& e) {
  payload_in_flight -= e.length;
  sim_peer& p = peers[e.peer];
  if (!session_open(p, e.conn)) {
    payload_dropped += e.length;
    return;
  }
  if (peers[e.sender].complete) p.from_seeds += e.length;
  p.logic->on_message(e.conn, protocol::msg::piece{piece_index{e.piece}, e.begin, e.length, {}},
                      now);
  drain_after_message(e.peer);
}

// Delivers a HAVE of `e.sender` to the recipients its protocol chose, on the
// connections still open at both ends.
void swarm::impl::on(const events::have_fanout& e) {
  const std::vector<connection_id> to = have_recipients.take(e.recipients);
  const sim_peer& p = peers[e.sender];
  const piece_index piece{e.piece};
  const protocol::msg::have m{piece};
  // Each recipient's link is looked up once, at the first hint, and kept for
  // the later steps in `ahead` (recipient i at i % 8): the sender's link table
  // does not grow during the fan-out (links are added by connect events), so
  // the pointers stay valid; their state is read again at every step.
  std::array<const link_ref*, 8> ahead{};
  const auto live = [](const link_ref* l) {
    return l && l->state == link_state::open && l->remote_open;
  };
  const auto logic_of = [&](const link_ref* l) { return peers[l->remote].logic.get(); };
  // The receivers' state is cold and each step needs the one before: prefetch
  // four receivers ahead their sim_peer, then the stages of
  // protocol::peer::prefetch_have three, two and one ahead (pure hints: the
  // order of work and the results do not change).
  const std::size_t n = to.size();
  const auto at = [&](std::size_t step, std::size_t back) -> const link_ref* {
    return step >= back && step - back < n ? ahead[(step - back) % 8] : nullptr;
  };
  for (std::size_t step = 0; step < n + 4; ++step) {
    if (step < n) {
      const link_ref* l = p.links.find(to[step]);
      ahead[step % 8] = l;
      if (live(l)) __builtin_prefetch(&peers[l->remote]);
    }
    if (const link_ref* l = at(step, 1); live(l))
      logic_of(l)->prefetch_have(l->remote_conn, piece, protocol::have_prefetch::members);
    if (const link_ref* l = at(step, 2); live(l))
      logic_of(l)->prefetch_have(l->remote_conn, piece, protocol::have_prefetch::session);
    if (const link_ref* l = at(step, 3); live(l))
      logic_of(l)->prefetch_have(l->remote_conn, piece, protocol::have_prefetch::bitfield_word);
    const link_ref* l = at(step, 4);
    if (!l || l->state != link_state::open) continue;
    assert(l->remote_open == link_open(l->remote, l->remote_conn));
    if (!l->remote_open) continue;
    peers[l->remote].logic->on_message(l->remote_conn, m, now);
    drain_after_message(l->remote);
#ifdef SWARMSIM_CHECK_INVARIANTS
    check_peer(l->remote);
#endif
  }
}

void swarm::impl::on(const events::uplink_free& e) {
  sim_peer& p = peers[e.peer];
  if (p.phase != peer_phase::live) return;
  p.up.idle();
  start_upload(e.peer);
}

void swarm::impl::on(const events::timer& e) {
  sim_peer& p = peers[e.peer];
  if (p.phase != peer_phase::live || p.timer_at != now) return;
  p.timer_at = protocol::never;
  p.logic->on_deadline(now);
  drain(e.peer);
}

void swarm::impl::on(const events::bitfield_message& e) {
  protocol::bitfield b = bitfields.take(e.bits);
  if (!link_open(e.peer, e.conn)) return;
  peers[e.peer].logic->on_message(e.conn, protocol::msg::bitfield{std::move(b)}, now);
  drain(e.peer);
}

// ---- the loop ----

run_result swarm::impl::run(const std::function<void(const run_progress&)>& progress) {
  const auto wall_start = std::chrono::steady_clock::now();
  for (std::uint32_t i = 0; i < peers.size(); ++i)
    schedule(peers[i].arrival, events::arrive{i});
  schedule(time_origin, events::sample{});
  if (spec.simulation.overlay_interval) schedule(time_origin, events::overlay_sample{});
  const time_point limit = time_origin + spec.simulation.time_limit;
  while (!queue.empty()) {
    const auto top = queue.pop_due(limit);
    if (!top) {
      now = limit;
      break;
    }
    now = top->time;
    ++events;
    dispatch(top->event, [this](const auto& e) { on(e); });
#ifdef SWARMSIM_CHECK_INVARIANTS
    check_after(top->event);
#endif
    if (progress && (events & 0x3fff) == 0)
      progress(
          run_progress{now - time_origin, script->completed(), script->total_leechers(), events});
    // Finish the current instant (e.g. departures on completion) before stopping.
    if (done() && (queue.empty() || queue.top().time > now)) break;
  }
  take_sample();  // unless one was taken at this instant
  if (progress)
    progress(
        run_progress{now - time_origin, script->completed(), script->total_leechers(), events});
  return results(wall_start);
}

swarm::swarm(scenario s) {
  try {
    impl_ = std::make_unique<impl>(std::move(s));
  } catch (const topology_error& e) {
    throw scenario_error(fmt::format("network: {}", e.what()));
  } catch (const std::invalid_argument& e) {
    throw scenario_error(e.what());
  }
}

swarm::~swarm() = default;

run_result swarm::run(const std::function<void(const run_progress&)>& progress) {
  return impl_->run(progress);
}

std::optional<duration> swarm::t_min() const {
  return impl_->planned_t_min;
}

}  // namespace swarmsim::sim
