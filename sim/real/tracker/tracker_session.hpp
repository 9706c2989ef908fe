#pragma once
// One HTTP connection of the tracker (http_tracker.cpp owns them): it reads
// requests one at a time, has its owner answer each, and writes the answer.
// 1. Exactly one read or write is pending at a time (or none, once it is done);
//    each holds a shared_ptr to the session, so it lives until its last handler.
// 2. Reading a request (headers and the small body) must finish within
//    header_timeout from when the read started; writing an answer within
//    write_timeout. deadline() says when the current one is due; the owner
//    closes sessions past it (one timer for all of them, no timer per
//    operation: this costs no system call per request).
// 3. The owner hears waiting(id) when a read starts, busy(id) when a request is
//    read and closed(id) when the session is destroyed; close() may come at any
//    time (eviction, stop) and only closes the socket.
// 4. A reply's body is shared: cached bodies go to every reader from one buffer.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace swarmsim::sim::real {

using tracker_request = boost::beast::http::request<boost::beast::http::string_body>;

struct tracker_reply {
  boost::beast::http::response<boost::beast::http::span_body<const char>> message;
  std::shared_ptr<const std::string> body;  // what message's body points into
};

tracker_reply make_reply(boost::beast::http::status status, unsigned version, bool keep_alive,
                         std::string_view content_type, std::shared_ptr<const std::string> body);
tracker_reply make_reply(boost::beast::http::status status, unsigned version, bool keep_alive,
                         std::string_view content_type, std::string body);

struct session_limits {
  std::uint32_t max_header_bytes = 8 * 1024;
  std::uint32_t max_body_bytes = 1024;
  std::chrono::milliseconds header_timeout{2'000};
  std::chrono::milliseconds write_timeout{10'000};
};

class session_owner {
 public:
  virtual bool stopped() const = 0;
  virtual tracker_reply answer(const tracker_request& req,
                               const boost::asio::ip::tcp::endpoint& remote) = 0;
  virtual void waiting(std::uint64_t id) = 0;
  virtual void busy(std::uint64_t id) = 0;
  virtual void closed(std::uint64_t id) = 0;

 protected:
  ~session_owner() = default;
};

class tracker_session : public std::enable_shared_from_this<tracker_session> {
 public:
  tracker_session(boost::asio::ip::tcp::socket socket, const boost::asio::ip::tcp::endpoint& remote,
                  std::shared_ptr<session_owner> owner, std::uint64_t id,
                  const session_limits& limits);
  ~tracker_session();
  tracker_session(const tracker_session&) = delete;
  tracker_session& operator=(const tracker_session&) = delete;

  void start() { read(); }
  void close();
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }

 private:
  void read();
  void on_read(boost::beast::error_code ec);
  void write(tracker_reply reply, bool close_after);
  void on_write(boost::beast::error_code ec, bool close_after);

  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  tracker_reply reply_;
  std::shared_ptr<session_owner> owner_;
  std::uint64_t id_;
  session_limits limits_;
  boost::asio::ip::tcp::endpoint remote_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
};

}  // namespace swarmsim::sim::real
