#include "sim/real/tracker/http_tracker.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <unordered_map>
#include <vector>

#include "sim/real/tracker/announce_request.hpp"
#include "sim/real/tracker/connection_table.hpp"
#include "sim/real/tracker/tracker_session.hpp"

namespace swarmsim::sim::real {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto accept_pause = std::chrono::milliseconds(100);
constexpr auto sweep_period = std::chrono::milliseconds(50);
constexpr std::string_view bencode_type = "text/plain";

// What the tracker knows about a torrent besides its swarm.
struct torrent_info {
  std::uint64_t size = 0;  // from a .torrent file when exact
  bool exact = false;
  std::uint64_t estimate = 0;  // largest left + downloaded announced
  std::string name;
};

// A body built at most once per cache_lifetime, shared by its readers.
struct body_cache {
  std::shared_ptr<const std::string> body;
  std::chrono::steady_clock::time_point built{};
};

// The IPv4 address of a remote endpoint (IPv4-mapped IPv6 included).
std::optional<std::uint32_t> ipv4_of(const tcp::endpoint& e) {
  const auto a = e.address();
  if (a.is_v4()) return a.to_v4().to_uint();
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_uint();
  return std::nullopt;
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

}  // namespace

struct http_tracker::impl : session_owner, std::enable_shared_from_this<impl> {
  asio::io_context& io;
  tcp::acceptor acceptor;
  asio::steady_timer expiry_timer;
  asio::steady_timer accept_timer;
  asio::steady_timer sweep_timer;  // closes sessions past their deadline
  bool sweeping = false;
  tcp::endpoint accepted_from;  // filled by the pending accept
  http_tracker_options options;
  session_limits limits;
  protocol::tracker logic;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::map<protocol::sha1_hash, torrent_info> info;
  std::size_t exact_torrents = 0;  // entries of `info` from add_torrent_info
  connection_table table;
  std::unordered_map<std::uint64_t, std::weak_ptr<tracker_session>> sessions;
  body_cache stats_cache;
  body_cache scrape_cache;
  std::function<void(const announce_record&)> callback;
  tracker_counters counters;
  std::optional<protocol::time_point> armed_deadline;
  bool is_stopped = false;
  tcp::endpoint local;  // kept after stop() closes the acceptor
  std::string url;

  impl(asio::io_context& context, http_tracker_options o)
      : io(context),
        acceptor(context),
        expiry_timer(context),
        accept_timer(context),
        sweep_timer(context),
        options(std::move(o)),
        limits{options.max_header_bytes, options.max_body_bytes, options.header_timeout,
               options.write_timeout},
        logic(options.tracker, options.seed),
        table({options.max_connections, options.max_connections_per_address}) {
    if (!options.clock) {
      options.clock = [start = started] {
        return protocol::time_point(std::chrono::duration_cast<protocol::duration>(
            std::chrono::steady_clock::now() - start));
      };
    }
  }

  protocol::time_point now() const { return options.clock(); }

  void listen(const tcp::endpoint& at) {
    acceptor.open(at.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(at);
    acceptor.listen(asio::socket_base::max_listen_connections);
    local = acceptor.local_endpoint();
    url = fmt::format("http://{}:{}/announce", local.address().to_string(), local.port());
  }

  // session_owner
  bool stopped() const override { return is_stopped; }
  tracker_reply answer(const tracker_request& req, const tcp::endpoint& remote) override;
  void waiting(std::uint64_t id) override { table.waiting(id); }
  void busy(std::uint64_t id) override { table.busy(id); }
  void closed(std::uint64_t id) override {
    sessions.erase(id);
    table.remove(id);
  }

  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void admit(tcp::socket socket, const tcp::endpoint& remote);
  void sweep();
  void arm_expiry();
  void expire() {
    if (logic.on_deadline(now()) > 0) forget_untracked_info();
    arm_expiry();
  }
  void forget_untracked_info();
  void stop();

  std::string announce(std::string_view query, const tcp::endpoint& remote);
  std::shared_ptr<const std::string> scrape(std::string_view query);
  std::string scrape_all();
  std::shared_ptr<const std::string> cached(body_cache& cache,
                                            const std::function<std::string()>& build);
  tracker_snapshot snapshot() const;
  torrent_snapshot torrent_of(const protocol::sha1_hash& hash, std::size_t peer_limit,
                              protocol::time_point t_now) const;
};

void http_tracker::impl::accept() {
  if (is_stopped) return;
  acceptor.async_accept(io, accepted_from,
                        [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                          self->on_accept(ec, std::move(socket));
                        });
}

void http_tracker::impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (is_stopped || ec == asio::error::operation_aborted) return;
  if (ec) {
    accept_timer.expires_after(accept_pause);
    accept_timer.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->accept();
    });
    return;
  }
  admit(std::move(socket), accepted_from);
  accept();
}

