#pragma once
// The TCP side of one local peer: its listening socket, the outgoing connects in
// progress, and one peer_connection per open connection, indexed by the
// protocol::peer's connection ids.
//
// connection_set keeps the sockets; which connections to accept, open or close
// is the local peer's decision, asked through connection_events. Invariants:
// 1. get(c) is non-null exactly from attach (an accepted or connected socket the
//    events gave id c) until close(c) or release(c).
// 2. Every inbound accept and every finished outbound connect is followed by one
//    connection_events::settle(), after the new connection (if any) is attached,
//    so messages the peer queued for it can be sent.
// 3. An outgoing connect (with its MSE exchange, dial.hpp) that has not completed
//    within connect_timeout fails.
// 4. After close_all() no handler reaches the events and no socket stays open.
// 5. Connections follow the encryption policy: outgoing ones run the MSE exchange
//    before the events hear of them; incoming ones start with the responder's
//    side of it, which also passes a plaintext handshake through when allowed.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "protocol/mse_handshake.hpp"
#include "protocol/types.hpp"
#include "sim/real/network/dial.hpp"
#include "sim/real/network/peer_connection.hpp"
#include "sim/real/network/token_bucket.hpp"

namespace swarmsim::sim::real {

class connection_events : public connection_owner {
 public:
  // An inbound connection from `remote`: its id, or nullopt to refuse it.
  virtual std::optional<protocol::connection_id> on_inbound(protocol::endpoint remote) = 0;
  // An outbound connect to `remote` finished: if `ok`, the id of the new
  // connection (nullopt: close it); if not, the failure is only reported.
  virtual std::optional<protocol::connection_id> on_outbound(protocol::endpoint remote,
                                                             bool ok) = 0;
  // Called after each on_inbound or on_outbound, once the connection is attached.
  virtual void settle() = 0;

 protected:
  ~connection_events() = default;
};

struct encryption_setup {
  protocol::encryption_policy policy = protocol::encryption_policy::enabled;
  protocol::sha1_hash info_hash{};  // of the torrent the connections are for
  std::uint64_t seed = 1;           // for the exchanges' keys and padding
};

// An IPv4 (or IPv4-mapped) TCP endpoint as a protocol endpoint.
std::optional<protocol::endpoint> to_protocol_endpoint(const boost::asio::ip::tcp::endpoint& e);

class connection_set {
 public:
  // Binds and listens on `listen`; throws boost::system::system_error if it cannot.
  connection_set(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& listen,
                 std::uint32_t num_pieces, token_bucket* upload, token_bucket* download,
                 std::chrono::milliseconds connect_timeout, encryption_setup encryption);
  ~connection_set();
  connection_set(const connection_set&) = delete;
  connection_set& operator=(const connection_set&) = delete;

  // Starts accepting; `events` must outlive the set or its close_all().
  void start(connection_events& events);
  void connect(protocol::endpoint remote);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  peer_connection* get(protocol::connection_id c) const;
  // Closes c's socket; the events hear nothing of it.
  void close(protocol::connection_id c);
  // Forgets c after its socket broke (the connection told the events already).
  void release(protocol::connection_id c);
  void close_all();

  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [id, s] : slots_)
      if (s.conn) f(*s.conn);
  }

 private:
  struct slot {
    std::shared_ptr<peer_connection> conn;
  };
  void accept();
  void attach(protocol::connection_id c, boost::asio::ip::tcp::socket socket, transport stream);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_timer_;
  std::uint32_t num_pieces_;
  token_bucket* upload_;
  token_bucket* download_;
  std::chrono::milliseconds connect_timeout_;
  connection_events* events_ = nullptr;
  std::map<protocol::connection_id, slot> slots_;  // by connection id (ids are sparse)
  encryption_setup encryption_;
  protocol::rng random_;
  std::list<std::shared_ptr<dial>> connecting_;
  // Shared with handlers so a handler that runs after close_all() does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace swarmsim::sim::real
