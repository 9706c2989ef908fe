#include "sim/real/tracker/announce_request.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "protocol/bencode.hpp"

namespace swarmsim::sim::real {
namespace {

namespace bencode = protocol::bencode;
using protocol::announce_event;

// Bytes 0x00 .. 0x13: every byte needs escaping, so the decoding is exercised.
protocol::sha1_hash test_hash() {
  protocol::sha1_hash h{};
  for (std::size_t i = 0; i < h.size(); ++i)
    h[i] = static_cast<std::uint8_t>(i);
  return h;
}

std::string hex_escaped(const protocol::sha1_hash& h, bool upper) {
  std::string out;
  for (auto b : h)
    out += upper ? fmt::format("%{:02X}", b) : fmt::format("%{:02x}", b);
  return out;
}

const std::string peer_text = "-LT2080-abcdefghijkl";  // 20 bytes, all unreserved

protocol::wire_peer_id peer_of(std::string_view s) {
  protocol::wire_peer_id id{};
  std::copy(s.begin(), s.end(), id.begin());
  return id;
}

// A valid announce, with `extra` appended.
std::string announce(std::string_view extra = {}) {
  return fmt::format("info_hash={}&peer_id={}&port=6881&uploaded=1&downloaded=2&left=3{}",
                     hex_escaped(test_hash(), true), peer_text, extra);
}

TEST(AnnounceRequest, ParsesEveryFieldOfAValidAnnounce) {
  const auto q = parse_announce(announce("&event=started&numwant=30"));
  ASSERT_TRUE(q) << q.error;
  EXPECT_EQ(q->info_hash, test_hash());
  EXPECT_EQ(q->peer, peer_of(peer_text));
  EXPECT_EQ(q->port, 6881);
  EXPECT_EQ(q->uploaded, 1u);
  EXPECT_EQ(q->downloaded, 2u);
  EXPECT_EQ(q->left, 3u);
  EXPECT_EQ(q->event, announce_event::started);
  EXPECT_EQ(q->numwant, 30u);
  EXPECT_EQ(q->form, peer_list_form::compact);
  EXPECT_EQ(q->peer_ids, peer_id_field::included);
}

TEST(AnnounceRequest, LowerAndUpperCaseEscapesDecodeAlike) {
  const auto upper = parse_announce(
      fmt::format("info_hash={}&peer_id={}&port=1", hex_escaped(test_hash(), true), peer_text));
  const auto lower = parse_announce(
      fmt::format("info_hash={}&peer_id={}&port=1", hex_escaped(test_hash(), false), peer_text));
  ASSERT_TRUE(upper) << upper.error;
  ASSERT_TRUE(lower) << lower.error;
  EXPECT_EQ(upper->info_hash, lower->info_hash);
  EXPECT_EQ(lower->info_hash, test_hash());
}

TEST(AnnounceRequest, RawUnescapedBytesStandForThemselves) {
  // Half the hash raw (printable and high bytes), half escaped; '+' is not a space.
  std::string raw = "ab+~!*'()\xff\x80";
  ASSERT_EQ(raw.size(), 11u);
  const std::string escaped = "%00%01%02%03%04%05%06%07%08";
  const auto q = parse_announce(
      fmt::format("info_hash={}{}&peer_id={}&port=1&key=\xfe\x01%zz", raw, escaped, peer_text));
  ASSERT_TRUE(q) << q.error;
  for (std::size_t i = 0; i < raw.size(); ++i)
    EXPECT_EQ(q->info_hash[i], static_cast<std::uint8_t>(raw[i])) << i;
  for (std::size_t i = raw.size(); i < 20; ++i)
    EXPECT_EQ(q->info_hash[i], i - raw.size());
}

TEST(AnnounceRequest, MissingOrMalformedRequiredFieldsAreRefusedByName) {
  const std::string hash = hex_escaped(test_hash(), true);
  struct bad_case {
    std::string query;
    std::string names;
  };
  const bad_case cases[] = {
      {fmt::format("peer_id={}&port=1", peer_text), "info_hash"},
      {fmt::format("info_hash={}%00&peer_id={}&port=1", hash, peer_text), "info_hash"},
      {fmt::format("info_hash={}&peer_id={}&port=1", hash.substr(3), peer_text), "info_hash"},
      {fmt::format("info_hash={}&port=1", hash), "peer_id"},
      {fmt::format("info_hash={}&peer_id=short&port=1", hash), "peer_id"},
      {fmt::format("info_hash={}&peer_id={}", hash, peer_text), "port"},
      {fmt::format("info_hash={}&peer_id={}&port=0", hash, peer_text), "port"},
      {fmt::format("info_hash={}&peer_id={}&port=65536", hash, peer_text), "port"},
      {fmt::format("info_hash={}&peer_id={}&port=http", hash, peer_text), "port"},
      {fmt::format("info_hash={}&peer_id={}&port=+1", hash, peer_text), "port"},
      {fmt::format("info_hash={}&peer_id={}&port=1&left=lots", hash, peer_text), "left"},
      {fmt::format("info_hash={}&peer_id={}&port=1&uploaded=", hash, peer_text), "uploaded"},
  };
  for (const auto& c : cases) {
    const auto q = parse_announce(c.query);
    ASSERT_FALSE(q) << c.query;
    EXPECT_EQ(q.error.rfind(c.names + ":", 0), 0u) << c.query << " -> " << q.error;
  }
}

TEST(AnnounceRequest, EventMapping) {
  const std::pair<std::string, announce_event> cases[] = {
      {"", announce_event::none},
      {"&event=", announce_event::none},
      {"&event=started", announce_event::started},
      {"&event=completed", announce_event::completed},
      {"&event=stopped", announce_event::stopped},
      {"&event=paused", announce_event::none},
      {"&event=stopped&event=started", announce_event::started},
  };
  for (const auto& [extra, expected] : cases) {
    const auto q = parse_announce(announce(extra));
    ASSERT_TRUE(q) << extra;
    EXPECT_EQ(q->event, expected) << extra;
  }
}

TEST(AnnounceRequest, NumwantZeroOnStopIsKeptAndBadNumwantMeansDefault) {
  const auto stop = parse_announce(announce("&event=stopped&numwant=0"));
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->numwant, 0u);
  EXPECT_EQ(parse_announce(announce())->numwant, std::nullopt);
  EXPECT_EQ(parse_announce(announce("&numwant=-1"))->numwant, std::nullopt);
  EXPECT_EQ(parse_announce(announce("&numwant=many"))->numwant, std::nullopt);
  EXPECT_EQ(parse_announce(announce("&numwant=99999999999"))->numwant, 0xffffffffu);
}

TEST(AnnounceRequest, CompactAndNoPeerIdFlags) {
  EXPECT_EQ(parse_announce(announce("&compact=0"))->form, peer_list_form::dictionary);
  EXPECT_EQ(parse_announce(announce("&compact=1"))->form, peer_list_form::compact);
  EXPECT_EQ(parse_announce(announce("&no_peer_id=1"))->peer_ids, peer_id_field::omitted);
  EXPECT_EQ(parse_announce(announce("&no_peer_id=0"))->peer_ids, peer_id_field::included);
}

TEST(AnnounceRequest, NegativeCountersCountAsZero) {
  const auto q = parse_announce(announce("&left=-1&downloaded=-5"));
  ASSERT_TRUE(q) << q.error;
  EXPECT_EQ(q->left, 0u);
  EXPECT_EQ(q->downloaded, 0u);
}

TEST(AnnounceRequest, ClientExtrasAreIgnored) {
  const auto plain = parse_announce(announce());
  const auto extras =
      parse_announce(announce("&key=%A1b%2&corrupt=0&supportcrypto=1&requirepeerid=1&redundant=0"
                              "&ip=10.1.2.3&trackerid=&&novalue&ipv6=%3A%3A1"));
  ASSERT_TRUE(extras) << extras.error;
  EXPECT_EQ(*plain, *extras);
}

TEST(AnnounceRequest, ScrapeTakesEveryInfoHash) {
  const auto none = parse_scrape("");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->info_hashes.empty());

