#pragma once
// The HTTP tracker of the real-socket mode: protocol::tracker (the same logic the
// simulator uses) behind a Boost.Beast HTTP/1.1 server.
//
//   GET /announce  BEP 3 announce, BEP 23 compact peers (see announce_request.hpp)
//   GET /scrape    BEP 48; with info_hash parameters, or every torrent without
//                  (a "full scrape": at most scrape_all_limit torrents, or refused)
//   GET /stats     tracker_snapshot as JSON (at most stats_torrent_limit torrents
//                  and stats_peer_limit peers listed; the totals always)
//
// A refused announce or scrape is answered HTTP 200 with a bencoded
// "failure reason", as clients expect; other paths get 404, other methods 405.
//
// http_tracker runs on the caller's io_context and is single threaded: all its
// handlers run on the thread(s) calling io_context::run, which must be one thread
// (or a strand's worth of serialisation), and its member functions must be called
// from that thread or while the io_context is not running. Invariants:
// 1. A peer's address is the connection's remote IPv4 address (an IPv4-mapped
//    IPv6 address counts as IPv4); the query's "ip" is ignored. Announces from
//    pure IPv6 addresses are refused (protocol::endpoint is IPv4).
// 2. Protocol time is options.clock(); by default the steady clock's time since
//    construction. Expired peers are removed before every request is answered,
//    and by a timer at the tracker's next deadline, so an idle tracker drops them
//    too.
// 3. A request whose request line and headers exceed max_header_bytes, or whose
//    body exceeds max_body_bytes, is answered 431 / 413 and its connection closed.
//    A request that is not HTTP gets 400 and the connection is closed.
// 4. A request must arrive whole within header_timeout of when the connection
//    started waiting for it (accepted, or its previous answer written); an answer
//    must be written within write_timeout. Otherwise the connection is closed.
// 5. Connections are admitted by a connection_table: at most max_connections
//    open, at most max_connections_per_address from one address. When the table
//    is full, a new connection evicts the one that has waited longest for its
//    request; when none is waiting it is closed as soon as it is accepted. An
//    accept error (e.g. out of descriptors) pauses accepting briefly.
// 6. The /stats and full-scrape bodies are built at most once per
//    cache_lifetime and shared by every reader until rebuilt: many readers cost
//    one copy, and answers may be that old.
// 7. After stop() (the destructor calls it) the acceptor and every connection are
//    closed and no handler starts new work; pending handlers finish with errors.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "protocol/tracker.hpp"
#include "protocol/types.hpp"
#include "sim/real/tracker/tracker_view.hpp"

namespace swarmsim::sim::real {

enum class full_scrape : std::uint8_t { allowed, refused };

struct http_tracker_options {
  protocol::tracker_options tracker{};
  std::uint64_t seed = 1;  // the tracker's peer-selection generator
  std::uint32_t max_header_bytes = 8 * 1024;
  std::uint32_t max_body_bytes = 1024;
  std::chrono::milliseconds header_timeout{2'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_connections = 512;
  // In-process runs announce hundreds of local peers at once from 127.0.0.1;
  // `swarmsim tracker` sets a smaller cap.
  std::size_t max_connections_per_address = 512;
  full_scrape scrape_all = full_scrape::allowed;
  std::size_t scrape_all_limit = 10'000;
  std::size_t stats_torrent_limit = 1'000;
  std::size_t stats_peer_limit = 1'000;
  std::chrono::milliseconds cache_lifetime{1'000};
  // nullptr: steady clock since construction.
  std::function<protocol::time_point()> clock;
};

// One announce or refused request, for logs. `failure` set: it was refused.
struct announce_record {
  protocol::endpoint from;
  protocol::sha1_hash info_hash{};
  protocol::wire_peer_id peer{};
  protocol::announce_event event = protocol::announce_event::none;
  std::uint64_t left = 0;
  std::uint32_t complete = 0;
  std::uint32_t incomplete = 0;
  std::size_t peers_returned = 0;
  std::optional<std::string> failure;
};

class http_tracker {
 public:
  // Binds and listens on `listen` (port 0 picks a free port) and starts
  // accepting. Throws boost::system::system_error if it cannot bind.
  http_tracker(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
               http_tracker_options options = {});
  ~http_tracker();
  http_tracker(const http_tracker&) = delete;
  http_tracker& operator=(const http_tracker&) = delete;

  std::uint16_t port() const;
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // "http://ADDRESS:PORT/announce".
  std::string announce_url() const;

  // Makes a torrent's exact size and name known (e.g. from its .torrent file)
  // for progress in the live view and /stats.
  void add_torrent_info(const protocol::sha1_hash& info_hash, std::uint64_t size, std::string name);
  // Called after each announce is answered (and for each refused one).
  void on_announce(std::function<void(const announce_record&)> callback);

  // Bounded like /stats (built afresh, not the cached copy).
  tracker_snapshot snapshot() const;
  const protocol::tracker& logic() const;

  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

// "127.0.0.1:6969", "0.0.0.0:0", or a bare port ("6969" -> 127.0.0.1:6969).
// IPv4 only; nullopt if the text is not such an endpoint.
std::optional<boost::asio::ip::tcp::endpoint> parse_listen_endpoint(std::string_view text);

}  // namespace swarmsim::sim::real
