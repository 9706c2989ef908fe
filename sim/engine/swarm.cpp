#include "sim/engine/swarm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cmath>
#include <deque>
#include <random>

#include "protocol/peer.hpp"
#include "protocol/tracker.hpp"
#include "sim/engine/choreography.hpp"
#include "sim/engine/event_queue.hpp"
#include "sim/engine/link_model.hpp"
#include "sim/engine/population.hpp"
#include "sim/engine/rng.hpp"
#include "sim/engine/topology.hpp"
#include "sim/results/theory.hpp"

namespace swarmsim::sim {

namespace {

using protocol::announce_event;
using protocol::bitfield;
using protocol::connection_id;
using protocol::endpoint;
using protocol::peer_action;
using protocol::piece_index;
using protocol::time_origin;
using protocol::to_seconds;

constexpr std::uint32_t address_base = 0x0a000000;  // 10.0.0.0/8: synthetic addresses
constexpr std::uint16_t listen_port = 6881;
constexpr std::uint32_t none = 0xffffffffu;  // no peer

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

enum class ev : std::uint8_t {
  arrive,
  depart,
  deliver,            // a control message: kind in `type`
  deliver_piece,      // a block
  deliver_bitfield,   // a = bitfield slot
  deliver_handshake,  // a = sender peer
  have_fanout,        // peer = sender, a = piece, b = recipients slot (one-site swarms)
  uplink_free,
  timer,
  tracker_request,   // a = request slot
  tracker_response,  // a = response slot
  connect_request,   // peer = target, a = initiator
  connect_accept,    // peer = initiator, a = target, conn = target's connection
  connect_refused,   // peer = initiator, a = target
  remote_closed,     // peer, conn: the remote closed this connection
  sample,
  abort,           // peer gives up unless it has completed (churn)
  overlay_sample,  // simulation.overlay_interval
};

enum class ctl : std::uint8_t {
  keep_alive,
  choke,
  unchoke,
  interested,
  not_interested,
  have,
  request,
  cancel,
};

struct event {
  ev kind;
  ctl type = ctl::keep_alive;
  std::uint32_t peer = 0;
  connection_id conn{};
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  std::uint32_t c = 0;
  std::uint32_t d = 0;  // deliver_piece: the sender

  // An event of `peer` alone (arrive, depart, timer, uplink_free, abort), or of
  // the swarm (sample, overlay_sample: peer 0).
  static event of(ev kind, std::uint32_t peer = 0) { return event{kind, ctl::keep_alive, peer}; }
};

// A queue entry is 48 bytes (time, sequence, event): a 64-byte line holds one
// whole, and the queue moves no more than that per push and pop.
static_assert(sizeof(event_queue<event>::entry) == 48);

// unused: an entry of the link table that no connection took yet.
enum class link_state : std::uint8_t { unused, pending, open, closed };

// Where one connection of a peer leads.
struct link_ref {
  connection_id id;           // our connection id
  connection_id remote_conn;  // the remote's id of it (known once open)
  std::uint32_t remote = none;
  link_state state = link_state::unused;
  bool in_ring = false;  // queued in the uplink round robin
  // The remote's end of this connection is open (and the remote live): a mirror
  // of link_open(remote, remote_conn) that the remote keeps up to date, so the
  // HAVE fan-out need not load the remote's link entry.
  bool remote_open = false;
  time_point established{};
};

// A peer's connections as the simulator sees them, each at the index
// protocol::peer::slot_of gives its id, so find() is one indexed load.
// 1. An index holds one pending or open link at a time: the protocol gives an
//    index again only once its session closed, which the link followed (add()
//    throws on a clash).
// 2. for_each visits the links in the order they began; closed ones stay
//    (findable by id) until the next add().
class link_table {
 public:
  // Connection `c` (pending, open or closed), nullptr if unknown or its index
  // was taken by a later connection.
  link_ref* find(connection_id c) {
    const std::uint32_t k = protocol::peer::slot_of(c);
    if (k >= links_.size() || links_[k].id != c || links_[k].state == link_state::unused)
      return nullptr;
    return &links_[k];
  }
  const link_ref* find(connection_id c) const { return const_cast<link_table*>(this)->find(c); }

