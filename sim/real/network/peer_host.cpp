#include "sim/real/network/peer_host.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "sim/real/network/connection_set.hpp"
#include "sim/real/network/peer_connection.hpp"
#include "sim/real/network/stall_check.hpp"
#include "sim/real/network/token_bucket.hpp"

namespace swarmsim::sim::real {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using protocol::connection_id;
using protocol::time_point;
using steady = std::chrono::steady_clock;

protocol::wire_peer_id make_peer_id(std::uint64_t seed) {
  static constexpr std::string_view alphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  protocol::wire_peer_id id{};
  const std::string_view prefix = "-SS0001-";
  std::copy(prefix.begin(), prefix.end(), id.begin());
  std::mt19937_64 gen(seed);
  for (std::size_t i = prefix.size(); i < id.size(); ++i)
    id[i] = static_cast<std::uint8_t>(alphabet[gen() % alphabet.size()]);
  return id;
}

protocol::peer_options real_peer_options() {
  protocol::peer_options o;
  o.max_request_queue = 2000;
  o.extensions = protocol::wire_extensions::fast_and_extension_protocol;
  o.queue = protocol::request_queue::adaptive;
  o.check = protocol::piece_check::by_driver;
  return o;
}

namespace {

constexpr auto max_announce_retry = std::chrono::minutes(5);

std::uint64_t pick_seed(std::uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) ^ rd();
}

// The host checks pieces itself, and its upload limit is the uplink the
// choker plans with (choker_options::upload_capacity).
protocol::peer_options by_driver(protocol::peer_options o, double upload_rate) {
  o.check = protocol::piece_check::by_driver;
  if (upload_rate > 0) o.choker.upload_capacity = upload_rate;
  return o;
}

}  // namespace

struct peer_host::impl : std::enable_shared_from_this<impl>, connection_events {
  impl(asio::io_context& io_, const protocol::metainfo& meta_, piece_store& store_,
       tracker_client& tracker_, peer_host_options options_, std::uint64_t seed)
      : io(io_),
        meta(meta_),
        store(store_),
        tracker(tracker_),
        options(std::move(options_)),
        origin(options.origin.value_or(steady::now())),
        id(options.id.value_or(make_peer_id(seed))),
        geometry(meta.geometry()),
        up(options.upload_rate),
        down(options.download_rate),
        links(io, options.listen, geometry.num_pieces(), &up, &down, options.connect_timeout,
              {options.encryption, meta.info_hash, seed ^ 0xc0ffeeull}),
        self(to_protocol_endpoint(links.local_endpoint())
                 .value_or(protocol::endpoint{0, links.local_endpoint().port()})),
        peer(geometry, meta.info_hash, id, self, by_driver(options.peer, options.upload_rate),
             seed ^ 0x5eedull),
        deadline_timer(io),
        sweep_timer(io),
        retry_timer(io),
        stop_timer(io),
        retry_delay(options.announce_retry) {}

  asio::io_context& io;
  const protocol::metainfo& meta;
  piece_store& store;
  tracker_client& tracker;
  peer_host_options options;
  steady::time_point origin;
  protocol::wire_peer_id id;
  protocol::torrent_geometry geometry;
  token_bucket up;
  token_bucket down;
  connection_set links;
  protocol::endpoint self;
  protocol::peer peer;
  asio::steady_timer deadline_timer;
  asio::steady_timer sweep_timer;
  asio::steady_timer retry_timer;
  asio::steady_timer stop_timer;
  time_point deadline_armed = protocol::never;
  std::vector<protocol::peer_action> actions;
  std::vector<std::uint8_t> piece_buffer;
  std::vector<connection_id> upload_waiting;  // upload_turn()
  std::vector<connection_id> upload_scratch;  // its scratch
  std::chrono::milliseconds retry_delay;
  bool started = false;
  bool stopping = false;
  bool alive = true;
  bool draining = false;
  bool complete_fired = false;
  std::uint32_t dropped = 0;
  std::uint32_t announces = 0;
  std::uint32_t encrypted_connections = 0;
  std::string tracker_error;
  std::string fatal_error;
  std::function<void()> complete_cb;
  std::function<void(protocol::piece_index)> piece_cb;
  std::function<void()> stop_done;
  std::function<void(const host_status&)> announce_cb;
  log_handler log_cb;

