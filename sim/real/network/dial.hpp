#pragma once
// One outgoing connection being set up: the TCP connect, then (unless the
// policy disables encryption) the MSE exchange as initiator, and, when that
// exchange fails and protocol::retry_in_plaintext allows it, a second connect in
// plaintext (a remote that does not speak MSE hangs up on its first bytes).
//
// dial keeps the socket, the exchange and the bytes it still has to write.
// Invariants:
// 1. `done` runs exactly once, unless cancel() ran first: with the connected
//    socket and the state of its byte stream, or with nullopt on failure.
// 2. Each attempt (connect and exchange) is bounded by `timeout`.
// 3. The socket is handed over with no read or write of dial's pending on it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "protocol/mse_handshake.hpp"
#include "protocol/types.hpp"
#include "sim/real/network/peer_connection.hpp"

namespace swarmsim::sim::real {

struct dialed {
  boost::asio::ip::tcp::socket socket;
  transport stream;
};

class dial : public std::enable_shared_from_this<dial> {
 public:
  using callback = std::function<void(const dial& self, std::optional<dialed> result)>;

  // `exchange`: the initiator's handshake, nullopt for plaintext from the start.
  dial(boost::asio::io_context& io, protocol::endpoint remote,
       std::optional<protocol::mse_handshake> exchange, bool retry_in_plaintext,
       std::chrono::milliseconds timeout, callback done);

  void start();
  // Closes the socket; `done` never runs.
  void cancel();
  protocol::endpoint remote() const { return remote_; }

 private:
  void connect();
  void on_connected(const boost::system::error_code& ec);
  void write_pending();
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void attempt_failed();
  void succeed(transport stream);
  void finish(std::optional<dialed> result);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  protocol::endpoint remote_;
  std::optional<protocol::mse_handshake> exchange_;
  bool retry_in_plaintext_;
  std::chrono::milliseconds timeout_;
  callback done_;
  std::vector<std::uint8_t> pending_;  // exchange bytes not yet written
  std::vector<std::uint8_t> writing_;  // being written
  std::array<std::uint8_t, 4096> read_buffer_{};
  std::optional<transport> ready_;  // exchange done, waiting for the last write
  unsigned attempt_ = 0;            // handlers of an abandoned attempt do nothing
  bool finished_ = false;
};

}  // namespace swarmsim::sim::real
