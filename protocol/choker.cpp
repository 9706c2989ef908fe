#include "protocol/choker.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "protocol/invariant.hpp"

namespace swarmsim::protocol {

namespace {

bool contains(const std::vector<connection_id>& sorted, connection_id c) {
  return std::binary_search(sorted.begin(), sorted.end(), c);
}

// The entry of `c` in a list of (connection, time) sorted by connection, or where
// it would go.
template <typename List>
auto lower_bound_of(List& sorted, connection_id c) {
  return std::lower_bound(
      sorted.begin(), sorted.end(), c,
      [](const std::pair<connection_id, time_point>& x, connection_id v) { return x.first < v; });
}

}  // namespace

std::uint32_t automatic_upload_slots(double upload_bytes_per_s) {
  const double kib = upload_bytes_per_s / 1024.0;
  if (kib < 9) return 2;
  if (kib < 15) return 3;
  if (kib < 42) return 4;
  return static_cast<std::uint32_t>(std::sqrt(kib * 0.6));
}

choker::choker(choker_options options) : options_(options), upload_slots_(options.upload_slots) {
  if (options_.slots == slots_mode::automatic && options_.upload_capacity > 0) {
    upload_slots_ =
        std::max(automatic_upload_slots(options_.upload_capacity), options_.optimistic_slots);
  }
  if (options_.optimistic_slots > upload_slots_) {
    throw std::invalid_argument("choker: optimistic_slots exceeds upload_slots");
  }
  if (options_.rechoke_interval <= duration::zero() ||
      options_.optimistic_interval <= duration::zero()) {
    throw std::invalid_argument("choker: rechoke and optimistic intervals must be positive");
  }
}

const strategy_info& mainline_choker_info() {
  static const strategy_info info{
      strategy_kind::choker,
      "mainline",
      "tit-for-tat: the fastest uploaders to us, one optimistic unchoke rotating every 30 s, "
      "anti-snubbing; as a seed, round robin or fastest upload (seed_mode)",
      "BEP 3; Cohen 2003; BitTorrent mainline 4.x; libtorrent's seed choking",
      {},
      [](const choker_options& options, const strategy_params&)
          -> std::unique_ptr<upload_strategy> { return std::make_unique<choker>(options); }};
  return info;
}

std::unique_ptr<upload_strategy> make_upload_strategy(const choker_options& options) {
  const strategy_info* info = options.policy.info ? options.policy.info : &mainline_choker_info();
  return info->make_upload(options, options.policy.params);
}

std::optional<connection_id> choker::optimistic() const {
  if (optimistic_.empty()) return std::nullopt;
  return optimistic_.front().conn;
}

std::vector<connection_id> choker::optimistic_unchokes() const {
  std::vector<connection_id> out;
  out.reserve(optimistic_.size());
  for (const auto& s : optimistic_)
    out.push_back(s.conn);
  return out;
}

bool choker::is_optimistic(connection_id c) const {
  return std::any_of(optimistic_.begin(), optimistic_.end(),
                     [c](const optimistic_slot& s) { return s.conn == c; });
}

void choker::forget(connection_id c) {
  std::erase_if(optimistic_, [c](const optimistic_slot& s) { return s.conn == c; });
  const auto it = lower_bound_of(choked_since_, c);
  if (it != choked_since_.end() && it->first == c) choked_since_.erase(it);
}

void choker::check_invariants() const {
  require(options_.optimistic_slots <= upload_slots_,
          "choker: {} optimistic slots exceed the {} upload slots", options_.optimistic_slots,
          upload_slots_);
  require(options_.slots == slots_mode::automatic || upload_slots_ == options_.upload_slots,
          "choker rule 9: fixed slots, yet {} upload slots for the {} asked", upload_slots_,
          options_.upload_slots);
  // Rules 1, 2, 6, 7: the last decision fills at most upload_slots (none for a
  // free-rider), sorted by connection id as rechoke() promises.
  require(unchoke_.size() <= upload_slots_, "choker rules 1-2: {} unchoked, {} upload slots",
          unchoke_.size(), upload_slots_);
  for (std::size_t i = 1; i < unchoke_.size(); ++i)
    require(unchoke_[i - 1] < unchoke_[i],
            "choker: unchoke set not sorted and distinct at {}: {} then {}", i,
            unchoke_[i - 1].value(), unchoke_[i].value());
  // Rules 2-3: each optimistic slot holds a distinct connection of the unchoke set.
  require(optimistic_.size() <= upload_slots_,
          "choker rule 2: {} optimistic slots, {} upload slots", optimistic_.size(), upload_slots_);
  for (std::size_t i = 0; i < optimistic_.size(); ++i) {
    const connection_id c = optimistic_[i].conn;
    require(contains(unchoke_, c), "choker rule 2: optimistic connection {} is not unchoked",
            c.value());
    for (std::size_t j = 0; j < i; ++j)
      require(optimistic_[j].conn != c, "choker rule 2: connection {} holds two optimistic slots",
              c.value());
  }
  // Rule 5: the waiting times, sorted by connection, of choked connections only.
  for (std::size_t i = 0; i < choked_since_.size(); ++i) {
    const connection_id c = choked_since_[i].first;
    require(i == 0 || choked_since_[i - 1].first < c,
            "choker rule 5: choked_since_ not sorted and distinct at {}: connection {}", i,
            c.value());
    require(!contains(unchoke_, c), "choker rule 5: connection {} is unchoked and waiting",
            c.value());
  }
}

const time_point* choker::choked_since(connection_id c) const {
  const auto it = lower_bound_of(choked_since_, c);
  return it != choked_since_.end() && it->first == c ? &it->second : nullptr;
}

// Interested candidates passing `keep`, ranked by `rate` descending, then by id,
// into ranked_.
template <typename Keep, typename Rate>
void choker::rank_by_rate(std::span<const choke_candidate> candidates, Keep keep, Rate rate) {
  ranked_.clear();
  for (const auto& c : candidates) {
    if (c.peer_interested && keep(c)) ranked_.push_back(&c);
  }
  std::sort(ranked_.begin(), ranked_.end(),
            [&](const choke_candidate* a, const choke_candidate* b) {
              const double ra = rate(*a);
              const double rb = rate(*b);
              if (ra != rb) return ra > rb;
              return a->conn < b->conn;
            });
}

void choker::take_first(std::uint32_t slots) {
  regular_.clear();
  const auto n = std::min<std::size_t>(slots, ranked_.size());
  for (std::size_t i = 0; i < n; ++i)
    regular_.push_back(ranked_[i]->conn);
  std::sort(regular_.begin(), regular_.end());
}

void choker::regular_leecher(std::span<const choke_candidate> candidates) {
  rank_by_rate(
      candidates, [](const choke_candidate& c) { return !c.snubbed && c.download_rate > 0; },
      [](const choke_candidate& c) { return c.download_rate; });
  take_first(regular_slots());
}

void choker::regular_fastest_upload(std::span<const choke_candidate> candidates) {
  rank_by_rate(
      candidates, [](const choke_candidate& c) { return !c.idle; },
      [](const choke_candidate& c) { return c.demoted ? -1.0 : c.upload_rate; });
  take_first(regular_slots());
}

void choker::regular_round_robin(std::span<const choke_candidate> candidates, time_point now) {
  // Rank: regular holders still within their quota (earliest unchoke first),
  // then waiting peers (longest wait first), then holders whose quota is used up
  // (they keep a slot only if nobody waits), then demoted peers (rule 10). A
  // peer whose optimistic slot still runs is left out; one whose optimistic slot
  // runs out now waits from now. Idle peers get nothing.
  std::vector<keyed>& ranked = keyed_;
  ranked.clear();
  for (const auto& c : candidates) {
    if (!c.peer_interested || c.idle) continue;
    if (c.demoted) {
      const time_point* since = choked_since(c.conn);
      ranked.push_back({3, since ? *since : c.connected_at, &c});
      continue;
    }
    auto slot = std::find_if(optimistic_.begin(), optimistic_.end(),
                             [&](const optimistic_slot& s) { return s.conn == c.conn; });
    if (slot != optimistic_.end()) {
      if (slot->until > now) continue;
      ranked.push_back({1, now, &c});
    } else if (c.unchoked) {
      const duration held = now - c.unchoked_since;
      const bool quota_used = (c.bytes_sent_since_unchoke >= options_.round_robin_bytes &&
                               held >= options_.round_robin_min_time) ||
                              held >= options_.round_robin_max_time;
      ranked.push_back({quota_used ? 2 : 0, c.unchoked_since, &c});
    } else {
      const time_point* since = choked_since(c.conn);
      ranked.push_back({1, since ? *since : c.connected_at, &c});
    }
  }
  std::sort(ranked.begin(), ranked.end(), [](const keyed& a, const keyed& b) {
    if (a.group != b.group) return a.group < b.group;
    if (a.since != b.since) return a.since < b.since;
    return a.c->conn < b.c->conn;
  });
  ranked_.clear();
  for (const auto& k : ranked)
    ranked_.push_back(k.c);
  take_first(regular_slots());
}

void choker::update_optimistic(std::span<const choke_candidate> candidates, time_point now,
                               bool rotate, rng& random) {
  const std::vector<connection_id>& regular = regular_;
  // Eligible: interested and without a regular slot, in connection-id order.
  ranking& eligible = eligible_;
  eligible.clear();
  // Demoted peers only when no other is eligible, idle ones never (rule 10).
  bool others = false;
  for (const auto& c : candidates)
    others = others || (c.peer_interested && !c.idle && !c.demoted && !contains(regular, c.conn));
  for (const auto& c : candidates) {
    if (c.peer_interested && !c.idle && !(others && c.demoted) && !contains(regular, c.conn))
      eligible.push_back(&c);
  }
  const auto by_conn = [](const choke_candidate* a, const choke_candidate* b) {
    return a->conn < b->conn;
  };
  if (!std::is_sorted(eligible.begin(), eligible.end(), by_conn))  // peer: in id order
    std::sort(eligible.begin(), eligible.end(), by_conn);
  auto find_eligible = [&](connection_id id) {
    auto it =
        std::lower_bound(eligible.begin(), eligible.end(), id,
                         [](const choke_candidate* c, connection_id v) { return c->conn < v; });
    return it != eligible.end() && (*it)->conn == id;
  };

  std::vector<connection_id>& kept = kept_;
  std::vector<connection_id>& expired = expired_;
  std::vector<optimistic_slot>& slots = slots_;
  kept.clear();
  expired.clear();
  slots.clear();
  for (const auto& s : optimistic_) {
    if (!find_eligible(s.conn)) continue;
    if (rotate && s.until <= now) {
      expired.push_back(s.conn);
    } else {
      slots.push_back(s);
      kept.push_back(s.conn);
    }
  }

  auto is_in = [](const std::vector<connection_id>& v, connection_id c) {
    return std::find(v.begin(), v.end(), c) != v.end();
  };
  // Fresh peers first; the ones whose time just ran out only if nobody else is left.
  ranking& fresh = fresh_;
  ranking& fallback = fallback_;
  fresh.clear();
  fallback.clear();
  for (const auto* c : eligible) {
    if (is_in(kept, c->conn)) continue;
    (is_in(expired, c->conn) ? fallback : fresh).push_back(c);
  }

  auto weight = [&](const choke_candidate& c) -> std::uint64_t {
    return now - c.connected_at < options_.new_peer_window ? options_.new_peer_weight : 1;
  };
  auto draw = [&](ranking& pool) {
    std::uint64_t total = 0;
    for (const auto* c : pool)
      total += weight(*c);
    std::size_t pick = 0;
    if (total == 0) {
      pick = std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(random);
    } else {
      auto r = std::uniform_int_distribution<std::uint64_t>(0, total - 1)(random);
      while (r >= weight(*pool[pick]))
        r -= weight(*pool[pick++]);
    }
    const connection_id chosen = pool[pick]->conn;
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(pick));
    return chosen;
  };