  protocol::sha1_hash other = test_hash();
  other[0] = 0xff;
  const auto two = parse_scrape(fmt::format(
      "info_hash={}&x=1&info_hash={}", hex_escaped(test_hash(), false), hex_escaped(other, true)));
  ASSERT_TRUE(two) << two.error;
  ASSERT_EQ(two->info_hashes.size(), 2u);
  EXPECT_EQ(two->info_hashes[0], test_hash());
  EXPECT_EQ(two->info_hashes[1], other);

  const auto bad = parse_scrape("info_hash=abc");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error.find("info_hash"), std::string::npos);
}

TEST(PercentCoding, DecodeKeepsWhatIsNotAnEscape) {
  EXPECT_EQ(percent_decode("%4a%4A"), "JJ");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("%G1%1"), "%G1%1");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("%%41"), "%A");
}

TEST(PercentCoding, EncodeThenDecodeGivesEveryByteBack) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  const std::string encoded = percent_encode(all);
  for (char c : encoded) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u > 0x20 && u < 0x7f && c != '&' && c != '=' && c != '+') << int(u);
  }
  EXPECT_EQ(percent_decode(encoded), all);
}

TEST(SplitTarget, SplitsAtTheFirstQuestionMark) {
  EXPECT_EQ(split_target("/announce?a=1?b").path, "/announce");
  EXPECT_EQ(split_target("/announce?a=1?b").query, "a=1?b");
  EXPECT_EQ(split_target("/stats").path, "/stats");
  EXPECT_EQ(split_target("/stats").query, "");
}