  time_point now() const { return protocol::time_origin + (steady::now() - origin); }

  void log(std::string_view text) {
    if (log_cb) log_cb(text);
  }

  peer_connection* conn(connection_id c) { return links.get(c); }

  // ---- lifecycle ----

  void start(const protocol::bitfield& have) {
    if (started) return;
    started = true;
    if (have.all())
      peer.set_have_all();
    else
      have.for_each_set([&](std::uint32_t i) { peer.set_have(protocol::piece_index{i}); });
    peer.start(now());
    links.start(*this);
    arm_sweep();
    drain();
    if (peer.is_seed()) fire_complete();
  }

  void cancel_timers() {
    for (auto* t : {&deadline_timer, &sweep_timer, &retry_timer})
      t->cancel();
  }

  void stop(std::function<void()> done) {
    if (stopping) return;
    stopping = true;
    stop_done = std::move(done);
    cancel_timers();
    if (!started) {
      finish_stop_later();
      return;
    }
    peer.stop(now());
    drain_while_stopping();
    links.close_all();
    stop_timer.expires_after(options.stop_wait);
    stop_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->finish_stop();
    });
  }

  void finish_stop_later() {
    asio::post(io, [self = shared_from_this()] { self->finish_stop(); });
  }

  void finish_stop() {
    stop_timer.cancel();
    if (!stop_done || !alive) return;
    auto done = std::move(stop_done);
    stop_done = nullptr;
    done();
  }

  void shutdown() {
    alive = false;
    stopping = true;
    cancel_timers();
    stop_timer.cancel();
    links.close_all();
  }

  void fire_complete() {
    if (complete_fired) return;
    complete_fired = true;
    asio::post(io, [self = shared_from_this()] {
      if (self->alive && self->complete_cb) self->complete_cb();
    });
  }

  void fatal(std::string text) {
    if (!fatal_error.empty()) return;
    fatal_error = std::move(text);
    log(fatal_error);
    asio::post(io, [self = shared_from_this()] {
      if (self->alive) self->stop(nullptr);
    });
  }

  // ---- actions ----

  void drain() {
    if (draining || stopping) return;
    draining = true;
    while (peer.has_actions()) {
      peer.drain_actions(actions);
      for (auto& a : actions)
        std::visit([&](auto& x) { handle(x); }, a);
    }
    actions.clear();
    draining = false;
    arm_deadline();
  }

  // After stop(): only the disconnects and the "stopped" announce remain.
  void drain_while_stopping() {
    while (peer.has_actions()) {
      peer.drain_actions(actions);
      for (auto& a : actions) {
        if (auto* d = std::get_if<protocol::action::disconnect>(&a)) handle(*d);
        if (auto* an = std::get_if<protocol::action::announce>(&a)) handle(*an);
      }
    }
    actions.clear();
  }

  void handle(protocol::action::send& s) {
    if (auto* c = conn(s.conn)) c->send(s.msg);
  }

  void handle(protocol::action::broadcast_have& h) {
    const protocol::message m = protocol::msg::have{h.piece};
    for (const connection_id to : h.to)
      if (auto* c = conn(to)) c->send(m);
  }

  void handle(protocol::action::upload_ready& u) {
    if (auto* c = conn(u.conn)) c->upload_ready();
  }

  void handle(protocol::action::connect& c) { links.connect(c.address); }

  // Every protocol-error close is logged with its reason; the others are routine.
  void handle(protocol::action::disconnect& d) {
    if (protocol::is_protocol_error(d.reason)) {
      const peer_connection* c = conn(d.conn);
      log(fmt::format("closed {}: protocol error: {}",
                      c ? fmt::format("{}:{}", c->remote_endpoint().address().to_string(),
                                      c->remote_endpoint().port())
                        : std::string("?"),
                      protocol::to_string(d.reason)));
    }
    links.close(d.conn);
  }

  void handle(protocol::action::announce& a) { send_announce(a); }

  void handle(protocol::action::piece_completed& p) {
    if (!piece_cb) return;
    asio::post(io, [self = shared_from_this(), piece = p.piece] {
      if (self->alive && self->piece_cb) self->piece_cb(piece);
    });
  }

  void handle(protocol::action::download_completed&) { fire_complete(); }

  void handle(protocol::action::check_piece& c) {
    bool ok = false;
    std::vector<protocol::sha1_hash> digests;
    try {
      ok = piece_matches(store, meta, c.piece, piece_buffer);
      if (c.block_digests) {  // the peer's smart ban compares them (piece_blame.hpp)
        const auto block = geometry.block_size();
        for (std::size_t at = 0; at < piece_buffer.size(); at += block)
          digests.push_back(protocol::sha1(
              std::span(piece_buffer)
                  .subspan(at, std::min<std::size_t>(block, piece_buffer.size() - at))));
      }
    } catch (const storage_error& e) {
      fatal(e.what());
    }
    if (!ok)
      log(fmt::format("piece {} failed its SHA-1 check; fetching it again", c.piece.value()));
    peer.on_piece_checked(c.piece,
                          ok ? protocol::piece_verdict::passed : protocol::piece_verdict::failed,
                          now(), digests);
  }

  // ---- tracker ----

  std::uint64_t bytes_had() const {
    const std::uint32_t n = peer.have().count();
    std::uint64_t bytes = std::uint64_t{n} * geometry.piece_size();
    const protocol::piece_index last{geometry.num_pieces() - 1};
    if (peer.have().test(last)) bytes -= geometry.piece_size() - geometry.piece_length(last);
    return bytes;
  }

  // Sends the announce as the peer asked for it (event, numwant); a retry
  // sends the same.
  void send_announce(protocol::action::announce a) {
    protocol::announce_request r;
    r.info_hash = meta.info_hash;
    r.peer = id;
    r.address = self;
    r.uploaded = peer.stats().uploaded;
    r.downloaded = peer.stats().downloaded;
    r.left = geometry.total_size() - bytes_had();
    r.event = a.event;
    r.numwant = a.numwant;
    tracker.announce(r, [self = shared_from_this(), a](parsed<protocol::announce_response> result) {
      self->on_announce_result(a, std::move(result));
    });
  }

  void on_announce_result(protocol::action::announce a,
                          parsed<protocol::announce_response> result) {
    if (!alive) return;
    if (a.event == protocol::announce_event::stopped) {
      finish_stop();
      return;
    }
    if (stopping) return;
    if (!result) {
      tracker_error = result.error;
    } else if (result->failure) {
      tracker_error = fmt::format("tracker refused the announce: {}", *result->failure);
    } else {
      tracker_error.clear();
      retry_timer.cancel();
      ++announces;
      retry_delay = options.announce_retry;
      peer.on_tracker_response(*result.value, now());
      drain();
    }
    if (!tracker_error.empty()) {
      log(fmt::format("{} (retrying in {} s)", tracker_error, retry_delay.count() / 1000.0));
      retry_timer.expires_after(retry_delay);
      retry_timer.async_wait([self = shared_from_this(), a](const boost::system::error_code& ec) {
        if (!ec && self->alive && !self->stopping) self->send_announce(a);
      });
      retry_delay = std::min<std::chrono::milliseconds>(retry_delay * 2, max_announce_retry);
    }
    if (announce_cb) announce_cb(status());
  }

  // ---- timers ----

  void arm_deadline() {
    if (stopping) return;
    const time_point t = peer.next_deadline();
    if (t == protocol::never || t >= deadline_armed) return;
    deadline_armed = t;
    deadline_timer.expires_at(origin + (t - protocol::time_origin));
    deadline_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->alive || self->stopping) return;
      self->deadline_armed = protocol::never;
      self->peer.on_deadline(self->now());
      self->drain();
    });
  }

  void arm_sweep() {
    sweep_timer.expires_after(options.sweep_interval);
    sweep_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->alive || self->stopping) return;
      self->sweep();
      self->arm_sweep();
    });
  }

  // Drops connections that stalled (invariant 3).
  void sweep() {
    const time_point t = now();
    const auto wall = steady::now();
    std::vector<std::pair<connection_id, std::string>> drop_list;
    const stall_limits limits{options.handshake_timeout, options.request_timeout,
                              options.idle_timeout, options.write_timeout};
    links.for_each([&](const peer_connection& c) {
      const auto w = c.writing_since();
      const socket_activity a{wall - c.last_received(),
                              w ? std::optional(wall - *w) : std::nullopt};
      if (auto why = stall_reason(peer.find(c.id()), t, a, limits))
        drop_list.emplace_back(c.id(), std::move(*why));
    });
    for (auto& [c, why] : drop_list)
      drop(c, why);
    drain();
  }

  void drop(connection_id c, std::string_view why) {
    const protocol::session* s = peer.find(c);
    ++dropped;
    log(fmt::format("dropped {}: {}", s ? protocol::to_string(s->remote) : std::string("?"), why));
    links.close(c);
    peer.on_disconnected(c, now());
  }

  // ---- connection_events ----

  std::optional<connection_id> on_inbound(protocol::endpoint remote) override {
    if (!alive || stopping || !peer.can_accept(now())) return std::nullopt;
    return peer.on_connected(remote, false, now());
  }

  std::optional<connection_id> on_outbound(protocol::endpoint remote, bool ok) override {
    if (!alive || stopping) return std::nullopt;
    if (ok) return peer.on_connected(remote, true, now());
    peer.on_connect_failed(remote, now());
    return std::nullopt;
  }

  void settle() override { drain(); }

  // Invariant 2: only a block the peer will accept (requested on `c`, not had).
  void store_block(connection_id c, const protocol::msg::piece& m) {
    if (m.data.size() != m.length || !peer.wants_block(c, m)) return;
    try {
      store.write(geometry.piece_offset(m.index) + m.begin, m.data);
    } catch (const storage_error& e) {
      fatal(e.what());
    }
  }

  // ---- connection_owner ----

  void on_wire_message(connection_id c, protocol::message&& m) override {
    if (!alive || stopping) return;
    if (const auto* p = std::get_if<protocol::msg::piece>(&m)) {
      store_block(c, *p);
      if (stopping) return;
    } else if (std::holds_alternative<protocol::msg::handshake>(m)) {
      if (const auto* k = conn(c); k && k->encrypted()) ++encrypted_connections;
    }
    peer.on_message(c, m, now());
    drain();
  }

  void on_connection_closed(connection_id c, const connection_closed& why) override {
    if (!alive || stopping) return;
    if (why.cause == close_cause::undecodable || why.cause == close_cause::encryption) {
      ++dropped;
      const protocol::session* s = peer.find(c);
      const std::string_view what = why.wire_error  ? protocol::to_string(*why.wire_error)
                                    : why.mse_error ? protocol::to_string(*why.mse_error)
                                                    : std::string_view("undecodable");
      log(fmt::format("dropped {}: protocol error: {} ({})",
                      s ? protocol::to_string(s->remote) : std::string("?"), what, why.detail));
    }
    links.release(c);
    peer.on_disconnected(c, now());
    std::erase(upload_waiting, c);
    if (!upload_waiting.empty()) grant_upload();
    drain();
  }

  std::optional<protocol::msg::piece> next_block(connection_id c) override {
    if (!alive || stopping) return std::nullopt;
    if (!upload_turn(c)) return std::nullopt;
    auto b = peer.next_upload(c, now());
    if (!b) return std::nullopt;
    if (!upload_waiting.empty()) grant_upload();
    b->data.resize(b->length);
    try {
      store.read(geometry.piece_offset(b->index) + b->begin, b->data);
    } catch (const storage_error& e) {
      fatal(e.what());
      return std::nullopt;
    }
    return b;
  }

  // Upload strategy rule 6 over sockets: with an upload limit and a strategy
  // that orders blocks, a connection that asks for a block while the strategy
  // prefers another waits (upload_waiting), and the preferred one is told to
  // ask; after each block the best waiting one is. Without a limit, or without
  // an order, every connection pulls its own blocks as the limit allows.
  bool upload_turn(connection_id c) {
    if (!peer.orders_uploads() || !up.limited()) return true;
    const connection_id chosen = *preferred_upload(c);
    if (chosen == c) return true;
    upload_waiting.push_back(c);
    poke_upload(chosen);
    return false;
  }
  void grant_upload() {
    if (const auto chosen = preferred_upload(std::nullopt)) poke_upload(*chosen);
  }
  // The strategy's pick among the waiting connections that still have
  // requests, and `asking` (taken off the waiting list); nothing if none.
  std::optional<connection_id> preferred_upload(std::optional<connection_id> asking) {
    std::erase_if(upload_waiting,
                  [&](connection_id w) { return w == asking || !peer.has_upload(w); });
    upload_scratch.assign(upload_waiting.begin(), upload_waiting.end());
    if (asking) upload_scratch.push_back(*asking);
    if (upload_scratch.empty()) return std::nullopt;
    std::sort(upload_scratch.begin(), upload_scratch.end());
    return upload_scratch[peer.choose_upload(upload_scratch, now())];
  }
  // Tells c to ask for its next block, once the current call has returned.
  void poke_upload(connection_id c) {
    std::erase(upload_waiting, c);
    asio::post(io, [self = shared_from_this(), c] {
      if (!self->alive || self->stopping) return;
      if (auto* k = self->conn(c)) k->upload_ready();
    });
  }

  host_status status() const {
    host_status s;
    s.num_pieces = geometry.num_pieces();
    s.pieces_had = peer.have().count();
    s.total_bytes = geometry.total_size();
    s.bytes_had = bytes_had();
    const auto& st = peer.stats();
    s.downloaded = st.downloaded;
    s.uploaded = st.uploaded;
    s.wasted = st.wasted;
    s.connections = static_cast<std::uint32_t>(peer.num_connections());
    s.hash_failures = st.hash_failures;
    s.protocol_errors = st.protocol_errors;
    s.dropped = dropped;
    s.encrypted_connections = encrypted_connections;
    s.announces = announces;
    s.complete = peer.is_seed();
    s.tracker_error = tracker_error;
    s.fatal_error = fatal_error;
    return s;
  }
};

