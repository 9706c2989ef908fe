#pragma once
// The real-socket driver of one local peer: the same sans-I/O protocol::peer the
// simulator drives (sim/engine/swarm.cpp), fed from TCP connections, timers and a
// tracker client, with its pieces in a piece_store and checked with SHA-1.
//
// peer_host keeps the peer object, its sockets (a connection_set: the listening
// socket, the connects in progress, one peer_connection per open connection id),
// the upload and download token buckets its connections share, and its timers
// (the peer's deadline, the timeout sweep, announce retries).
// Everything runs on the caller's io_context from one thread, so many hosts can
// share one io_context (a whole swarm in one process). Invariants:
// 1. Connection c has a socket exactly while the peer has it open; when the
//    socket breaks the peer hears on_disconnected, when the peer asks to
//    disconnect the socket is closed, never both for one close.
// 2. A received block is written to the store only if the peer accepts it
//    (protocol::peer::wants_block: requested on that connection, piece not had,
//    block not received yet), so an unrequested, late or duplicate block never
//    overwrites checked data. A piece counts as had only after its SHA-1 matched
//    (piece_check::by_driver); a failed piece is fetched again by the peer, which
//    blames the remotes proven to have corrupted it (with the block digests
//    computed here when it asks) and past max_hash_failures bans them.
// 3. A connection is dropped when it stalls (stall_check.hpp: no handshake,
//    requests unanswered, nothing received, writes not read, past the timeouts
//    below), and when its bytes do not decode.
// 4. The peer decides which connections close and why (duplicates by peer id
//    included, protocol::peer invariant 7); the host carries it out and logs
//    every close for a protocol error with its reason, the peer's
//    (protocol::disconnect_reason) or the wire decoder's (wire_error_code).
// 5. Protocol time is the steady clock's time since `origin`.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/bitfield.hpp"
#include "protocol/metainfo.hpp"
#include "protocol/mse_handshake.hpp"
#include "protocol/peer.hpp"
#include "protocol/types.hpp"
#include "sim/real/storage/piece_store.hpp"
#include "sim/real/tracker/tracker_client.hpp"

namespace swarmsim::sim::real {

// peer_options for real sockets: the protocol defaults, but a remote may queue
// up to 2000 requests (libtorrent's max_allowed_in_request_queue, advertised as
// BEP 10 `reqq`; Transmission keeps rate x 10 s outstanding, capped only by
// reqq), the fast extension rejects what cannot be served, and the request
// queue adapts to the rate (libtorrent's rule: a fixed 5 requests crawl against
// a client that answers on a 0.5 s tick).
protocol::peer_options real_peer_options();

struct peer_host_options {
  protocol::peer_options peer = real_peer_options();  // `check` becomes by_driver
  boost::asio::ip::tcp::endpoint listen{boost::asio::ip::address_v4::loopback(), 0};
  // Message stream encryption (protocol/mse_handshake.hpp): enabled offers and
  // accepts it, preferring plaintext; required refuses plaintext remotes.
  protocol::encryption_policy encryption = protocol::encryption_policy::enabled;
  double upload_rate = 0;  // bytes per second; 0: unlimited
  double download_rate = 0;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds handshake_timeout{10'000};  // libtorrent handshake_timeout
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds idle_timeout{180'000};  // keep-alives come every 120 s
  std::chrono::milliseconds write_timeout{60'000};
  std::chrono::milliseconds sweep_interval{1'000};  // how often timeouts are checked
  std::chrono::milliseconds announce_retry{5'000};  // first retry; doubles up to 5 min
  std::chrono::milliseconds stop_wait{3'000};       // for the "stopped" announce
  std::optional<protocol::wire_peer_id> id;         // nullopt: "-SS0001-" + 12 random characters
  std::uint64_t seed = 0;                           // 0: from std::random_device
  std::optional<std::chrono::steady_clock::time_point> origin;  // nullopt: construction
};

struct host_status {
  std::uint32_t num_pieces = 0;
  std::uint32_t pieces_had = 0;
  std::uint64_t total_bytes = 0;
  std::uint64_t bytes_had = 0;
  std::uint64_t downloaded = 0;  // payload accepted
  std::uint64_t uploaded = 0;
  std::uint64_t wasted = 0;
  std::uint32_t connections = 0;
  std::uint32_t encrypted_connections = 0;  // handshakes received over RC4, since start
  std::uint32_t hash_failures = 0;
  std::uint32_t protocol_errors = 0;  // closed by the peer for a forbidden message
  std::uint32_t dropped = 0;          // closed by a timeout or undecodable bytes
  std::uint32_t announces = 0;        // answered without failure
  bool complete = false;
  std::string tracker_error;  // of the last announce; empty when it succeeded
  std::string fatal_error;    // storage failure: the host stopped
};

class peer_host {
 public:
  using log_handler = std::function<void(std::string_view)>;

  // `meta`, `store` and `tracker` must outlive the host.
  peer_host(boost::asio::io_context& io, const protocol::metainfo& meta, piece_store& store,
            tracker_client& tracker, peer_host_options options = {});
  ~peer_host();
  peer_host(const peer_host&) = delete;
  peer_host& operator=(const peer_host&) = delete;

  // Listens (throws boost::system::system_error if it cannot bind) and joins the
  // swarm holding the pieces set in `have` (e.g. from check_pieces).
  void start(const protocol::bitfield& have);
  // Leaves: closes every connection and announces "stopped". `done` runs once,
  // when that announce is answered, failed, or stop_wait has passed.
  void stop(std::function<void()> done = {});
  // Connects to these peers as if a tracker had listed them.
  void add_peers(const std::vector<protocol::endpoint>& peers);

  std::uint16_t port() const;
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  host_status status() const;
  const protocol::peer& logic() const;
  // The protocol clock the host runs logic() on (time_origin at options.origin).
  protocol::time_point now() const;
  const protocol::wire_peer_id& id() const;

  // Called (from the io_context) when every piece is had and checked; at once
  // after start() for a seed.
  void on_complete(std::function<void()> callback);
  // Called (from the io_context, after the piece's handling) each time a piece
  // passes its SHA-1 check.
  void on_piece(std::function<void(protocol::piece_index)> callback);
  // Called after each announce is answered or fails.
  void on_announce(std::function<void(const host_status&)> callback);
  // Warnings: tracker failures, dropped connections, storage errors.
  void on_log(log_handler callback);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

// "-SS0001-" followed by 12 characters from [0-9A-Za-z] drawn from `seed`.
protocol::wire_peer_id make_peer_id(std::uint64_t seed);

}  // namespace swarmsim::sim::real