void http_tracker::impl::admit(tcp::socket socket, const tcp::endpoint& remote) {
  const auto verdict = table.admit(remote.address());
  if (verdict.evicted) {
    ++counters.evicted_connections;
    if (auto it = sessions.find(*verdict.evicted); it != sessions.end()) {
      if (auto s = it->second.lock()) s->close();
      sessions.erase(it);
    }
  }
  if (verdict.outcome != connection_table::verdict::admitted) {
    ++counters.refused_connections;
    return;  // the socket closes here
  }
  auto s = std::make_shared<tracker_session>(std::move(socket), remote, shared_from_this(),
                                             verdict.admitted, limits);
  sessions.emplace(verdict.admitted, s);
  s->start();
  if (!sweeping) sweep();
}

// Every sweep_period while connections are open: closes those past their
// deadline (invariant 4), at most a period late.
void http_tracker::impl::sweep() {
  sweeping = !sessions.empty() && !is_stopped;
  if (!sweeping) return;
  const auto t = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<tracker_session>> late;
  for (const auto& [id, weak] : sessions)
    if (auto s = weak.lock(); s && s->deadline() <= t) late.push_back(std::move(s));
  for (const auto& s : late)
    s->close();
  sweep_timer.expires_after(sweep_period);
  sweep_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec) {
      self->sweeping = false;
      return;
    }
    self->sweep();
  });
}

void http_tracker::impl::arm_expiry() {
  if (is_stopped) return;
  const auto deadline = logic.next_deadline();
  if (deadline == armed_deadline) return;
  armed_deadline = deadline;
  if (!deadline) {
    expiry_timer.cancel();
    return;
  }
  const auto wait = std::clamp(*deadline - now(), protocol::duration::zero(),
                               protocol::duration(std::chrono::hours(24)));
  expiry_timer.expires_after(wait);
  expiry_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->is_stopped) return;
    self->armed_deadline.reset();
    self->expire();
  });
}

// Size estimates of torrents the logic dropped go too, once they are half the
// map (amortised O(1) per dropped torrent); names from .torrent files stay.
void http_tracker::impl::forget_untracked_info() {
  if (info.size() <= 2 * (logic.torrent_count() + exact_torrents) + 1024) return;
  std::erase_if(
      info, [&](const auto& entry) { return !entry.second.exact && !logic.scrape(entry.first); });
}

void http_tracker::impl::stop() {
  if (is_stopped) return;
  is_stopped = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  expiry_timer.cancel();
  accept_timer.cancel();
  sweep_timer.cancel();
  std::vector<std::shared_ptr<tracker_session>> open;
  for (const auto& [id, weak] : sessions)
    if (auto s = weak.lock()) open.push_back(std::move(s));
  for (const auto& s : open)
    s->close();
}

std::shared_ptr<const std::string> http_tracker::impl::cached(
    body_cache& cache, const std::function<std::string()>& build) {
  const auto t = std::chrono::steady_clock::now();
  if (!cache.body || t - cache.built >= options.cache_lifetime) {
    cache.body = std::make_shared<const std::string>(build());
    cache.built = t;
  }
  return cache.body;
}

tracker_reply http_tracker::impl::answer(const tracker_request& req, const tcp::endpoint& remote) {
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  if (req.method() != http::verb::get)
    return make_reply(http::status::method_not_allowed, version, keep_alive, "text/plain",
                      "only GET is supported\n");
  expire();
  const auto target = req.target();
  const auto [path, query] = split_target(std::string_view(target.data(), target.size()));
  if (path == "/announce")
    return make_reply(http::status::ok, version, keep_alive, bencode_type, announce(query, remote));
  if (path == "/scrape")
    return make_reply(http::status::ok, version, keep_alive, bencode_type, scrape(query));
  if (path == "/stats")
    return make_reply(http::status::ok, version, keep_alive, "application/json",
                      cached(stats_cache, [this] { return to_json(snapshot()) + "\n"; }));
  if (path == "/")
    return make_reply(http::status::ok, version, keep_alive, "text/plain",
                      "swarmsim tracker: GET /announce, /scrape, /stats\n");
  return make_reply(http::status::not_found, version, keep_alive, "text/plain",
                    "not found: the tracker serves /announce, /scrape and /stats\n");
}

std::string http_tracker::impl::announce(std::string_view query, const tcp::endpoint& remote) {
  announce_record record;
  const auto address = ipv4_of(remote);
  record.from = protocol::endpoint{address.value_or(0), remote.port()};
  const auto refuse = [&](std::string reason) {
    ++counters.refused;
    record.failure = std::move(reason);
    if (callback) callback(record);
    return encode_failure(*record.failure);
  };
  auto q = parse_announce(query);
  if (!q) return refuse(q.error);
  record.info_hash = q->info_hash;
  record.peer = q->peer;
  record.event = q->event;
  record.left = q->left;
  if (!address) return refuse("IPv6 peers are not supported by this tracker");
  record.from.port = q->port;

  const auto result = logic.announce(to_tracker_request(*q, *address), now());
  if (result.failure) return refuse(*result.failure);
  ++counters.announces;
  if (q->event != protocol::announce_event::stopped) {
    auto& t = info[q->info_hash];
    t.estimate = std::max(t.estimate, saturating_add(q->left, q->downloaded));
  } else {
    forget_untracked_info();
  }
  arm_expiry();
  record.complete = result.complete;
  record.incomplete = result.incomplete;
  record.peers_returned = result.peers.size();
  if (callback) callback(record);
  return encode_announce_response(result, q->form, q->peer_ids);
}

