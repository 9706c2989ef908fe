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

namespace swarmsim::sim::real {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

constexpr auto accept_pause = std::chrono::milliseconds(100);
constexpr std::string_view bencode_type = "text/plain";

// What the tracker knows about a torrent besides its swarm.
struct torrent_info {
  std::uint64_t size = 0;  // from a .torrent file when exact
  bool exact = false;
  std::uint64_t estimate = 0;  // largest left + downloaded announced
  std::string name;
};

response make_response(http::status status, unsigned version, bool keep_alive,
                       std::string_view content_type, std::string body) {
  response res{status, version};
  res.set(http::field::server, "swarmsim");
  res.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// An error found before a request could be read whole: the connection closes.
response early_error(http::status status, std::string_view text) {
  return make_response(status, 11, false, "text/plain", std::string(text) + "\n");
}

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

class tracker_session;

struct http_tracker::impl : std::enable_shared_from_this<impl> {
  asio::io_context& io;
  tcp::acceptor acceptor;
  asio::steady_timer expiry_timer;
  asio::steady_timer accept_timer;
  http_tracker_options options;
  protocol::tracker logic;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::map<protocol::sha1_hash, torrent_info> info;
  std::unordered_map<std::uint64_t, std::weak_ptr<tracker_session>> sessions;
  std::uint64_t next_session = 0;
  std::function<void(const announce_record&)> callback;
  std::uint64_t announces = 0;
  std::uint64_t scrapes = 0;
  std::uint64_t refused = 0;
  std::optional<protocol::time_point> armed_deadline;
  bool stopped = false;
  tcp::endpoint local;  // kept after stop() closes the acceptor
  std::string url;

  impl(asio::io_context& context, http_tracker_options o)
      : io(context),
        acceptor(context),
        expiry_timer(context),
        accept_timer(context),
        options(std::move(o)),
        logic(options.tracker, options.seed) {
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

  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void arm_expiry();
  void expire() {
    logic.on_deadline(now());
    arm_expiry();
  }
  void stop();

  response handle(const request& req, const tcp::endpoint& remote);
  std::string announce(std::string_view query, const tcp::endpoint& remote);
  std::string scrape(std::string_view query);
  tracker_snapshot snapshot() const;
};

// One HTTP connection: reads requests one at a time and answers each.
// 1. Exactly one read or write is pending at a time (or none, once it is done);
//    each holds a shared_ptr to the session, so it lives until its last handler.
// 2. Its entry in owner_->sessions exists from start() to its destruction.
class tracker_session : public std::enable_shared_from_this<tracker_session> {
 public:
  tracker_session(tcp::socket socket, std::shared_ptr<http_tracker::impl> owner, std::uint64_t id)
      : stream_(std::move(socket)),
        buffer_(std::size_t{owner->options.max_header_bytes} + owner->options.max_body_bytes +
                4096),
        owner_(std::move(owner)),
        id_(id) {
    beast::error_code ec;
    remote_ = stream_.socket().remote_endpoint(ec);
  }

  ~tracker_session() { owner_->sessions.erase(id_); }

  void start() { read(); }

  void close() {
    beast::error_code ec;
    stream_.socket().close(ec);
  }

 private:
  void read() {
    if (owner_->stopped) return;
    parser_.emplace();
    parser_->header_limit(owner_->options.max_header_bytes);
    parser_->body_limit(owner_->options.max_body_bytes);
    stream_.expires_after(owner_->options.request_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (owner_->stopped || ec == asio::error::operation_aborted) return;
    if (ec == http::error::end_of_stream) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      write(early_error(http::status::request_header_fields_too_large, "request too large"), true);
      return;
    }
    if (ec == http::error::body_limit) {
      write(early_error(http::status::payload_too_large, "request body too large"), true);
      return;
    }
    if (ec && ec.category() == beast::error_code(http::error::bad_target).category()) {
      write(early_error(http::status::bad_request, "bad request"), true);
      return;
    }
    if (ec) return;  // timeout or a socket error: the socket closes with the session
    const request& req = parser_->get();
    const bool keep_alive = req.keep_alive();
    write(owner_->handle(req, remote_), !keep_alive);
  }

  void write(response res, bool close_after) {
    response_ = std::move(res);
    if (close_after) response_.keep_alive(false);
    stream_.expires_after(owner_->options.request_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
                        self->on_write(ec, close_after);
                      });
  }

  void on_write(beast::error_code ec, bool close_after) {
    if (ec || owner_->stopped) return;
    if (close_after) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    read();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  response response_;
  std::shared_ptr<http_tracker::impl> owner_;
  std::uint64_t id_;
  tcp::endpoint remote_;
};

void http_tracker::impl::accept() {
  if (stopped) return;
  acceptor.async_accept(io, [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void http_tracker::impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopped || ec == asio::error::operation_aborted) return;
  if (ec) {
    accept_timer.expires_after(accept_pause);
    accept_timer.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->accept();
    });
    return;
  }
  if (sessions.size() >= options.max_connections) {
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    const std::uint64_t id = next_session++;
    auto s = std::make_shared<tracker_session>(std::move(socket), shared_from_this(), id);
    sessions.emplace(id, s);
    s->start();
  }
  accept();
}

void http_tracker::impl::arm_expiry() {
  if (stopped) return;
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
    if (ec || self->stopped) return;
    self->armed_deadline.reset();
    self->expire();
  });
}