peer_host::peer_host(asio::io_context& io, const protocol::metainfo& meta, piece_store& store,
                     tracker_client& tracker, peer_host_options options) {
  const std::uint64_t seed = pick_seed(options.seed);
  impl_ = std::make_shared<impl>(io, meta, store, tracker, std::move(options), seed);
}

peer_host::~peer_host() {
  impl_->shutdown();
}

void peer_host::start(const protocol::bitfield& have) {
  impl_->start(have);
}
void peer_host::stop(std::function<void()> done) {
  impl_->stop(std::move(done));
}
void peer_host::add_peers(const std::vector<protocol::endpoint>& peers) {
  protocol::announce_response r;
  for (const auto& e : peers)
    r.peers.push_back(protocol::peer_entry{{}, e});
  impl_->peer.on_tracker_response(r, impl_->now());
  impl_->drain();
}
std::uint16_t peer_host::port() const {
  return impl_->self.port;
}
tcp::endpoint peer_host::local_endpoint() const {
  return impl_->links.local_endpoint();
}
host_status peer_host::status() const {
  return impl_->status();
}
const protocol::peer& peer_host::logic() const {
  return impl_->peer;
}
protocol::time_point peer_host::now() const {
  return impl_->now();
}
const protocol::wire_peer_id& peer_host::id() const {
  return impl_->id;
}
void peer_host::on_complete(std::function<void()> callback) {
  impl_->complete_cb = std::move(callback);
}
void peer_host::on_piece(std::function<void(protocol::piece_index)> callback) {
  impl_->piece_cb = std::move(callback);
}
void peer_host::on_announce(std::function<void(const host_status&)> callback) {
  impl_->announce_cb = std::move(callback);
}
void peer_host::on_log(log_handler callback) {
  impl_->log_cb = std::move(callback);
}

}  // namespace swarmsim::sim::real