  // Adds a connection at its index, first dropping the closed ones from the
  // order (the open ones keep theirs).
  void add(const link_ref& l) {
    if (closed_ > 0) {
      std::erase_if(order_, [&](std::uint32_t k) { return links_[k].state == link_state::closed; });
      closed_ = 0;
    }
    const std::uint32_t k = protocol::peer::slot_of(l.id);
    if (k >= links_.size()) links_.resize(k + 1);
    if (links_[k].state == link_state::pending || links_[k].state == link_state::open)
      throw std::logic_error(fmt::format("connection {} takes the index of open connection {}",
                                         l.id.value(), links_[k].id.value()));
    links_[k] = l;
    order_.push_back(k);
  }

  // `l` (one of ours) closes.
  void close(link_ref& l) {
    l.state = link_state::closed;
    ++closed_;
  }

  template <typename F>
  void for_each(F&& f) const {
    for (const std::uint32_t k : order_)
      f(links_[k]);
  }

  // Forgets every link (the peer left), freeing the memory.
  void clear() {
    links_ = {};
    order_ = {};
    closed_ = 0;
  }

 private:
  std::vector<link_ref> links_;
  std::vector<std::uint32_t> order_;
  std::uint32_t closed_ = 0;
};

enum class peer_phase : std::uint8_t { waiting, live, gone };

// Fields used on every event come first (one cache line).
struct sim_peer {
  std::unique_ptr<protocol::peer> logic;
  link_table links;
  time_point timer_at = protocol::never;
  peer_phase phase = peer_phase::waiting;
  bool complete = false;
  bool uplink_busy = false;
  bool initial_seed = false;
  std::uint32_t site = 0;
  double upload = 0;
  std::vector<connection_id> ring;  // uplink round robin (front at ring_head)
  std::size_t ring_head = 0;
  downlink down;
  std::uint32_t group = 0;
  double download = 0;
  time_point arrival{};
  bitfield initial;
  std::uint32_t open_links = 0;
  peer_record record;
  std::uint64_t from_seeds = 0;
};

// A slot pool: stable indices, reused after release.
template <typename T>
class pool {
 public:
  std::uint32_t put(T v) {
    if (!free_.empty()) {
      const std::uint32_t i = free_.back();
      free_.pop_back();
      items_[i] = std::move(v);
      return i;
    }
    items_.push_back(std::move(v));
    return static_cast<std::uint32_t>(items_.size() - 1);
  }
  T take(std::uint32_t i) {
    T v = std::move(items_[i]);
    items_[i] = T{};
    free_.push_back(i);
    return v;
  }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> free_;
};

}  // namespace

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
  pool<bitfield> bitfields;
  pool<std::vector<connection_id>> have_recipients;  // of have_fanout events
  pool<protocol::announce_request> requests;
  pool<protocol::announce_response> responses;
  std::vector<peer_action> actions;
  std::deque<std::vector<peer_action>> action_stack;  // reentrant drains (stable references)
  std::size_t drain_depth = 0;

  // Arrivals, departures, the swarm-wide counts and the samples (sim/engine/choreography.hpp).
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

  explicit impl(scenario s)
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

