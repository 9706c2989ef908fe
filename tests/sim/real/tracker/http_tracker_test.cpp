#include "sim/real/tracker/http_tracker.hpp"

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <sstream>

#include "sim/real/tracker/http_tracker_fixture.hpp"

namespace swarmsim::sim::real {
namespace {

using namespace tracker_test;

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
  options.header_timeout = std::chrono::milliseconds(100);
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

TEST_F(HttpTracker, AConnectionBeyondTheLimitEvictsTheOneWaitingLongest) {
  http_tracker_options options;
  options.max_connections = 2;
  start(options);
  asio::io_context client;
  tcp::socket idle1(client), idle2(client);
  idle1.connect({asio::ip::address_v4::loopback(), port});
  idle2.connect({asio::ip::address_v4::loopback(), port});
  // The kernel hands connections over in order: the tracker holds the two idle
  // ones when it accepts the third, and closes idle1 to make room for it.
  decode_ok(get(port, announce_target(hash_of(14), 1, 7001, 10)));
  char c;
  beast::error_code ec;
  idle1.read_some(asio::buffer(&c, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  idle2.non_blocking(true);
  idle2.read_some(asio::buffer(&c, 1), ec);
  EXPECT_EQ(ec, asio::error::would_block);
}

TEST_F(HttpTracker, ConnectionsBeyondTheAddressCapAreClosed) {
  http_tracker_options options;
  options.max_connections_per_address = 2;
  start(options);
  asio::io_context client;
  tcp::socket idle1(client), idle2(client);
  idle1.connect({asio::ip::address_v4::loopback(), port});
  idle2.connect({asio::ip::address_v4::loopback(), port});
  EXPECT_EQ(raw_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "");
  decode_ok(
      get(port, announce_target(hash_of(14), 1, 7001, 10), asio::ip::make_address_v4("127.0.0.2")));
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
