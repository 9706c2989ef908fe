// The tracker under random announces from several torrents' peers (every event,
// random numwant, time running past expiry) against a shadow model: its
// invariants hold after every step, every response lists at most numwant
// distinct peers of the swarm, never the asker (rule 5), the counts match the
// model (rules 2-4, 6), a torrent is known exactly while it has peers (rule 8),
// and announces for unlisted torrents or past the torrent limit are refused
// without changing anything (rules 9, 10).

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <utility>

#include "protocol/tracker.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::seconds;

constexpr std::uint32_t torrents = 6;
constexpr std::uint32_t peers_per_torrent = 12;

sha1_hash torrent(std::uint32_t t) {
  sha1_hash h{};
  h[0] = 0xab;
  h[19] = static_cast<std::uint8_t>(t);
  return h;
}

wire_peer_id pid(std::uint32_t p) {
  wire_peer_id id{};
  id[0] = '-';
  id[19] = static_cast<std::uint8_t>(p);
  return id;
}

// What the tracker should know: per torrent, its peers and their counts.
struct shadow_peer {
  std::uint64_t left = 0;
  time_point last_announce{};
  bool counted_completion = false;
};
struct shadow_swarm {
  std::map<std::uint32_t, shadow_peer> peers;
  std::uint32_t downloaded = 0;
  std::uint32_t complete() const {
    return static_cast<std::uint32_t>(std::count_if(
        peers.begin(), peers.end(), [](const auto& p) { return p.second.left == 0; }));
  }
  std::uint32_t incomplete() const { return static_cast<std::uint32_t>(peers.size()) - complete(); }
};

announce_event random_event(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0:
      return announce_event::started;
    case 1:
      return announce_event::completed;
    case 2:
      return announce_event::stopped;
    default:
      return announce_event::none;
  }
}

std::optional<std::uint32_t> random_numwant(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return std::nullopt;
    case 1:
      return 0;
    case 2:
      return static_cast<std::uint32_t>(rng() % 4);
    default:
      return static_cast<std::uint32_t>(rng() % 40);
  }
}

class tracker_run {
 public:
  tracker_run(tracker_options options, std::uint64_t seed)
      : options_(options), tracker_(options, seed), rng_(seed) {}

  void step() {
    now_ += seconds(rng_() % 120);
    if (rng_() % 10 == 0) {
      expire();
    } else {
      announce();
    }
    tracker_.check_invariants();
    check_counts();
  }

 private:
  bool allowed(std::uint32_t t) const {
    return !options_.allowed_torrents ||
           std::count(options_.allowed_torrents->begin(), options_.allowed_torrents->end(),
                      torrent(t)) > 0;
  }

  // Rules 9 and 10: the announce is refused and the tracker does not know t.
  void expect_refused(std::uint32_t t, const announce_response& response, announce_refusal why) {
    EXPECT_EQ(response.refusal, why) << "torrent " << t;
    EXPECT_EQ(response.failure, std::string(to_string(why)));
    EXPECT_TRUE(response.peers.empty());
    EXPECT_FALSE(tracker_.scrape(torrent(t))) << "torrent " << t;
  }

  void announce() {
    const auto t = static_cast<std::uint32_t>(rng_() % torrents);
    const auto p = static_cast<std::uint32_t>(rng_() % peers_per_torrent);
    announce_request r;
    r.info_hash = torrent(t);
    r.peer = pid(p);
    r.address = endpoint{0x0a000000u + p, static_cast<std::uint16_t>(6881 + t)};
    r.left = rng_() % 3 == 0 ? 0 : 1000;
    r.event = random_event(rng_);
    r.numwant = random_numwant(rng_);
    const announce_response response = tracker_.announce(r, now_);
    if (!allowed(t)) return expect_refused(t, response, announce_refusal::unlisted_torrent);
    if (r.event != announce_event::stopped && !swarms_.contains(t) &&
        swarms_.size() >= options_.max_torrents)
      return expect_refused(t, response, announce_refusal::torrent_limit);
    if (r.event == announce_event::stopped && !swarms_.contains(t)) {
      // Rule 6: a torrent never seen is not created.
      EXPECT_EQ(response.complete + response.incomplete, 0u);
      EXPECT_TRUE(response.peers.empty());
      EXPECT_FALSE(tracker_.scrape(torrent(t))) << "torrent " << t;
      return;
    }
    shadow_swarm& s = swarms_[t];
    if (r.event == announce_event::stopped) {
      s.peers.erase(p);
    } else {
      shadow_peer& m = s.peers[p];
      m.left = r.left;
      m.last_announce = now_;
      if (r.event == announce_event::completed && !m.counted_completion) {
        m.counted_completion = true;
        ++s.downloaded;
      }
    }
    ASSERT_FALSE(response.failure);
    EXPECT_EQ(response.complete, s.complete()) << "torrent " << t << " peer " << p;
    EXPECT_EQ(response.incomplete, s.incomplete()) << "torrent " << t << " peer " << p;
    if (s.peers.empty()) swarms_.erase(t);  // rule 8
    if (r.event == announce_event::stopped) {
      EXPECT_TRUE(response.peers.empty()) << "rule 6";
      return;
    }
    // Rule 5: at most numwant (clamped), distinct, never the asker, all in the swarm.
    const std::uint32_t numwant =
        std::min(r.numwant.value_or(options_.default_numwant), options_.max_numwant);
    const auto others = static_cast<std::uint32_t>(swarms_.at(t).peers.size() - 1);
    EXPECT_EQ(response.peers.size(), std::min(numwant, others)) << "torrent " << t;
    std::set<std::uint32_t> listed;
    for (const peer_entry& e : response.peers) {
      const std::uint32_t q = e.peer[19];
      EXPECT_NE(q, p) << "rule 5: the asker is listed";
      EXPECT_TRUE(listed.insert(q).second) << "rule 5: peer " << q << " listed twice";
      EXPECT_TRUE(swarms_.at(t).peers.contains(q)) << "peer " << q << " is not in torrent " << t;
    }
  }