  void build_peers() {
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
      p.upload = x.upload;
      p.download = x.download;
      p.down.capacity = x.download;
      p.arrival = x.arrival;
      p.initial_seed = x.initial_seed;
      p.complete = x.initial_seed;
      p.initial = std::move(x.initial);
      p.record = std::move(x.record);
    }
  }

  // ---- scheduling helpers ----

  void schedule(time_point t, const event& e) { queue.push(t, e); }

  // Schedules `e` at now + d. Events of one constant delay (the latency between
  // two sites, the tracker's, a full block's transmit time at one upload rate,
  // zero) are scheduled in (time, sequence) order, so they go to a FIFO lane of
  // the queue instead of its heap (sim/engine/event_queue.hpp); the first max_lanes
  // delays seen get a lane, any other delay uses the heap.
  void schedule_in(duration d, const event& e) {
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

  duration latency(std::uint32_t a, std::uint32_t b) const {
    return topo.latency(peers[a].site, peers[b].site);
  }

  void arm_timer(std::uint32_t pi) {
    sim_peer& p = peers[pi];
    if (!p.logic) return;
    const time_point t = p.logic->next_deadline();
    if (t == protocol::never || t >= p.timer_at) return;
    p.timer_at = t;
    schedule(t, event::of(ev::timer, pi));
  }

  // Carries out everything peer `pi` asked for.
  void drain(std::uint32_t pi) {
    sim_peer& p = peers[pi];
    if (!p.logic) return;
    if (!p.logic->has_actions()) {
      arm_timer(pi);
      return;
    }
    if (action_stack.size() <= drain_depth) action_stack.emplace_back();
    std::vector<peer_action>& acts = action_stack[drain_depth];
    ++drain_depth;
    while (p.logic && p.logic->has_actions()) {
      p.logic->drain_actions(acts);
      for (auto& a : acts)
        carry_out(pi, a);
    }
    acts.clear();
    --drain_depth;
    arm_timer(pi);
  }

  // drain() after peer::on_message. A message moves the peer's deadline only
  // along with an action (protocol::peer invariant 7, checked there where
  // assertions are on), so without actions the timer is armed already.
  void drain_after_message(std::uint32_t pi) {
    if (peers[pi].logic->has_actions()) drain(pi);
  }

  void carry_out(std::uint32_t pi, peer_action& a) {
    std::visit([&](auto& x) { handle(pi, x); }, a);
  }

  void handle(std::uint32_t pi, protocol::action::send& s) {
    sim_peer& p = peers[pi];
    const link_ref* lp = link_of(p, s.conn);
    if (!lp || lp->state != link_state::open) return;
    const link_ref& l = *lp;
    const duration delay = latency(pi, l.remote);
    event e{ev::deliver, ctl::keep_alive, l.remote, l.remote_conn};
    std::visit(
        [&](auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, protocol::msg::handshake>) {
            e.kind = ev::deliver_handshake;
            e.a = pi;
          } else if constexpr (std::is_same_v<T, protocol::msg::bitfield>) {
            e.kind = ev::deliver_bitfield;
            e.a = bitfields.put(std::move(m.bits));
          } else if constexpr (std::is_same_v<T, protocol::msg::keep_alive>) {
            e.type = ctl::keep_alive;
          } else if constexpr (std::is_same_v<T, protocol::msg::choke>) {
            e.type = ctl::choke;
            if (trace_unchoke) trace(pi, l.remote, trace_event::choke);
          } else if constexpr (std::is_same_v<T, protocol::msg::unchoke>) {
            e.type = ctl::unchoke;
            if (trace_unchoke) trace(pi, l.remote, trace_event::unchoke);
          } else if constexpr (std::is_same_v<T, protocol::msg::interested>) {
            e.type = ctl::interested;
            if (trace_interest) trace(pi, l.remote, trace_event::interested);
          } else if constexpr (std::is_same_v<T, protocol::msg::not_interested>) {
            e.type = ctl::not_interested;
            if (trace_interest) trace(pi, l.remote, trace_event::not_interested);
          } else if constexpr (std::is_same_v<T, protocol::msg::have>) {
            e.type = ctl::have;
            e.a = m.index.value();
          } else if constexpr (std::is_same_v<T, protocol::msg::request>) {
            e.type = ctl::request;
            e.a = m.index.value();
            e.b = m.begin;
            e.c = m.length;
          } else if constexpr (std::is_same_v<T, protocol::msg::cancel>) {
            e.type = ctl::cancel;
            e.a = m.index.value();
            e.b = m.begin;
            e.c = m.length;
          } else if constexpr (std::is_same_v<T, protocol::msg::piece>) {
            // Blocks travel through the uplink (next_upload), never as send actions.
            assert(false && "piece messages go through the uplink");
          } else {
            // BEP 6 / BEP 10: simulated peers offer no extensions (wire_extensions::none).
            assert(false && "simulated peers negotiate no wire extensions");
          }
        },
        s.msg);
    schedule_in(delay, e);
  }

  void trace(std::uint32_t from, std::uint32_t to, trace_event what) {
    traces.push_back(
        trace_record{now - time_origin, protocol::peer_id{from}, protocol::peer_id{to}, what});
  }

  // The protocol chose the recipients (h.to); one-site swarms deliver to all of
  // them in one event, at the one latency there is.
  void handle(std::uint32_t pi, protocol::action::broadcast_have& h) {
    if (single_site) {
      event e{ev::have_fanout, ctl::have, pi};
      e.a = h.piece.value();
      e.b = have_recipients.put(std::move(h.to));
      schedule_in(topo.local_latency(), e);
      return;
    }
    const sim_peer& p = peers[pi];
    for (const connection_id c : h.to) {
      const link_ref* l = link_of(p, c);
      if (!l || l->state != link_state::open) continue;
      event e{ev::deliver, ctl::have, l->remote, l->remote_conn};
      e.a = h.piece.value();
      schedule_in(latency(pi, l->remote), e);
    }
  }

  void handle(std::uint32_t pi, protocol::action::upload_ready& u) {
    sim_peer& p = peers[pi];
    link_ref* l = link_of(p, u.conn);
    if (!l || l->in_ring) return;
    l->in_ring = true;
    p.ring.push_back(u.conn);
    if (!p.uplink_busy) start_upload(pi);
  }

  void handle(std::uint32_t pi, protocol::action::connect& c) {
    const std::uint32_t target = peer_of(c.address);
    event e = event::of(ev::connect_request, target);
    e.a = pi;
    schedule_in(latency(pi, target), e);
  }

  void handle(std::uint32_t pi, protocol::action::disconnect& d) {
    sim_peer& p = peers[pi];
    link_ref* lp = link_of(p, d.conn);
    if (!lp) return;
    link_ref& l = *lp;
    if (l.state == link_state::closed) return;
    if (l.state == link_state::open) {
      event e{ev::remote_closed, ctl::keep_alive, l.remote, l.remote_conn};
      e.a = pi;
      schedule_in(latency(pi, l.remote), e);
      --open_link_ends;
      --p.open_links;
      mirror_closed(l);
    }
    p.links.close(l);
  }

  void handle(std::uint32_t pi, protocol::action::announce& a) {
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
    r.numwant = a.event == announce_event::stopped ? 0 : spec.tracker.numwant;
    event e = event::of(ev::tracker_request, pi);
    e.a = requests.put(r);
    schedule_in(spec.tracker.latency, e);
  }

  void handle(std::uint32_t pi, protocol::action::piece_completed& c) {
    sim_peer& p = peers[pi];
    if (!p.record.first_piece) p.record.first_piece = now - time_origin;
    if (const auto next = script->on_piece(pi, c.piece, now)) follow(*next);
  }

  // Schedules what the choreography asked for.
  void follow(const cue& c) {
    const event e = event::of(c.kind == cue_kind::abort ? ev::abort : ev::depart, c.peer);
    if (c.at == now)
      schedule_in(duration{0}, e);
    else
      schedule(c.at, e);
  }

  // The simulator moves no bytes and builds its peers with piece_check::none, so
  // no check_piece comes; the handler only keeps the visit total (a piece would
  // pass at once).
  void handle(std::uint32_t pi, protocol::action::check_piece& c) {
    peers[pi].logic->on_piece_checked(c.piece, protocol::piece_verdict::passed, now);
  }

  void handle(std::uint32_t pi, protocol::action::download_completed&) {
    sim_peer& p = peers[pi];
    if (p.complete) return;
    p.complete = true;
    p.record.completion = now - time_origin;
    if (const auto next = script->on_complete(pi, now)) follow(*next);
  }

  // ---- uplink ----

  void start_upload(std::uint32_t pi) {
    sim_peer& p = peers[pi];
    if (p.upload <= 0) return;  // a free-rider (its choker unchokes nobody anyway)
    while (p.ring_head < p.ring.size()) {
      const connection_id c = p.ring[p.ring_head++];
      link_ref* lp = link_of(p, c);
      if (!lp) continue;  // closed and dropped since it was queued
      link_ref& l = *lp;
      l.in_ring = false;
      if (l.state != link_state::open) continue;
      auto block = p.logic->next_upload(c, now);
      if (!block) continue;
      // BEP 3 and churn invariants, checked on the driver's side of the boundary.
      const protocol::session* sess = p.logic->find(c);
      if (!sess || sess->am_choking) ++sent_while_choking;
      if (p.phase != peer_phase::live) ++sent_after_departure;
      const std::uint64_t bytes = protocol::wire_size(*block);
      const time_point end = now + transmit_time(bytes, p.upload);
      sim_peer& r = peers[l.remote];
      const time_point at = r.down.receive(bytes, now, end, latency(pi, l.remote));
      schedule(at, event{ev::deliver_piece, ctl::keep_alive, l.remote, l.remote_conn,
                         block->index.value(), block->begin, block->length, pi});
      uploaded_total += block->length;
      payload_in_flight += block->length;
      if (p.complete) uploaded_by_seeds += block->length;
      if (p.logic->has_upload(c)) {
        l.in_ring = true;
        p.ring.push_back(c);
      }
      compact_ring(p);
      p.uplink_busy = true;
      schedule_in(end - now, event::of(ev::uplink_free, pi));
      return;
    }
    compact_ring(p);
    p.uplink_busy = false;
  }

  static void compact_ring(sim_peer& p) {
    if (p.ring_head == p.ring.size()) {
      p.ring.clear();
      p.ring_head = 0;
    } else if (p.ring_head > 64 && p.ring_head * 2 > p.ring.size()) {
      p.ring.erase(p.ring.begin(), p.ring.begin() + static_cast<std::ptrdiff_t>(p.ring_head));
      p.ring_head = 0;
    }
  }

  // ---- peer lifecycle ----

  void arrive(std::uint32_t pi) {
    sim_peer& p = peers[pi];
    p.phase = peer_phase::live;
    const cue_list next = script->on_arrive(pi);
    protocol::peer_options options = group_options[p.group];
    options.choker.upload_capacity = p.upload;  // for choker slots_mode::automatic
    p.logic = std::make_unique<protocol::peer>(geometry, info_hash, wire_id_of(pi), address_of(pi),
                                               options,
                                               split_seed(spec.simulation.seed, stream::peer, pi));
    if (p.initial_seed)
      p.logic->set_have_all();
    else
      p.initial.for_each_set([&](std::uint32_t i) { p.logic->set_have(piece_index{i}); });
    p.initial = bitfield();
    p.logic->start(now);
    drain(pi);
    for (const cue& c : next)
      follow(c);
  }

  void depart(std::uint32_t pi) {
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
    p.ring = {};
  }

  void finish_record(sim_peer& p) {
    const auto& st = p.logic->stats();
    protocol_errors += st.protocol_errors;
    p.record.bytes_uploaded = st.uploaded;
    p.record.bytes_downloaded = st.downloaded + st.wasted;
    p.record.bytes_wasted = st.wasted;
    p.record.bytes_downloaded_from_seeds = p.from_seeds;
    p.record.pieces_at_end = p.logic->have().count();
  }

  // ---- connections ----

  void connect_request(std::uint32_t target, std::uint32_t from) {
    sim_peer& t = peers[target];
    const duration lat = latency(target, from);
    std::optional<connection_id> c;
    if (t.phase == peer_phase::live) c = t.logic->on_connected(address_of(from), false, now);
    event reply = event::of(ev::connect_refused, from);
    reply.a = target;
    if (!c) {
      schedule_in(lat, reply);
      return;
    }
    link_ref pending;
    pending.id = *c;
    pending.remote = from;
    pending.state = link_state::pending;
    pending.established = now;
    t.links.add(pending);
    reply.kind = ev::connect_accept;
    reply.conn = *c;
    schedule_in(lat, reply);
    drain(target);
  }

  void connect_accept(std::uint32_t from, std::uint32_t target, connection_id tconn) {
    sim_peer& f = peers[from];
    sim_peer& t = peers[target];
    link_ref* tl = t.phase == peer_phase::live ? link_of(t, tconn) : nullptr;
    const bool target_ok = tl && tl->state == link_state::pending;
    if (f.phase != peer_phase::live) {
      if (target_ok) {
        t.links.close(*tl);
        t.logic->on_disconnected(tconn, now);
        drain(target);
      }
      return;
    }
    if (!target_ok) {
      f.logic->on_connect_failed(address_of(target), now);
      drain(from);
      return;
    }
    const auto c = f.logic->on_connected(address_of(target), true, now);
    if (!c) {
      t.links.close(*tl);
      t.logic->on_disconnected(tconn, now);
      drain(target);
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

  // Our end of open link `l` closes: the remote's mirror of it
  // (link_ref::remote_open) follows. Connection ids are never reused, so
  // remote_conn still names it (or nothing, once a later connection took its
  // index).
  void mirror_closed(const link_ref& l) {
    if (link_ref* r = link_of(peers[l.remote], l.remote_conn)) r->remote_open = false;
  }

  static link_ref* link_of(sim_peer& p, connection_id conn) { return p.links.find(conn); }
  static const link_ref* link_of(const sim_peer& p, connection_id conn) {
    return p.links.find(conn);
  }

  // Whether connection `conn` of live peer `pi` is open.
  bool link_open(std::uint32_t pi, connection_id conn) const {
    const sim_peer& p = peers[pi];
    if (p.phase != peer_phase::live) return false;
    const link_ref* l = link_of(p, conn);
    return l && l->state == link_state::open;
  }

  void remote_closed(std::uint32_t pi, connection_id conn, std::uint32_t from) {
    if (!link_open(pi, conn)) return;
    sim_peer& p = peers[pi];
    link_ref& l = *link_of(p, conn);
    if (l.remote != from) return;
    p.links.close(l);
    mirror_closed(l);
    --open_link_ends;
    --p.open_links;
    p.logic->on_disconnected(conn, now);
    drain(pi);
  }

  // ---- message delivery ----

  // Whether connection `conn` of peer `pi` is open, asked of the receiver's
  // session, which the message's delivery touches anyway: while a peer is live,
  // its link and its session of one connection open and close together.
  bool session_open(std::uint32_t pi, connection_id conn) const {
    const sim_peer& p = peers[pi];
    const bool open = p.phase == peer_phase::live && p.logic->find(conn);
    assert(open == link_open(pi, conn));
    return open;
  }

  void deliver(const event& e) {
    if (!session_open(e.peer, e.conn)) return;
    protocol::peer& x = *peers[e.peer].logic;
    const connection_id c = e.conn;
    namespace msg = protocol::msg;
    switch (e.type) {
      case ctl::keep_alive:
        x.on_message(c, msg::keep_alive{}, now);
        break;
      case ctl::choke:
        x.on_message(c, msg::choke{}, now);
        break;
      case ctl::unchoke:
        x.on_message(c, msg::unchoke{}, now);
        break;
      case ctl::interested:
        x.on_message(c, msg::interested{}, now);
        break;
      case ctl::not_interested:
        x.on_message(c, msg::not_interested{}, now);
        break;
      case ctl::have:
        x.on_message(c, msg::have{piece_index{e.a}}, now);
        break;
      case ctl::request:
        x.on_message(c, msg::request{piece_index{e.a}, e.b, e.c}, now);
        break;
      case ctl::cancel:
        x.on_message(c, msg::cancel{piece_index{e.a}, e.b, e.c}, now);
        break;
    }
    drain_after_message(e.peer);
  }

  void deliver_piece(const event& e) {
    payload_in_flight -= e.c;
    if (!session_open(e.peer, e.conn)) {
      payload_dropped += e.c;
      return;
    }
    sim_peer& p = peers[e.peer];
    const std::uint32_t from = e.d;
    if (peers[from].complete) p.from_seeds += e.c;
    p.logic->on_message(e.conn, protocol::msg::piece{piece_index{e.a}, e.b, e.c, {}}, now);
    drain_after_message(e.peer);
  }

  // Delivers a HAVE of `from` to the recipients its protocol chose, on the
  // connections still open at both ends.
  void have_fanout(std::uint32_t from, piece_index piece, const std::vector<connection_id>& to) {
    const sim_peer& p = peers[from];
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
    for (std::size_t step = 0; step < n + 4; ++step) {
      if (step < n) {
        const link_ref* l = link_of(p, to[step]);
        ahead[step % 8] = l;
        if (live(l)) __builtin_prefetch(&peers[l->remote]);
      }
      if (const link_ref* l = step >= 1 && step - 1 < n ? ahead[(step - 1) % 8] : nullptr; live(l))
        logic_of(l)->prefetch_have(l->remote_conn, piece, protocol::have_prefetch::members);
      if (const link_ref* l = step >= 2 && step - 2 < n ? ahead[(step - 2) % 8] : nullptr; live(l))
        logic_of(l)->prefetch_have(l->remote_conn, piece, protocol::have_prefetch::session);
      if (const link_ref* l = step >= 3 && step - 3 < n ? ahead[(step - 3) % 8] : nullptr; live(l))
        logic_of(l)->prefetch_have(l->remote_conn, piece, protocol::have_prefetch::bitfield_word);
      if (step < 4) continue;
      const link_ref* l = ahead[(step - 4) % 8];
      if (!l || l->state != link_state::open) continue;
      assert(l == link_of(p, to[step - 4]));
      assert(l->remote_open == link_open(l->remote, l->remote_conn));
      if (!l->remote_open) continue;
      peers[l->remote].logic->on_message(l->remote_conn, m, now);
      drain_after_message(l->remote);
#ifdef SWARMSIM_CHECK_INVARIANTS
      check_peer(l->remote);
#endif
    }
  }

#ifdef SWARMSIM_CHECK_INVARIANTS
  // Builds with SWARMSIM_INVARIANTS (CMake): after every event, the protocol
  // objects it touched and the simulator's mirror of their connections. Throws
  // std::logic_error naming what broke.
  void check_after(const event& e) const {
    if (e.kind == ev::tracker_request || e.kind == ev::tracker_response) tracker.check_invariants();
    if (e.kind != ev::sample && e.kind != ev::overlay_sample && e.peer < peers.size())
      check_peer(e.peer);
  }

  void check_peer(std::uint32_t pi) const {
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
#endif

  // ---- tracker ----

  void tracker_request(std::uint32_t pi, std::uint32_t slot) {
    const protocol::announce_request r = requests.take(slot);
    auto resp = tracker.announce(r, now);
    if (r.event == announce_event::stopped || peers[pi].phase != peer_phase::live) return;
    event e = event::of(ev::tracker_response, pi);
    e.a = responses.put(std::move(resp));
    schedule_in(spec.tracker.latency, e);
  }

  void tracker_response(std::uint32_t pi, std::uint32_t slot) {
    const protocol::announce_response r = responses.take(slot);
    if (peers[pi].phase != peer_phase::live) return;
    peers[pi].logic->on_tracker_response(r, now);
    drain(pi);
  }

  // ---- metrics ----

  void take_sample() {
    script->take_sample(
        now, sample_inputs{open_link_ends / 2, uploaded_total, uploaded_by_seeds, events},
        [&](std::uint32_t i) -> const protocol::peer& { return *peers[i].logic; });
  }

  // The connection and unchoke graphs of the live peers (sim/results/overlay.hpp).
  void take_overlay_sample() {
    overlay_snapshot snap;
    std::vector<std::uint32_t> node(peers.size(), none);
    for (std::uint32_t i = 0; i < peers.size(); ++i) {
      if (peers[i].phase != peer_phase::live) continue;
      node[i] = static_cast<std::uint32_t>(snap.upload.size());
      snap.upload.push_back(peers[i].upload);
    }
    for (std::uint32_t i = 0; i < peers.size(); ++i) {
      const sim_peer& p = peers[i];
      if (node[i] == none) continue;
      p.links.for_each([&](const link_ref& l) {
        if (l.state != link_state::open || node[l.remote] == none) return;
        if (i < l.remote) snap.connections.emplace_back(node[i], node[l.remote]);
        if (p.complete) return;
        const protocol::session* sess = p.logic->find(l.id);
        if (sess && !sess->am_choking && !p.logic->is_optimistic_unchoke(sess->id))
          snap.unchokes.emplace_back(node[i], node[l.remote]);
      });
    }
    overlay.push_back(measure_overlay(snap, now - time_origin));
  }

  bool done() const {
    return spec.simulation.stop == stop_kind::all_complete && script->all_done();
  }

  run_result run(const std::function<void(const run_progress&)>& progress) {
    const auto wall_start = std::chrono::steady_clock::now();
    for (std::uint32_t i = 0; i < peers.size(); ++i)
      schedule(peers[i].arrival, event::of(ev::arrive, i));
    schedule(time_origin, event::of(ev::sample));
    if (spec.simulation.overlay_interval) schedule(time_origin, event::of(ev::overlay_sample));
    const time_point limit = time_origin + spec.simulation.time_limit;
    while (!queue.empty()) {
      const auto top = queue.pop_due(limit);
      if (!top) {
        now = limit;
        break;
      }
      now = top->time;
      ++events;
      const event& e = top->event;
      switch (e.kind) {
        case ev::arrive:
          arrive(e.peer);
          break;
        case ev::depart:
          if (script->applies(cue{cue_kind::depart, e.peer, now})) depart(e.peer);
          break;
        case ev::deliver:
          deliver(e);
          break;
        case ev::deliver_piece:
          deliver_piece(e);
          break;
        case ev::deliver_bitfield: {
          bitfield b = bitfields.take(e.a);
          if (link_open(e.peer, e.conn)) {
            peers[e.peer].logic->on_message(e.conn, protocol::msg::bitfield{std::move(b)}, now);
            drain(e.peer);
          }
          break;
        }
        case ev::deliver_handshake:
          if (link_open(e.peer, e.conn)) {
            peers[e.peer].logic->on_message(
                e.conn, protocol::msg::handshake{info_hash, wire_id_of(e.a), {}}, now);
            drain(e.peer);
          }
          break;
        case ev::have_fanout:
          have_fanout(e.peer, piece_index{e.a}, have_recipients.take(e.b));
          break;
        case ev::uplink_free:
          if (peers[e.peer].phase == peer_phase::live) {
            peers[e.peer].uplink_busy = false;
            start_upload(e.peer);
          }
          break;
        case ev::timer: {
          sim_peer& p = peers[e.peer];
          if (p.phase != peer_phase::live || p.timer_at != now) break;
          p.timer_at = protocol::never;
          p.logic->on_deadline(now);
          drain(e.peer);
          break;
        }
        case ev::tracker_request:
          tracker_request(e.peer, e.a);
          break;
        case ev::tracker_response:
          tracker_response(e.peer, e.a);
          break;
        case ev::connect_request:
          connect_request(e.peer, e.a);
          break;
        case ev::connect_accept:
          connect_accept(e.peer, e.a, e.conn);
          break;
        case ev::connect_refused:
          if (peers[e.peer].phase == peer_phase::live) {
            peers[e.peer].logic->on_connect_failed(address_of(e.a), now);
            drain(e.peer);
          }
          break;
        case ev::remote_closed:
          remote_closed(e.peer, e.conn, e.a);
          break;
        case ev::sample:
          take_sample();
          schedule_in(spec.simulation.sample_interval, event::of(ev::sample));
          break;
        case ev::abort:
          if (script->applies(cue{cue_kind::abort, e.peer, now})) depart(e.peer);
          break;
        case ev::overlay_sample:
          take_overlay_sample();
          schedule_in(*spec.simulation.overlay_interval, event::of(ev::overlay_sample));
          break;
      }
#ifdef SWARMSIM_CHECK_INVARIANTS
      check_after(e);
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
    result.info.t_min = t_min();
    return result;
  }

  std::optional<duration> t_min() const {
    return planned_t_min;
  }
};

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
  return impl_->t_min();
}

}  // namespace swarmsim::sim
