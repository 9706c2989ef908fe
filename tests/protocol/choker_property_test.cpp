// The choker under random rates, interest flips, snubs, connections coming and
// going, as a leecher and as a seed (round robin and fastest upload), with
// rechokes on its timer and reselects in between: its invariants hold after
// every step, and every decision follows the rules visible from outside (never
// more unchoked than slots, never an uninterested peer, a free-rider unchokes
// nobody, the regular slots go by rate).

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "protocol/choker.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::seconds;

struct setup {
  std::uint32_t upload_slots;
  std::uint32_t optimistic_slots;
  seed_choking seed_mode;
};

class choker_run {
 public:
  choker_run(setup s, std::uint64_t seed) : rng_(seed), random_(seed + 1) {
    choker_options o;
    o.upload_slots = s.upload_slots;
    o.optimistic_slots = s.optimistic_slots;
    o.seed_mode = s.seed_mode;
    o.round_robin_bytes = 50000;
    o.round_robin_min_time = seconds(20);
    choker_ = choker(o);
    choker_.start(now_);
    for (int i = 0; i < 4; ++i)
      connect();
  }

  // One random event, then a rechoke if one is due.
  void step() {
    now_ += seconds(rng_() % 6);
    const auto op = rng_() % 100;
    if (op < 8 && candidates_.size() < 12) {
      connect();
    } else if (op < 14 && !candidates_.empty()) {
      const auto i = rng_() % candidates_.size();
      choker_.forget(candidates_[i].conn);
      candidates_.erase(candidates_.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (op < 35 && !candidates_.empty()) {
      auto& c = pick();
      c.peer_interested = !c.peer_interested;
      if (c.unchoked) decide(false);  // rule 8: an unchoked peer's interest changed
    } else if (op < 60 && !candidates_.empty()) {
      const double rates[] = {0, 0, 100, 1000, 1000, 5000};
      auto& c = pick();
      c.download_rate = rates[rng_() % 6];
      c.upload_rate = rates[rng_() % 6];
    } else if (op < 65 && !candidates_.empty()) {
      auto& c = pick();
      c.snubbed = !c.snubbed;
    } else if (op < 70) {
      we_are_seed_ = !we_are_seed_;
    } else if (op < 80) {
      decide(false);
    }
    for (auto& c : candidates_)
      if (c.unchoked) c.bytes_sent_since_unchoke += static_cast<std::uint64_t>(c.upload_rate);
    if (now_ >= choker_.next_deadline()) decide(true);
    choker_.check_invariants();
  }

  std::string describe() const {
    std::string s = we_are_seed_ ? "seed:" : "leecher:";
    for (const auto& c : candidates_)
      s += " [" + std::to_string(c.conn.value()) + (c.peer_interested ? " i" : "") +
           (c.snubbed ? " s" : "") + (c.unchoked ? " u" : "") + " d" +
           std::to_string(static_cast<int>(c.download_rate)) + " u" +
           std::to_string(static_cast<int>(c.upload_rate)) + "]";
    return s;
  }

 private:
  void connect() {
    choke_candidate c;
    c.conn = connection_id{next_id_++};
    c.peer_interested = rng_() % 2 == 0;
    c.connected_at = now_;
    candidates_.push_back(c);
  }

  choke_candidate& pick() { return candidates_[rng_() % candidates_.size()]; }

  void decide(bool rechoke) {
    const auto& unchoke = rechoke ? choker_.rechoke(candidates_, we_are_seed_, now_, random_)
                                  : choker_.reselect(candidates_, we_are_seed_, now_, random_);
    check_decision(unchoke);
    for (auto& c : candidates_) {
      const bool keep = std::binary_search(unchoke.begin(), unchoke.end(), c.conn);
      if (keep && !c.unchoked) {
        c.unchoked_since = now_;
        c.bytes_sent_since_unchoke = 0;
      }
      c.unchoked = keep;
    }
  }

  const choke_candidate* find(connection_id id) const {
    for (const auto& c : candidates_)
      if (c.conn == id) return &c;
    return nullptr;
  }

  void check_decision(const std::vector<connection_id>& unchoke) const {
    ASSERT_LE(unchoke.size(), choker_.upload_slots()) << "rules 1-2: more unchoked than slots";
    if (choker_.upload_slots() == 0) {
      ASSERT_TRUE(unchoke.empty()) << "rule 7: a free-rider";
    }
    ASSERT_TRUE(std::is_sorted(unchoke.begin(), unchoke.end()));
    ASSERT_EQ(std::adjacent_find(unchoke.begin(), unchoke.end()), unchoke.end());
    for (const connection_id id : unchoke) {
      const choke_candidate* c = find(id);
      ASSERT_TRUE(c) << "connection " << id.value() << " is not a candidate";
      ASSERT_TRUE(c->peer_interested) << "rule 6: uninterested " << id.value() << " unchoked";
    }
    for (const connection_id id : choker_.optimistic_unchokes())
      ASSERT_TRUE(std::binary_search(unchoke.begin(), unchoke.end(), id))
          << "optimistic " << id.value() << " is choked";
    if (!we_are_seed_ || choker_.options().seed_mode == seed_choking::fastest_upload)
      check_regular_by_rate(unchoke);
  }

  // Rules 1, 4 and 5 (fastest upload): the unchokes not named optimistic are the
  // first by rate (ties: lower id) of the peers that may have a regular slot.
  void check_regular_by_rate(const std::vector<connection_id>& unchoke) const {
    const bool leecher = !we_are_seed_;
    const auto rate = [&](const choke_candidate& c) {
      return leecher ? c.download_rate : c.upload_rate;
    };
    std::vector<const choke_candidate*> eligible;
    for (const auto& c : candidates_)
      if (c.peer_interested && (!leecher || (!c.snubbed && c.download_rate > 0)))
        eligible.push_back(&c);
    std::sort(eligible.begin(), eligible.end(), [&](const auto* a, const auto* b) {
      return rate(*a) != rate(*b) ? rate(*a) > rate(*b) : a->conn < b->conn;
    });
    const std::uint32_t regular_slots = choker_.upload_slots() - choker_.options().optimistic_slots;
    eligible.resize(std::min<std::size_t>(eligible.size(), regular_slots));
    std::vector<connection_id> expected;
    for (const auto* c : eligible)
      expected.push_back(c->conn);
    std::sort(expected.begin(), expected.end());
    std::vector<connection_id> regular;
    for (const connection_id id : unchoke)
      if (!choker_.is_optimistic(id)) regular.push_back(id);
    ASSERT_EQ(regular, expected) << "rules 1/4/5: the regular slots by rate";
  }

  std::mt19937_64 rng_;
  rng random_;
  choker choker_;
  std::vector<choke_candidate> candidates_;
  std::uint32_t next_id_ = 1;
  bool we_are_seed_ = false;
  time_point now_ = time_origin;
};

TEST(choker_property, random_rates_and_interest_keep_the_rules_and_invariants) {
  const setup setups[] = {
      {4, 1, seed_choking::round_robin}, {4, 1, seed_choking::fastest_upload},
      {2, 2, seed_choking::round_robin}, {3, 0, seed_choking::fastest_upload},
      {0, 0, seed_choking::round_robin}, {5, 2, seed_choking::round_robin},
  };
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const setup s = setups[seed % std::size(setups)];
    SCOPED_TRACE(::testing::Message() << "seed " << seed << ", " << s.upload_slots << " slots, "
                                      << s.optimistic_slots << " optimistic");
    choker_run run(s, seed);
    for (int i = 0; i < 400; ++i) {
      ASSERT_NO_THROW(run.step()) << "step " << i << ": " << run.describe();
      if (::testing::Test::HasFatalFailure() || ::testing::Test::HasFailure())
        FAIL() << "step " << i << ": " << run.describe();
    }
  }
}

}  // namespace
}  // namespace swarmsim::protocol
