// The HTTP tracker under the loads a hostile or careless client can put on it
// (issue 23): slowloris connections, one address taking every connection, slow
// readers of /stats, full scrapes, and torrents made up by the thousand. Each
// test reproduces the attack over loopback and checks that announces are still
// answered, promptly, and that what the tracker keeps or sends stays bounded.

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <chrono>
#include <sstream>
#include <vector>

#include "sim/real/tracker/http_tracker.hpp"
#include "sim/real/tracker/http_tracker_fixture.hpp"

namespace swarmsim::sim::real {
namespace {

using namespace tracker_test;
using clock_type = std::chrono::steady_clock;

protocol::sha1_hash distinct_hash(std::uint32_t n) {
  protocol::sha1_hash h{};
  h[0] = 0xee;
  for (int i = 0; i < 4; ++i)
    h[16 + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
  return h;
}

asio::ip::address_v4 loopback_host(std::uint8_t n) {
  return asio::ip::address_v4({127, 0, 0, n});
}

// A connection that sent half a request line and then nothing: slowloris.
class half_open {
 public:
  half_open(asio::io_context& io, std::uint16_t port, asio::ip::address_v4 from) : socket_(io) {
    socket_.open(tcp::v4());
    socket_.bind({from, 0});
    socket_.connect({asio::ip::address_v4::loopback(), port});
    asio::write(socket_, asio::buffer(std::string_view("GET /announce?info_hash=")));
    socket_.non_blocking(true);
  }
  // Whether the server has closed it (a read sees end of stream or a reset).
  bool closed_by_server() {
    char c;
    beast::error_code ec;
    socket_.read_some(asio::buffer(&c, 1), ec);
    return ec && ec != asio::error::would_block;
  }