std::shared_ptr<const std::string> http_tracker::impl::scrape(std::string_view query) {
  const auto refuse = [&](std::string_view reason) {
    ++counters.refused;
    return std::make_shared<const std::string>(encode_failure(reason));
  };
  const auto q = parse_scrape(query);
  if (!q) return refuse(q.error);
  if (q->info_hashes.empty() && options.scrape_all == full_scrape::refused)
    return refuse(
        "scrape without info_hash is disabled on this tracker: name each torrent with info_hash");
  ++counters.scrapes;
  if (q->info_hashes.empty()) return cached(scrape_cache, [this] { return scrape_all(); });
  std::vector<std::pair<protocol::sha1_hash, protocol::scrape_entry>> files;
  files.reserve(q->info_hashes.size());
  for (const auto& h : q->info_hashes)
    files.emplace_back(h, logic.scrape(h).value_or(protocol::scrape_entry{}));
  return std::make_shared<const std::string>(encode_scrape_response(files));
}

std::string http_tracker::impl::scrape_all() {
  const auto hashes = logic.torrents(options.scrape_all_limit);
  std::vector<std::pair<protocol::sha1_hash, protocol::scrape_entry>> files;
  files.reserve(hashes.size());
  for (const auto& h : hashes)
    files.emplace_back(h, logic.scrape(h).value_or(protocol::scrape_entry{}));
  return encode_scrape_response(files);
}

torrent_snapshot http_tracker::impl::torrent_of(const protocol::sha1_hash& hash,
                                                std::size_t peer_limit,
                                                protocol::time_point t_now) const {
  torrent_snapshot t;
  t.info_hash = hash;
  if (auto it = info.find(hash); it != info.end()) {
    t.name = it->second.name;
    if (it->second.exact) {
      t.size = it->second.size;
      t.size_from = size_source::torrent_file;
    } else if (it->second.estimate > 0) {
      t.size = it->second.estimate;
      t.size_from = size_source::estimated;
    }
  }
  const auto counts = logic.scrape(hash).value_or(protocol::scrape_entry{});
  t.complete = counts.complete;
  t.incomplete = counts.incomplete;
  t.downloaded = counts.downloaded;
  for (const auto& p : logic.peers(hash, peer_limit)) {
    peer_snapshot ps;
    ps.peer = p.peer;
    ps.address = p.address;
    ps.uploaded = p.uploaded;
    ps.downloaded = p.downloaded;
    ps.left = p.left;
    ps.seconds_since_announce = protocol::to_seconds(t_now - p.last_announce);
    ps.progress = peer_progress(p.left, t.size, t.size_from);
    t.peers.push_back(ps);
  }
  return t;
}

tracker_snapshot http_tracker::impl::snapshot() const {
  tracker_snapshot s;
  s.announce_url = url;
  s.uptime_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  s.counters = counters;
  s.counters.connections = sessions.size();
  s.torrent_count = logic.torrent_count();
  s.peer_count = logic.peer_count();
  const auto t_now = now();
  std::size_t peers_left = options.stats_peer_limit;
  for (const auto& hash : logic.torrents(options.stats_torrent_limit)) {
    s.torrents.push_back(torrent_of(hash, peers_left, t_now));
    peers_left -= s.torrents.back().peers.size();
  }
  return s;
}

http_tracker::http_tracker(asio::io_context& io, const tcp::endpoint& listen,
                           http_tracker_options options)
    : impl_(std::make_shared<impl>(io, std::move(options))) {
  impl_->listen(listen);
  impl_->accept();
}

http_tracker::~http_tracker() {
  impl_->stop();
}

std::uint16_t http_tracker::port() const {
  return local_endpoint().port();
}

tcp::endpoint http_tracker::local_endpoint() const {
  return impl_->local;
}

std::string http_tracker::announce_url() const {
  return impl_->url;
}

void http_tracker::add_torrent_info(const protocol::sha1_hash& info_hash, std::uint64_t size,
                                    std::string name) {
  auto& t = impl_->info[info_hash];
  if (!t.exact) ++impl_->exact_torrents;
  t.size = size;
  t.exact = true;
  t.name = std::move(name);
}

void http_tracker::on_announce(std::function<void(const announce_record&)> callback) {
  impl_->callback = std::move(callback);
}

tracker_snapshot http_tracker::snapshot() const {
  return impl_->snapshot();
}

const protocol::tracker& http_tracker::logic() const {
  return impl_->logic;
}

void http_tracker::stop() {
  impl_->stop();
}

std::optional<tcp::endpoint> parse_listen_endpoint(std::string_view text) {
  std::string_view host = "127.0.0.1";
  std::string_view port_text = text;
  if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535)
    return std::nullopt;
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code address_ec;
  const auto address = asio::ip::make_address_v4(std::string(host), address_ec);
  if (address_ec) return std::nullopt;
  return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

}  // namespace swarmsim::sim::real
