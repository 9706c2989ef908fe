#include "sim/real/tracker/http_tracker.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <atomic>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "protocol/bencode.hpp"
#include "sim/real/tracker/announce_request.hpp"

namespace swarmsim::sim::real {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace bencode = protocol::bencode;
using tcp = asio::ip::tcp;

protocol::sha1_hash hash_of(std::uint8_t n) {
  protocol::sha1_hash h{};
  for (std::size_t i = 0; i < h.size(); ++i)
    h[i] = static_cast<std::uint8_t>(n * 31 + i);
  return h;
}

std::string peer_text(int n) {
  return fmt::format("-SS0001-{:012}", n);
}

std::string_view bytes(const protocol::sha1_hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

std::string announce_target(const protocol::sha1_hash& h, int peer, std::uint16_t port,
                            std::uint64_t left, std::string_view extra = {}) {
  return fmt::format("/announce?info_hash={}&peer_id={}&port={}&uploaded=0&downloaded=0&left={}{}",
                     percent_encode(bytes(h)), peer_text(peer), port, left, extra);
}

struct reply {
  unsigned status = 0;
  std::string body;
};

// One GET on a fresh connection from `from` (a loopback address).
reply get(std::uint16_t port, const std::string& target,
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
std::string raw_exchange(std::uint16_t port, std::string_view request) {
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

bencode::value decode_ok(const reply& r) {
  EXPECT_EQ(r.status, 200u);
  auto v = bencode::decode(r.body);
  if (!v) {
    ADD_FAILURE() << "not bencode: " << r.body;
    return {};
  }
  EXPECT_EQ(v.get().find("failure reason"), nullptr) << r.body;
  return std::move(v).get();
}

std::set<protocol::endpoint> compact_peers(const bencode::value& v) {
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

constexpr std::uint32_t loopback = 0x7f000001;

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

TEST_F(HttpTracker, AnnounceReturnsTheOtherPeersCompactly) {
  start();
  const auto h = hash_of(1);
  decode_ok(get(port, announce_target(h, 1, 7001, 0)));
  decode_ok(get(port, announce_target(h, 2, 7002, 500)));
  const auto third = decode_ok(get(port, announce_target(h, 3, 7003, 500, "&event=started")));
  EXPECT_EQ(compact_peers(third),
            (std::set<protocol::endpoint>{{loopback, 7001}, {loopback, 7002}}));
  EXPECT_EQ(*third.find("complete")->as_integer(), 1);
  EXPECT_EQ(*third.find("incomplete")->as_integer(), 2);
  EXPECT_GT(*third.find("interval")->as_integer(), 0);
}

TEST_F(HttpTracker, PeerAddressIsTheConnectionsNotTheIpParameter) {
  start();
  const auto h = hash_of(2);
  const auto other_loopback = asio::ip::make_address_v4("127.0.0.2");
  decode_ok(get(port, announce_target(h, 1, 7001, 10, "&ip=10.9.9.9"), other_loopback));
  const auto second = decode_ok(get(port, announce_target(h, 2, 7002, 10)));
  EXPECT_EQ(compact_peers(second),
            (std::set<protocol::endpoint>{{other_loopback.to_uint(), 7001}}));
}

TEST_F(HttpTracker, DictionaryFormWithAndWithoutPeerIds) {
  start();
  const auto h = hash_of(3);
  decode_ok(get(port, announce_target(h, 1, 7001, 10)));
  const auto with_ids = decode_ok(get(port, announce_target(h, 2, 7002, 10, "&compact=0")));
  const auto* list = with_ids.find("peers")->as_list();
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(*(*list)[0].find("ip")->as_string(), "127.0.0.1");
  EXPECT_EQ(*(*list)[0].find("port")->as_integer(), 7001);
  EXPECT_EQ(*(*list)[0].find("peer id")->as_string(), peer_text(1));

  const auto without =
      decode_ok(get(port, announce_target(h, 2, 7002, 10, "&compact=0&no_peer_id=1")));
  ASSERT_EQ(without.find("peers")->as_list()->size(), 1u);
  EXPECT_EQ((*without.find("peers")->as_list())[0].find("peer id"), nullptr);
}

TEST_F(HttpTracker, BadAnnouncesGetAFailureReasonWithStatus200) {
  start();
  for (const std::string& target : std::vector<std::string>{
           "/announce", "/announce?info_hash=short&peer_id=-SS0001-000000000001&port=1",
           fmt::format("/announce?info_hash={}&port=1", percent_encode(bytes(hash_of(1)))),
           fmt::format("/announce?info_hash={}&peer_id={}&port=0",
                       percent_encode(bytes(hash_of(1))), peer_text(1))}) {
    const auto r = get(port, target);
    EXPECT_EQ(r.status, 200u) << target;
    const auto v = bencode::decode(r.body);
    ASSERT_TRUE(v) << r.body;
    ASSERT_NE(v.get().find("failure reason"), nullptr) << target;
    EXPECT_FALSE(v.get().find("failure reason")->as_string()->empty());
  }
  // Nothing was created by refused announces.
  const auto scrape = decode_ok(get(port, "/scrape"));
  EXPECT_TRUE(scrape.find("files")->as_dict()->empty());
}

TEST_F(HttpTracker, ScrapeWithAndWithoutInfoHashes) {
  start();
  const auto a = hash_of(4);
  const auto b = hash_of(5);
  const auto unknown = hash_of(6);
  decode_ok(get(port, announce_target(a, 1, 7001, 0)));
  decode_ok(get(port, announce_target(a, 2, 7002, 0, "&event=completed")));
  decode_ok(get(port, announce_target(a, 3, 7003, 99)));
  decode_ok(get(port, announce_target(b, 1, 7001, 99)));

  const auto entry = [](const bencode::value& v, const protocol::sha1_hash& h,
                        std::string_view field) -> std::int64_t {
    const auto* e = v.find("files")->find(bytes(h));
    if (!e) return -1;
    return *e->find(field)->as_integer();
  };
  const auto all = decode_ok(get(port, "/scrape"));
  EXPECT_EQ(all.find("files")->as_dict()->size(), 2u);
  EXPECT_EQ(entry(all, a, "complete"), 2);
  EXPECT_EQ(entry(all, a, "incomplete"), 1);
  EXPECT_EQ(entry(all, a, "downloaded"), 1);
  EXPECT_EQ(entry(all, b, "incomplete"), 1);

  const auto some =
      decode_ok(get(port, fmt::format("/scrape?info_hash={}&info_hash={}", percent_encode(bytes(b)),
                                      percent_encode(bytes(unknown)))));
  EXPECT_EQ(some.find("files")->as_dict()->size(), 2u);
  EXPECT_EQ(entry(some, a, "complete"), -1);
  EXPECT_EQ(entry(some, b, "incomplete"), 1);
  EXPECT_EQ(entry(some, unknown, "complete"), 0);

  const auto bad = get(port, "/scrape?info_hash=xyz");
  EXPECT_NE(bencode::decode(bad.body).get().find("failure reason"), nullptr);
}

TEST_F(HttpTracker, StatsJsonDescribesTorrentsAndPeers) {
  start();
  const auto h = hash_of(7);
  tracker->add_torrent_info(h, 1000, "film.mkv");  // before the thread touches it
  decode_ok(get(port, announce_target(h, 1, 7001, 0)));
  decode_ok(get(port, announce_target(h, 2, 7002, 250)));
  const auto r = get(port, "/stats");
  ASSERT_EQ(r.status, 200u);
  boost::property_tree::ptree json;
  std::istringstream in(r.body);
  ASSERT_NO_THROW(boost::property_tree::read_json(in, json)) << r.body;
  EXPECT_EQ(json.get<int>("announces"), 2);
  const auto& torrents = json.get_child("torrents");
  ASSERT_EQ(torrents.size(), 1u);
  const auto& t = torrents.front().second;
  EXPECT_EQ(t.get<std::string>("info_hash"), protocol::to_hex(h));
  EXPECT_EQ(t.get<std::string>("name"), "film.mkv");
  EXPECT_EQ(t.get<int>("complete"), 1);
  EXPECT_EQ(t.get<int>("incomplete"), 1);
  std::map<std::string, double> progress;
  for (const auto& [_, p] : t.get_child("peers"))
    progress[p.get<std::string>("address")] = p.get<double>("progress");
  EXPECT_DOUBLE_EQ(progress.at("127.0.0.1:7001"), 1.0);
  EXPECT_DOUBLE_EQ(progress.at("127.0.0.1:7002"), 0.75);
}

TEST_F(HttpTracker, PeersThatStopAnnouncingExpire) {
  http_tracker_options options;
  options.tracker.expire_after = std::chrono::seconds(90);
  start(options);
  const auto h = hash_of(8);
  decode_ok(get(port, announce_target(h, 1, 7001, 10)));
  decode_ok(get(port, announce_target(h, 2, 7002, 0)));
  advance(std::chrono::seconds(60));
  decode_ok(get(port, announce_target(h, 2, 7002, 0)));  // peer 2 stays alive
  advance(std::chrono::seconds(60));                     // peer 1 silent for 120 s
  const auto third = decode_ok(get(port, announce_target(h, 3, 7003, 10)));
  EXPECT_EQ(compact_peers(third), (std::set<protocol::endpoint>{{loopback, 7002}}));
  EXPECT_EQ(*third.find("incomplete")->as_integer(), 1);
  EXPECT_EQ(*third.find("complete")->as_integer(), 1);
}

TEST_F(HttpTracker, IdleTrackerExpiresPeersByItsTimer) {
  http_tracker_options options;
  options.tracker.expire_after = std::chrono::milliseconds(20);
  start(options);
  const auto h = hash_of(9);
  decode_ok(get(port, announce_target(h, 1, 7001, 10)));
  advance(std::chrono::seconds(1));
  // No request arrives; only the expiry timer can remove the peer. Wait for it
  // (bounded: the timer is due 20 ms after the announce).
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = on_tracker_thread([&] { return tracker->logic().peers(h).empty(); });
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone);
}

TEST_F(HttpTracker, StopRemovesThePeerAtOnce) {
  start();
  const auto h = hash_of(10);
  decode_ok(get(port, announce_target(h, 1, 7001, 10)));
  const auto stop =
      decode_ok(get(port, announce_target(h, 1, 7001, 10, "&event=stopped&numwant=0")));
  EXPECT_EQ(*stop.find("incomplete")->as_integer(), 0);
  EXPECT_TRUE(compact_peers(stop).empty());
}

TEST_F(HttpTracker, SurvivesMalformedAndOversizedRequests) {
  http_tracker_options options;
  options.max_header_bytes = 2048;
  start(options);
  EXPECT_NE(raw_exchange(port, "NOT HTTP AT ALL\r\n\r\n").find(" 400 "), std::string::npos);
  EXPECT_NE(raw_exchange(port, std::string("GET /\x01 HTTP/1.1\r\n\r\n", 19)).find(" 400 "),
            std::string::npos);
  raw_exchange(port, std::string("\0\0\0\0garbage", 11));
  const std::string big =
      "GET /announce HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(100000, 'a') + "\r\n\r\n";
  const auto answer = raw_exchange(port, big);
  if (!answer.empty()) {
    EXPECT_NE(answer.find(" 431 "), std::string::npos) << answer.substr(0, 80);
  }
  const std::string with_body =
      "GET /announce HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
      std::string(5000, 'b');
  const auto body_answer = raw_exchange(port, with_body);
  if (!body_answer.empty()) {
    EXPECT_NE(body_answer.find(" 413 "), std::string::npos) << body_answer.substr(0, 80);
  }

  EXPECT_EQ(get(port, "/nowhere").status, 404u);
  EXPECT_NE(raw_exchange(port,
                         "POST /announce HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n")
                .find(" 405 "),
            std::string::npos);
  decode_ok(get(port, announce_target(hash_of(11), 1, 7001, 10)));
}

TEST_F(HttpTracker, SlowAndHalfSentRequestsAreClosedAfterTheTimeout) {
  http_tracker_options options;
  options.request_timeout = std::chrono::milliseconds(100);
  start(options);
  // The server closes the connection (raw_exchange returns) without an answer.
  EXPECT_EQ(raw_exchange(port, "GET /announce?info_hash=abc"), "");
  EXPECT_EQ(raw_exchange(port, ""), "");
  decode_ok(get(port, announce_target(hash_of(12), 1, 7001, 10)));
}

TEST_F(HttpTracker, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  asio::io_context client;
  tcp::socket socket(client);
  socket.connect({asio::ip::address_v4::loopback(), port});
  beast::flat_buffer buffer;
  for (int i = 1; i <= 3; ++i) {
    http::request<http::empty_body> req{http::verb::get,
                                        announce_target(hash_of(13), i, 7000 + i, 10), 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(socket, req);
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    ASSERT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(res.keep_alive());
    EXPECT_EQ(compact_peers(bencode::decode(res.body()).get()).size(),
              static_cast<std::size_t>(i - 1));
  }
}

TEST_F(HttpTracker, ConnectionsBeyondTheLimitAreClosed) {
  http_tracker_options options;
  options.max_connections = 2;
  start(options);
  asio::io_context client;
  auto idle1 = std::make_unique<tcp::socket>(client);
  auto idle2 = std::make_unique<tcp::socket>(client);
  idle1->connect({asio::ip::address_v4::loopback(), port});
  idle2->connect({asio::ip::address_v4::loopback(), port});
  // The kernel hands connections over in order: the tracker holds the two idle
  // ones when it accepts this third, which it closes unanswered.
  const auto h = hash_of(14);
  EXPECT_EQ(raw_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "");
  idle1.reset();
  idle2.reset();
  bool served = false;
  for (int i = 0; i < 500 && !served; ++i) {
    try {
      served = get(port, announce_target(h, 1, 7001, 10)).status == 200;
    } catch (const boost::system::system_error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpTracker, BurstOfAnnouncesFromSeveralClients) {
  start();
  constexpr int clients = 10;
  constexpr int per_client = 50;
  constexpr int torrents = 5;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < per_client; ++i) {
        const int peer = c * per_client + i;
        const auto r =
            get(port,
                announce_target(hash_of(static_cast<std::uint8_t>(peer % torrents)), peer,
                                static_cast<std::uint16_t>(10000 + peer),
                                static_cast<std::uint64_t>(peer % 3), "&event=started&numwant=20"));
        const auto v = bencode::decode(r.body);
        if (r.status == 200 && v && !v.get().find("failure reason") &&
            v.get().find("peers")->as_string()->size() <= 20 * 6)
          ++ok;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), clients * per_client);
  const auto all = decode_ok(get(port, "/scrape"));
  ASSERT_EQ(all.find("files")->as_dict()->size(), static_cast<std::size_t>(torrents));
  std::int64_t peers = 0;
  for (const auto& [hash, e] : *all.find("files")->as_dict())
    peers += *e.find("complete")->as_integer() + *e.find("incomplete")->as_integer();
  EXPECT_EQ(peers, clients * per_client);
}

}  // namespace
}  // namespace swarmsim::sim::real