  void expire() {
    std::size_t expired = 0;
    for (auto& [t, s] : swarms_) {
      expired += std::erase_if(s.peers, [&](const auto& entry) {
        return entry.second.last_announce + options_.expire_after <= now_;
      });
    }
    std::erase_if(swarms_, [](const auto& entry) { return entry.second.peers.empty(); });
    EXPECT_EQ(tracker_.on_deadline(now_), expired) << "rule 4";
  }

  void check_counts() {
    std::optional<time_point> first_expiry;
    std::size_t peers = 0;
    for (std::uint32_t t = 0; t < torrents; ++t)
      EXPECT_EQ(tracker_.scrape(torrent(t)).has_value(), swarms_.contains(t))
          << "rule 8, torrent " << t;
    for (const auto& [t, s] : swarms_) {
      peers += s.peers.size();
      const auto scrape = tracker_.scrape(torrent(t));
      ASSERT_TRUE(scrape) << "torrent " << t;
      EXPECT_EQ(scrape->complete, s.complete()) << "rule 2, torrent " << t;
      EXPECT_EQ(scrape->incomplete, s.incomplete()) << "rule 2, torrent " << t;
      EXPECT_EQ(scrape->downloaded, s.downloaded) << "rule 3, torrent " << t;
      std::set<std::uint32_t> known;
      for (const tracked_peer& tp : tracker_.peers(torrent(t)))
        EXPECT_TRUE(known.insert(tp.peer[19]).second) << "rule 1, torrent " << t;
      std::set<std::uint32_t> expected;
      for (const auto& [p, m] : s.peers) {
        expected.insert(p);
        const time_point due = m.last_announce + options_.expire_after;
        if (!first_expiry || due < *first_expiry) first_expiry = due;
      }
      EXPECT_EQ(known, expected) << "torrent " << t;
    }
    EXPECT_EQ(tracker_.next_deadline(), first_expiry) << "rule 7";
    EXPECT_EQ(tracker_.torrent_count(), swarms_.size());
    EXPECT_EQ(tracker_.peer_count(), peers);
  }

  tracker_options options_;
  tracker tracker_;
  std::mt19937_64 rng_;
  std::map<std::uint32_t, shadow_swarm> swarms_;  // torrents with peers
  time_point now_ = time_origin;
};

void run_seeds(const tracker_options& options) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    tracker_run run(options, seed);
    for (int i = 0; i < 300; ++i) {
      ASSERT_NO_THROW(run.step()) << "step " << i;
      if (::testing::Test::HasFailure()) FAIL() << "seed " << seed << " step " << i;
    }
  }
}

tracker_options small_options() {
  tracker_options options;
  options.default_numwant = 5;
  options.max_numwant = 8;
  options.expire_after = seconds(900);
  return options;
}

TEST(tracker_property, random_announces_keep_the_invariants_and_match_a_shadow_model) {
  run_seeds(small_options());
}

TEST(tracker_property, torrent_limit_refuses_new_torrents_only_while_full) {
  tracker_options options = small_options();
  options.max_torrents = 2;
  options.expire_after = seconds(300);  // torrents empty out often, making room
  run_seeds(options);
}

TEST(tracker_property, whitelist_refuses_every_other_torrent) {
  tracker_options options = small_options();
  options.allowed_torrents = std::vector<sha1_hash>{torrent(4), torrent(1), torrent(2)};
  options.max_torrents = 2;
  run_seeds(options);
}

}  // namespace
}  // namespace swarmsim::protocol
