#include "sim/real/tracker/tracker_client.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include "sim/real/real_fixture.hpp"
#include "sim/real/tracker/announce_request.hpp"
#include "sim/real/tracker/http_tracker.hpp"

namespace swarmsim::sim::real {
namespace {

namespace asio = boost::asio;
using protocol::announce_event;

TEST(http_url, splits_host_port_and_target) {
  EXPECT_EQ(*parse_http_url("http://127.0.0.1:6969/announce"),
            (http_url{"127.0.0.1", 6969, "/announce"}));
  EXPECT_EQ(*parse_http_url("HTTP://tracker.example/a?key=1"),
            (http_url{"tracker.example", 80, "/a?key=1"}));
  EXPECT_EQ(*parse_http_url("http://h"), (http_url{"h", 80, "/"}));
  EXPECT_EQ(*parse_http_url("http://[::1]:80/x"), (http_url{"::1", 80, "/x"}));
  EXPECT_FALSE(parse_http_url("udp://tracker:1337/announce"));
  EXPECT_NE(parse_http_url("https://t/announce").error.find("http://"), std::string::npos);
  EXPECT_FALSE(parse_http_url("http://h:0/"));
  EXPECT_FALSE(parse_http_url("http://h:99999/"));
  EXPECT_FALSE(parse_http_url("http:///announce"));
  EXPECT_FALSE(parse_http_url("127.0.0.1:6969"));
}

TEST(announce_target, is_read_back_by_the_tracker_query_parser) {
  protocol::announce_request r;
  for (std::size_t i = 0; i < 20; ++i) {
    r.info_hash[i] = static_cast<std::uint8_t>(i * 13 + 0x80);
    r.peer[i] = static_cast<std::uint8_t>('a' + i);
  }
  r.address = {0x7f000001, 51413};
  r.uploaded = 123;
  r.downloaded = 456;
  r.left = 789;
  r.event = announce_event::completed;
  r.numwant = 30;
  const auto target = announce_target(http_url{"h", 80, "/announce?k=v"}, r);
  const auto [path, query] = split_target(target);
  EXPECT_EQ(path, "/announce");
  const auto q = parse_announce(query);
  ASSERT_TRUE(q) << q.error;
  EXPECT_EQ(q->info_hash, r.info_hash);
  EXPECT_EQ(q->peer, r.peer);
  EXPECT_EQ(q->port, 51413);
  EXPECT_EQ(q->uploaded, 123u);
  EXPECT_EQ(q->downloaded, 456u);
  EXPECT_EQ(q->left, 789u);
  EXPECT_EQ(q->event, announce_event::completed);
  EXPECT_EQ(q->numwant, 30u);
  EXPECT_EQ(q->form, peer_list_form::compact);
}

TEST(announce_response, compact_and_dictionary_peer_lists_parse_alike) {
  protocol::announce_response r;
  r.interval = std::chrono::seconds(1800);
  r.min_interval = std::chrono::seconds(60);
  r.complete = 3;
  r.incomplete = 7;
  r.peers = {{{}, {0x7f000001, 6881}}, {{}, {0x0a000203, 51413}}};
  for (const auto form : {peer_list_form::compact, peer_list_form::dictionary}) {
    const auto parsed =
        parse_announce_response(encode_announce_response(r, form, peer_id_field::omitted));
    ASSERT_TRUE(parsed) << parsed.error;
    EXPECT_FALSE(parsed->failure);
    EXPECT_EQ(parsed->interval, r.interval);
    EXPECT_EQ(parsed->min_interval, r.min_interval);
    EXPECT_EQ(parsed->complete, 3u);
    EXPECT_EQ(parsed->incomplete, 7u);
    ASSERT_EQ(parsed->peers.size(), 2u);
    EXPECT_EQ(parsed->peers[0].address, r.peers[0].address);
    EXPECT_EQ(parsed->peers[1].address, r.peers[1].address);
  }
}

TEST(announce_response, failures_and_malformed_bodies) {
  const auto f = parse_announce_response(encode_failure("unregistered torrent"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->failure, "unregistered torrent");
  EXPECT_FALSE(parse_announce_response("not bencode"));
  EXPECT_FALSE(parse_announce_response("le"));
  EXPECT_FALSE(parse_announce_response("d8:intervali60e5:peers5:abcdee"));  // 5 bytes
  EXPECT_FALSE(parse_announce_response("d5:peers0:e"));                     // no interval
  EXPECT_FALSE(parse_announce_response("d8:intervali60e5:peersi1ee"));
  // Entries that are not IPv4 are skipped.
  const auto d = parse_announce_response(
      "d8:intervali60e5:peersld2:ip3:::14:porti1eed2:ip8:10.0.0.14:porti2eeee");
  ASSERT_TRUE(d) << d.error;
  ASSERT_EQ(d->peers.size(), 1u);
  EXPECT_EQ(d->peers[0].address, (protocol::endpoint{0x0a000001, 2}));
}

TEST(http_tracker_client, announces_to_the_http_tracker_and_sees_other_peers) {
  asio::io_context io;
  http_tracker tracker(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  http_tracker_client client(io, tracker.announce_url());
  protocol::announce_request a;
  a.info_hash.fill(7);
  a.peer.fill('a');
  a.address.port = 1111;
  a.left = 10;
  a.event = announce_event::started;
  protocol::announce_request b = a;
  b.peer.fill('b');
  b.address.port = 2222;
  std::vector<parsed<protocol::announce_response>> results;
  client.announce(a, [&](auto r) {
    results.push_back(std::move(r));
    client.announce(b, [&](auto r2) { results.push_back(std::move(r2)); });
  });
  ASSERT_TRUE(testing::run_until(io, [&] { return results.size() == 2; }));
  ASSERT_TRUE(results[1]) << results[1].error;
  ASSERT_EQ(results[1]->peers.size(), 1u);
  EXPECT_EQ(results[1]->peers[0].address, (protocol::endpoint{0x7f000001, 1111}));
  EXPECT_EQ(results[1]->incomplete, 2u);
}

TEST(http_tracker_client, reports_an_unreachable_tracker) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::address_v4::loopback(), 0});
    port = probe.local_endpoint().port();
  }
  http_tracker_client client(io, "http://127.0.0.1:" + std::to_string(port) + "/announce");
  std::optional<parsed<protocol::announce_response>> result;
  client.announce(protocol::announce_request{}, [&](auto r) { result = std::move(r); });
  ASSERT_TRUE(testing::run_until(io, [&] { return result.has_value(); }));
  EXPECT_FALSE(*result);
  EXPECT_NE(result->error.find("connect"), std::string::npos) << result->error;
}

}  // namespace
}  // namespace swarmsim::sim::real
