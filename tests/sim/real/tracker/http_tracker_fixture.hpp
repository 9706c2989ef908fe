#pragma once
// What the HTTP tracker's tests share: a tracker on 127.0.0.1:<free port> run by
// its own thread, and blocking HTTP clients (one GET per connection, raw bytes,
// or several GETs on one keep-alive connection) that may bind another loopback
// address to look like another host.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "protocol/bencode.hpp"
#include "sim/real/tracker/announce_request.hpp"
#include "sim/real/tracker/http_tracker.hpp"

namespace swarmsim::sim::real::tracker_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace bencode = protocol::bencode;
using tcp = asio::ip::tcp;

inline protocol::sha1_hash hash_of(std::uint8_t n) {
  protocol::sha1_hash h{};
  for (std::size_t i = 0; i < h.size(); ++i)
    h[i] = static_cast<std::uint8_t>(n * 31 + i);
  return h;
}

inline std::string peer_text(int n) {
  return fmt::format("-SS0001-{:012}", n);
}

inline std::string_view bytes(const protocol::sha1_hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

inline std::string announce_target(const protocol::sha1_hash& h, int peer, std::uint16_t port,
                                   std::uint64_t left, std::string_view extra = {}) {
  return fmt::format("/announce?info_hash={}&peer_id={}&port={}&uploaded=0&downloaded=0&left={}{}",
                     percent_encode(bytes(h)), peer_text(peer), port, left, extra);
}

struct reply {
  unsigned status = 0;
  std::string body;
};

// One GET on a fresh connection from `from` (a loopback address).
inline reply get(std::uint16_t port, const std::string& target,
                 asio::ip::address_v4 from = asio::ip::address_v4::loopback()) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.open(tcp::v4());
  socket.bind({from, 0});
  socket.connect({asio::ip::address_v4::loopback(), port});
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(false);
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return {res.result_int(), res.body()};
}

// Sends raw bytes, then reads until the server closes; whatever came back.
inline std::string raw_exchange(std::uint16_t port, std::string_view request) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::address_v4::loopback(), port});
  beast::error_code ec;
  asio::write(socket, asio::buffer(request), ec);
  std::string received;
  char chunk[4096];
  for (;;) {
    const std::size_t n = socket.read_some(asio::buffer(chunk), ec);
    received.append(chunk, n);
    if (ec) break;
  }
  return received;
}

inline bencode::value decode_ok(const reply& r) {
  EXPECT_EQ(r.status, 200u);
  auto v = bencode::decode(r.body);
  if (!v) {
    ADD_FAILURE() << "not bencode: " << r.body;
    return {};
  }
  EXPECT_EQ(v.get().find("failure reason"), nullptr) << r.body;
  return std::move(v).get();
}

inline std::set<protocol::endpoint> compact_peers(const bencode::value& v) {
  std::set<protocol::endpoint> out;
  const auto* s = v.find("peers") ? v.find("peers")->as_string() : nullptr;
  if (!s) {
    ADD_FAILURE() << "no compact peers";
    return out;
  }
  EXPECT_EQ(s->size() % 6, 0u);
  for (std::size_t i = 0; i + 6 <= s->size(); i += 6) {
    const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>((*s)[i + k]); };
    out.insert(
        {std::uint32_t(b(0)) << 24 | std::uint32_t(b(1)) << 16 | std::uint32_t(b(2)) << 8 | b(3),
         static_cast<std::uint16_t>(b(4) << 8 | b(5))});
  }
  return out;
}

inline constexpr std::uint32_t loopback = 0x7f000001;

// A tracker on 127.0.0.1:<free port>, run by its own thread; the tests talk to it
// over HTTP only. Protocol time is a fake clock the test moves.
class HttpTracker : public ::testing::Test {
 protected:
  void start(http_tracker_options options = {}) {
    options.clock = [this] { return protocol::time_point(protocol::duration(now_ns.load())); };
    tracker = std::make_unique<http_tracker>(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0),
                                             options);
    port = tracker->port();
    thread = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    if (!tracker) return;
    asio::post(io, [this] { tracker->stop(); });
    thread.join();  // returns only if stop() left no pending work
    tracker.reset();
  }
  // Runs f on the tracker's thread and returns its result.
  template <typename F>
  auto on_tracker_thread(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }
  void advance(protocol::duration d) { now_ns += d.count(); }

  asio::io_context io;
  std::atomic<std::int64_t> now_ns{0};
  std::unique_ptr<http_tracker> tracker;
  std::thread thread;
  std::uint16_t port = 0;
};

// Several GETs on one keep-alive connection, from `from`.
class keep_alive_client {
 public:
  explicit keep_alive_client(std::uint16_t port,
                             asio::ip::address_v4 from = asio::ip::address_v4::loopback())
      : socket_(io_) {
    socket_.open(tcp::v4());
    socket_.bind({from, 0});
    socket_.connect({asio::ip::address_v4::loopback(), port});
  }
  reply get(const std::string& target) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(socket_, req);
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res);
    return {res.result_int(), res.body()};
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

}  // namespace swarmsim::sim::real::tracker_test