 private:
  tcp::socket socket_;
};

boost::property_tree::ptree parse_json(const std::string& body) {
  boost::property_tree::ptree json;
  std::istringstream in(body);
  boost::property_tree::read_json(in, json);
  return json;
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

class HttpTrackerAbuse : public HttpTracker {
 protected:
  // Waits (bounded) until the tracker holds n connections.
  void wait_for_connections(std::size_t n) {
    for (int i = 0; i < 500; ++i) {
      if (on_tracker_thread([&] { return tracker->snapshot().counters.connections; }) >= n) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "the tracker never held " << n << " connections";
  }
  std::uint64_t refused_connections() {
    return on_tracker_thread([&] { return tracker->snapshot().counters.refused_connections; });
  }
};

TEST_F(HttpTrackerAbuse, HalfOpenConnectionsDoNotLockAnnouncesOut) {
  http_tracker_options options;  // 512 connections, 2 s to send a request
  start(options);
  asio::io_context client;
  std::vector<std::unique_ptr<half_open>> flood;
  for (std::size_t i = 0; i < options.max_connections; ++i)
    flood.push_back(std::make_unique<half_open>(client, port, loopback_host(2)));
  wait_for_connections(options.max_connections);

  const auto t0 = clock_type::now();
  decode_ok(get(port, announce_target(hash_of(1), 1, 7001, 10), loopback_host(3)));
  EXPECT_LT(seconds_since(t0), 1.0);
  // Made room by closing the connection that had waited longest.
  EXPECT_TRUE(flood.front()->closed_by_server());
  EXPECT_GE(on_tracker_thread([&] { return tracker->snapshot().counters.evicted_connections; }),
            1u);
}

TEST_F(HttpTrackerAbuse, ARequestMustArriveWithinTheHeaderDeadline) {
  start();  // the default deadline, not the 10 s write timeout
  asio::io_context client;
  half_open slow(client, port, loopback_host(2));
  const auto t0 = clock_type::now();
  while (!slow.closed_by_server() && seconds_since(t0) < 6)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double waited = seconds_since(t0);
  EXPECT_GT(waited, 1.0);
  EXPECT_LT(waited, 4.0);
}

TEST_F(HttpTrackerAbuse, OneAddressCannotTakeEveryConnection) {
  http_tracker_options options;
  options.max_connections_per_address = 8;
  start(options);
  asio::io_context client;
  std::vector<std::unique_ptr<half_open>> flood;
  for (int i = 0; i < 20; ++i)
    flood.push_back(std::make_unique<half_open>(client, port, loopback_host(2)));
  wait_for_connections(8);
  for (int i = 0; i < 500 && refused_connections() < 12; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  int closed = 0;
  for (auto& c : flood)
    closed += c->closed_by_server();
  EXPECT_EQ(closed, 12);
  EXPECT_EQ(on_tracker_thread([&] { return tracker->snapshot().counters.connections; }), 8u);
  decode_ok(get(port, announce_target(hash_of(1), 1, 7001, 10), loopback_host(3)));
}

TEST_F(HttpTrackerAbuse, StatsIsBoundedCachedAndSlowReadersDoNotHoldAnnounces) {
  http_tracker_options options;
  options.stats_torrent_limit = 10;
  options.stats_peer_limit = 50;
  options.cache_lifetime = std::chrono::seconds(30);
  start(options);
  keep_alive_client feeder(port);
  for (int t = 0; t < 20; ++t)
    for (int p = 0; p < 20; ++p)
      decode_ok(feeder.get(announce_target(distinct_hash(t), p, 7000 + p, 10, "&numwant=0")));

  const auto first = get(port, "/stats");
  const auto json = parse_json(first.body);
  EXPECT_EQ(json.get<int>("torrent_count"), 20);
  EXPECT_EQ(json.get<int>("peer_count"), 400);
  std::size_t listed_peers = 0;
  for (const auto& [_, t] : json.get_child("torrents"))
    listed_peers += t.get_child("peers").size();
  EXPECT_EQ(json.get_child("torrents").size(), 10u);
  EXPECT_EQ(listed_peers, 50u);
  EXPECT_LT(first.body.size(), 50 * 400u);

  // Readers that ask and never read, from several hosts.
  asio::io_context client;
  std::vector<std::unique_ptr<tcp::socket>> readers;
  for (std::uint8_t i = 0; i < 30; ++i) {
    auto s = std::make_unique<tcp::socket>(client);
    s->open(tcp::v4());
    s->set_option(asio::socket_base::receive_buffer_size(1024));
    s->bind({loopback_host(static_cast<std::uint8_t>(10 + i)), 0});
    s->connect({asio::ip::address_v4::loopback(), port});
    asio::write(*s, asio::buffer(std::string_view("GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")));
    readers.push_back(std::move(s));
  }
  double slowest = 0;
  for (int i = 0; i < 50; ++i) {
    const auto t0 = clock_type::now();
    decode_ok(feeder.get(announce_target(distinct_hash(99), i, 7000, 10, "&numwant=0")));
    slowest = std::max(slowest, seconds_since(t0));
  }
  EXPECT_LT(slowest, 0.5);
  // Built once and shared: the same bytes within the cache's lifetime.
  EXPECT_EQ(get(port, "/stats").body, first.body);
}

TEST_F(HttpTrackerAbuse, FullScrapeIsBounded) {
  http_tracker_options options;
  options.scrape_all_limit = 5;
  start(options);
  keep_alive_client feeder(port);
  for (std::uint32_t t = 0; t < 12; ++t)
    decode_ok(feeder.get(announce_target(distinct_hash(t), 1, 7001, 10)));
  EXPECT_EQ(decode_ok(get(port, "/scrape")).find("files")->as_dict()->size(), 5u);
}

TEST_F(HttpTrackerAbuse, FullScrapeCanBeRefused) {
  http_tracker_options options;
  options.scrape_all = full_scrape::refused;
  start(options);
  decode_ok(get(port, announce_target(distinct_hash(1), 1, 7001, 10)));
  const auto refused = bencode::decode(get(port, "/scrape").body);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused.get().find("failure reason"), nullptr);
  const auto named = decode_ok(
      get(port, fmt::format("/scrape?info_hash={}", percent_encode(bytes(distinct_hash(1))))));
  EXPECT_EQ(named.find("files")->as_dict()->size(), 1u);
}

TEST_F(HttpTrackerAbuse, MadeUpTorrentsAreForgottenAndCapped) {
  http_tracker_options options;
  options.tracker.max_torrents = 10;
  options.cache_lifetime = std::chrono::milliseconds(0);
  start(options);
  keep_alive_client feeder(port);
  for (std::uint32_t t = 0; t < 2000; ++t) {
    decode_ok(feeder.get(announce_target(distinct_hash(t), 1, 7001, 10, "&event=started")));
    decode_ok(feeder.get(announce_target(distinct_hash(t), 1, 7001, 10, "&event=stopped")));
  }
  EXPECT_TRUE(decode_ok(get(port, "/scrape")).find("files")->as_dict()->empty());
  EXPECT_EQ(parse_json(get(port, "/stats").body).get<int>("torrent_count"), 0);

  for (std::uint32_t t = 0; t < 10; ++t)
    decode_ok(feeder.get(announce_target(distinct_hash(t), 1, 7001, 10)));
  const auto full =
      bencode::decode(feeder.get(announce_target(distinct_hash(10), 1, 7001, 10)).body);
  ASSERT_TRUE(full);
  ASSERT_NE(full.get().find("failure reason"), nullptr);
  EXPECT_EQ(*full.get().find("failure reason")->as_string(),
            protocol::to_string(protocol::announce_refusal::torrent_limit));
}

TEST_F(HttpTrackerAbuse, AWhitelistRefusesOtherTorrents) {
  http_tracker_options options;
  options.tracker.allowed_torrents = std::vector<protocol::sha1_hash>{hash_of(1)};
  start(options);
  decode_ok(get(port, announce_target(hash_of(1), 1, 7001, 10)));
  const auto other = bencode::decode(get(port, announce_target(hash_of(2), 1, 7001, 10)).body);
  ASSERT_TRUE(other);
  ASSERT_NE(other.get().find("failure reason"), nullptr);
  EXPECT_EQ(*other.get().find("failure reason")->as_string(),
            protocol::to_string(protocol::announce_refusal::unlisted_torrent));
  EXPECT_EQ(decode_ok(get(port, "/scrape")).find("files")->as_dict()->size(), 1u);
}

}  // namespace
}  // namespace swarmsim::sim::real
