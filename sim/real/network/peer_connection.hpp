#pragma once
// One BEP 3 connection over TCP: bytes in through the wire decoder, messages
// out through the encoder, blocks pulled from the owner when the socket is free,
// both directions paced by the owner's token buckets.
//
// peer_connection keeps the socket, the decoder, the bytes waiting to be written
// and the counters its owner's timeouts read. Invariants:
// 1. Messages are written in the order send() was called; a block pulled with
//    connection_owner::next_block goes out only when no control message is
//    waiting, so a CHOKE never waits behind a queue of blocks.
// 2. At most one read and one write are pending at a time. Before a read the
//    download bucket, before a block the upload bucket, must be ready.
// 3. The owner hears on_connection_closed at most once, and only for a close it
//    did not ask for (remote close, I/O error, undecodable bytes); after close()
//    or such a failure no callback reaches the owner and no new I/O starts.
// 4. Handlers keep the connection alive (shared_from_this), so the owner may drop
//    its pointer at any time.
// 5. While an inbound MSE exchange runs (transport::responder) only its bytes are
//    written; messages sent meanwhile wait for it. Once RC4 is established every
//    byte written goes through the encryptor and every byte read through the
//    decryptor, each exactly once and in stream order.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/message.hpp"
#include "protocol/mse_handshake.hpp"
#include "protocol/rc4_stream.hpp"
#include "protocol/types.hpp"
#include "protocol/wire_codec.hpp"
#include "sim/real/network/token_bucket.hpp"

namespace swarmsim::sim::real {

// Why a connection closed without its owner asking (invariant 3).
enum class close_cause : std::uint8_t {
  remote_closed,  // end of stream
  io_error,       // a read or write failed
  undecodable,    // bytes the wire decoder refused: a protocol error of the remote
  encryption,     // the MSE exchange failed, or the policy refused a plaintext remote
};

struct connection_closed {
  close_cause cause;
  std::optional<protocol::wire_error_code> wire_error;  // exactly with undecodable
  std::optional<protocol::mse_error> mse_error;         // exactly with encryption
  std::string detail;  // the I/O error's or the decoder's text, for logs
};

// What a connection asks of the local peer that owns it.
class connection_owner {
 public:
  virtual void on_wire_message(protocol::connection_id conn, protocol::message&& m) = 0;
  virtual void on_connection_closed(protocol::connection_id conn, const connection_closed& why) = 0;
  // The next block to send on conn, its data filled; nullopt when none is due.
  virtual std::optional<protocol::msg::piece> next_block(protocol::connection_id conn) = 0;

 protected:
  ~connection_owner() = default;
};

// The state of a connection's byte stream when its socket is handed over.
struct transport {
  std::optional<protocol::mse_handshake> responder;  // inbound: the exchange still to run
  std::optional<protocol::rc4_stream> encryptor;     // RC4 established (dial.hpp)
  std::optional<protocol::rc4_stream> decryptor;
  std::vector<std::uint8_t> received;  // stream bytes already read, decrypted
};

class peer_connection : public std::enable_shared_from_this<peer_connection> {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t read_buffer_size = 64 * 1024;

  // `upload` and `download` may be null (unlimited); they must outlive every
  // handler of this connection (the owner's stop() closes it first).
  peer_connection(boost::asio::ip::tcp::socket socket, protocol::connection_id id,
                  std::uint32_t num_pieces, connection_owner& owner, token_bucket* upload,
                  token_bucket* download, transport stream = {});

  // Starts reading.
  void start();
  void send(const protocol::message& m);
  // The owner has blocks queued for this connection: pull them while it does.
  void upload_ready();
  // Closes the socket; the owner hears nothing more.
  void close();

  bool is_open() const { return open_; }
  // Whether the stream runs RC4 (MSE established; false while an exchange runs).
  bool encrypted() const { return encryptor_.has_value(); }
  protocol::connection_id id() const { return id_; }
  std::uint64_t bytes_received() const { return bytes_received_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }
  clock::time_point last_received() const { return last_received_; }
  // When the socket write in progress started (nullopt: none; waiting for upload
  // tokens does not count).
  std::optional<clock::time_point> writing_since() const;
  // The remote end of the socket (unspecified once it closed).
  boost::asio::ip::tcp::endpoint remote_endpoint() const;

 private:
  void read_when_allowed();
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  // Feeds the inbound exchange; false when it failed (the connection is closed).
  bool feed_exchange(std::span<const std::uint8_t> bytes);
  void decode(std::span<const std::uint8_t> bytes);
  void write_next();
  void write_in_flight();
  void pull_block();
  void on_written(const boost::system::error_code& ec, std::size_t n);
  void fail(connection_closed why);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer read_timer_;
  boost::asio::steady_timer write_timer_;
  protocol::connection_id id_;
  protocol::decoder decoder_;
  connection_owner* owner_;
  token_bucket* upload_;
  token_bucket* download_;
  std::vector<std::uint8_t> read_buffer_;
  std::vector<std::uint8_t> queued_;     // encoded control messages not yet written
  std::vector<std::uint8_t> in_flight_;  // being written (messages, or a block's header)
  std::vector<std::uint8_t> block_data_;
  std::optional<protocol::mse_handshake> exchange_;  // inbound MSE in progress
  std::vector<std::uint8_t> exchange_out_;           // its bytes, written before any message
  std::optional<protocol::rc4_stream> encryptor_;
  std::optional<protocol::rc4_stream> decryptor_;
  bool open_ = true;
  bool writing_ = false;         // a write (or the wait for upload tokens) is pending
  bool socket_writing_ = false;  // a write is pending on the socket itself
  bool upload_wanted_ = false;
  clock::time_point last_received_;
  clock::time_point write_started_{};
  std::uint64_t bytes_received_ = 0;
  std::uint64_t bytes_sent_ = 0;
};

}  // namespace swarmsim::sim::real
