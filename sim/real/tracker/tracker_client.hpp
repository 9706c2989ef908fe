#pragma once
// A local peer's side of the tracker protocol: announce requests out, peer lists
// back. tracker_client is the seam a peer_host announces through; the HTTP
// implementation talks to the .torrent's announce URL (BEP 3 GET with BEP 23
// compact=1), and tests or an in-process scenario runner may plug in another.
//
// http_tracker_client keeps only the parsed announce URL: every announce is its
// own HTTP/1.1 exchange (resolve, connect, GET, read, close), so one client can
// serve many local peers on one io_context. Invariants:
// 1. Each announce calls its handler exactly once, on the io_context's thread:
//    with the parsed response (which may carry a tracker "failure reason"), or
//    with an error text (unreachable, timeout, HTTP status, malformed body).
// 2. An exchange never takes longer than the timeout; a response body is read up
//    to max_body_bytes, no further.

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/tracker.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::real {

class tracker_client {
 public:
  using handler = std::function<void(parsed<protocol::announce_response>)>;
  virtual ~tracker_client() = default;
  // `request.address.port` is the port the peer listens on; its address is left
  // to the tracker (it uses the connection's).
  virtual void announce(const protocol::announce_request& request, handler done) = 0;
};

// "http://host[:port]/path[?query]", split.
struct http_url {
  std::string host;
  std::uint16_t port = 80;
  std::string target;  // path and query, at least "/"
  friend bool operator==(const http_url&, const http_url&) = default;
};
// Only plain http URLs (https and udp trackers are not supported); the error
// text says what is wrong.
parsed<http_url> parse_http_url(std::string_view url);

// The request target of an announce: url.target plus info_hash, peer_id, port,
// uploaded, downloaded, left, compact=1, event (unless none) and numwant.
std::string announce_target(const http_url& url, const protocol::announce_request& request);

// A bencoded tracker response: "failure reason", or interval, min interval,
// complete, incomplete and peers (BEP 23 compact string or BEP 3 list of
// dictionaries; entries that are not IPv4 are skipped). Unknown keys are ignored.
parsed<protocol::announce_response> parse_announce_response(std::string_view body);

class http_tracker_client final : public tracker_client {
 public:
  static constexpr std::size_t max_body_bytes = 1 << 20;

  // Throws std::invalid_argument with parse_http_url's text for a URL it cannot use.
  http_tracker_client(boost::asio::io_context& io, std::string_view announce_url,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15));

  void announce(const protocol::announce_request& request, handler done) override;
  const http_url& url() const { return url_; }

 private:
  boost::asio::io_context& io_;
  http_url url_;
  std::chrono::milliseconds timeout_;
};

}  // namespace swarmsim::sim::real