  // The optimistic slots plus the regular ones nobody earned by rate (rule 2);
  // extra slots held from before go, the newest first.
  const std::size_t target = upload_slots_ - std::min<std::size_t>(regular.size(), upload_slots_);
  if (slots.size() > target) slots.resize(target);
  while (slots.size() < target && !(fresh.empty() && fallback.empty())) {
    auto& pool = fresh.empty() ? fallback : fresh;
    slots.push_back({draw(pool), now + options_.optimistic_interval});
  }
  optimistic_.swap(slots);
}

const std::vector<connection_id>& choker::rechoke(std::span<const choke_candidate> candidates,
                                                  bool we_are_seed, time_point now, rng& random) {
  next_rechoke_ = now + options_.rechoke_interval;
  return select(candidates, we_are_seed, now, true, random);
}

const std::vector<connection_id>& choker::reselect(std::span<const choke_candidate> candidates,
                                                   bool we_are_seed, time_point now, rng& random) {
  return select(candidates, we_are_seed, now, false, random);
}

const std::vector<connection_id>& choker::select(std::span<const choke_candidate> candidates,
                                                 bool we_are_seed, time_point now, bool rotate,
                                                 rng& random) {
  if (!we_are_seed) {
    regular_leecher(candidates);
  } else if (options_.seed_mode == seed_choking::fastest_upload) {
    regular_fastest_upload(candidates);
  } else {
    regular_round_robin(candidates, now);
  }
  update_optimistic(candidates, now, rotate, random);

  std::vector<connection_id>& unchoke = unchoke_;
  unchoke.assign(regular_.begin(), regular_.end());
  for (const auto& s : optimistic_)
    unchoke.push_back(s.conn);
  std::sort(unchoke.begin(), unchoke.end());

  // Remember since when each choked connection has waited; forget the rest.
  waiting_.clear();
  for (const auto& c : candidates) {
    if (contains(unchoke, c.conn)) continue;
    if (c.unchoked) {
      waiting_.emplace_back(c.conn, now);
    } else if (const time_point* since = choked_since(c.conn)) {
      waiting_.emplace_back(c.conn, *since);
    }
  }
  const auto by_conn = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (!std::is_sorted(waiting_.begin(), waiting_.end(), by_conn))
    std::sort(waiting_.begin(), waiting_.end(), by_conn);
  choked_since_.swap(waiting_);
  return unchoke;
}

}  // namespace swarmsim::protocol