void http_tracker::impl::stop() {
  if (stopped) return;
  stopped = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  expiry_timer.cancel();
  accept_timer.cancel();
  std::vector<std::shared_ptr<tracker_session>> open;
  for (const auto& [id, weak] : sessions)
    if (auto s = weak.lock()) open.push_back(std::move(s));
  for (const auto& s : open)
    s->close();
}

response http_tracker::impl::handle(const request& req, const tcp::endpoint& remote) {
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  if (req.method() != http::verb::get)
    return make_response(http::status::method_not_allowed, version, keep_alive, "text/plain",
                         "only GET is supported\n");
  expire();
  const auto target = req.target();
  const auto [path, query] = split_target(std::string_view(target.data(), target.size()));
  if (path == "/announce")
    return make_response(http::status::ok, version, keep_alive, bencode_type,
                         announce(query, remote));
  if (path == "/scrape")
    return make_response(http::status::ok, version, keep_alive, bencode_type, scrape(query));
  if (path == "/stats")
    return make_response(http::status::ok, version, keep_alive, "application/json",
                         to_json(snapshot()) + "\n");
  if (path == "/")
    return make_response(http::status::ok, version, keep_alive, "text/plain",
                         "swarmsim tracker: GET /announce, /scrape, /stats\n");
  return make_response(http::status::not_found, version, keep_alive, "text/plain",
                       "not found: the tracker serves /announce, /scrape and /stats\n");
}

std::string http_tracker::impl::announce(std::string_view query, const tcp::endpoint& remote) {
  announce_record record;
  const auto address = ipv4_of(remote);
  record.from = protocol::endpoint{address.value_or(0), remote.port()};
  const auto refuse = [&](std::string reason) {
    ++refused;
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

  ++announces;
  const auto result = logic.announce(to_tracker_request(*q, *address), now());
  if (q->event != protocol::announce_event::stopped) {
    auto& t = info[q->info_hash];
    t.estimate = std::max(t.estimate, saturating_add(q->left, q->downloaded));
  }
  arm_expiry();
  record.complete = result.complete;
  record.incomplete = result.incomplete;
  record.peers_returned = result.peers.size();
  if (result.failure) record.failure = result.failure;
  if (callback) callback(record);
  return encode_announce_response(result, q->form, q->peer_ids);
}

std::string http_tracker::impl::scrape(std::string_view query) {
  const auto q = parse_scrape(query);
  if (!q) {
    ++refused;
    return encode_failure(q.error);
  }
  ++scrapes;
  const auto hashes = q->info_hashes.empty() ? logic.torrents() : q->info_hashes;
  std::vector<std::pair<protocol::sha1_hash, protocol::scrape_entry>> files;
  files.reserve(hashes.size());
  for (const auto& h : hashes)
    files.emplace_back(h, logic.scrape(h).value_or(protocol::scrape_entry{}));
  return encode_scrape_response(files);
}

tracker_snapshot http_tracker::impl::snapshot() const {
  tracker_snapshot s;
  s.announce_url = url;
  s.uptime_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  s.announces = announces;
  s.scrapes = scrapes;
  s.refused = refused;
  const auto t_now = now();
  for (const auto& hash : logic.torrents()) {
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
    for (const auto& p : logic.peers(hash)) {
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
    s.torrents.push_back(std::move(t));
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