protocol::announce_response two_peer_response() {
  protocol::announce_response r;
  r.interval = std::chrono::seconds(30);
  r.min_interval = std::chrono::seconds(15);
  r.complete = 1;
  r.incomplete = 2;
  r.peers.push_back({peer_of("AAAAAAAAAAAAAAAAAAAA"), {0x7f000001, 6881}});
  r.peers.push_back({peer_of("BBBBBBBBBBBBBBBBBBBB"), {0x0a010203, 0xabcd}});
  return r;
}

TEST(AnnounceResponse, CompactPeersAreSixBigEndianBytesEach) {
  const auto body = encode_announce_response(two_peer_response(), peer_list_form::compact,
                                             peer_id_field::included);
  const auto v = bencode::decode(body);
  ASSERT_TRUE(v) << v.error().text;
  EXPECT_EQ(*v.get().find("interval")->as_integer(), 30);
  EXPECT_EQ(*v.get().find("min interval")->as_integer(), 15);
  EXPECT_EQ(*v.get().find("complete")->as_integer(), 1);
  EXPECT_EQ(*v.get().find("incomplete")->as_integer(), 2);
  const auto* peers = v.get().find("peers")->as_string();
  ASSERT_NE(peers, nullptr);
  EXPECT_EQ(*peers, std::string("\x7f\x00\x00\x01\x1a\xe1\x0a\x01\x02\x03\xab\xcd", 12));
}

TEST(AnnounceResponse, DictionaryPeersWithAndWithoutPeerIds) {
  for (auto ids : {peer_id_field::included, peer_id_field::omitted}) {
    const auto v = bencode::decode(
        encode_announce_response(two_peer_response(), peer_list_form::dictionary, ids));
    ASSERT_TRUE(v);
    const auto* peers = v.get().find("peers")->as_list();
    ASSERT_NE(peers, nullptr);
    ASSERT_EQ(peers->size(), 2u);
    const auto& second = (*peers)[1];
    EXPECT_EQ(*second.find("ip")->as_string(), "10.1.2.3");
    EXPECT_EQ(*second.find("port")->as_integer(), 0xabcd);
    if (ids == peer_id_field::included)
      EXPECT_EQ(*second.find("peer id")->as_string(), "BBBBBBBBBBBBBBBBBBBB");
    else
      EXPECT_EQ(second.find("peer id"), nullptr);
  }
}

TEST(AnnounceResponse, FailureAndScrapeBodies) {
  const auto failure = bencode::decode(encode_failure("info_hash: missing"));
  ASSERT_TRUE(failure);
  EXPECT_EQ(*failure.get().find("failure reason")->as_string(), "info_hash: missing");

  const std::pair<protocol::sha1_hash, protocol::scrape_entry> files[] = {{test_hash(), {3, 4, 5}}};
  const auto scrape = bencode::decode(encode_scrape_response(files));
  ASSERT_TRUE(scrape);
  const auto* entry = scrape.get().find("files")->find(
      std::string_view(reinterpret_cast<const char*>(test_hash().data()), 20));
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(*entry->find("complete")->as_integer(), 3);
  EXPECT_EQ(*entry->find("incomplete")->as_integer(), 4);
  EXPECT_EQ(*entry->find("downloaded")->as_integer(), 5);
}

}  // namespace
}  // namespace swarmsim::sim::real
