#include "strategies/propshare/propshare.hpp"

#include <algorithm>
#include <cstdint>
#include <random>

#include "strategies/common/proportional_uplink.hpp"
#include "strategies/common/seed_handover.hpp"

namespace swarmsim::strategies {

namespace {

using namespace protocol;

class propshare final : public seed_handover {
 public:
  propshare(const choker_options& options, const strategy_params& p)
      : seed_handover(options),
        slots_(static_cast<std::uint32_t>(p.whole("slots"))),
        optimistic_slots_(static_cast<std::uint32_t>(p.whole("optimistic_slots"))),
        optimistic_share_(p.number("optimistic_share")),
        new_peer_window_(options.new_peer_window),
        new_peer_weight_(options.new_peer_weight) {}

 private:
  const unchoke_set& leech_rechoke(candidates c, time_point now, rng& random) override {
    contributors_.clear();
    others_.clear();
    for (const choke_candidate& k : c) {
      if (!k.peer_interested) continue;
      (k.download_rate > 0 && !k.snubbed ? contributors_ : others_).push_back(&k);
    }
    std::sort(contributors_.begin(), contributors_.end(), [](auto* a, auto* b) {
      return a->download_rate != b->download_rate ? a->download_rate > b->download_rate
                                                  : a->conn < b->conn;
    });
    if (contributors_.size() > slots_) {  // the rest may still be drawn optimistically
      others_.insert(others_.end(), contributors_.begin() + slots_, contributors_.end());
      contributors_.resize(slots_);
      std::sort(others_.begin(), others_.end(), [](auto* a, auto* b) { return a->conn < b->conn; });
    }
    draw_optimistic(now, random);
    double total = 0;
    for (const choke_candidate* k : contributors_)
      total += k->download_rate;
    const double optimistic_total =
        optimistic_.empty() ? 0 : (contributors_.empty() ? 1.0 : optimistic_share_);
    uplink_.clear();
    for (const choke_candidate* k : contributors_)
      uplink_.set(k->conn, (1 - optimistic_total) * k->download_rate / total, k->bytes_sent);
    for (const connection_id o : optimistic_) {
      const auto* k = find(c, o);
      uplink_.set(o, optimistic_total / static_cast<double>(optimistic_.size()), k->bytes_sent);
    }
    unchoke_.clear();
    for (const choke_candidate* k : contributors_)
      unchoke_.push_back(k->conn);
    unchoke_.insert(unchoke_.end(), optimistic_.begin(), optimistic_.end());
    std::sort(unchoke_.begin(), unchoke_.end());
    contributors_.clear();
    others_.clear();
    return unchoke_;
  }

  // Between rounds: the round's set, less the remotes no longer interested;
  // a free optimistic slot goes to an interested newcomer at once (the share of
  // the uplink it gets then is the optimistic one), so trade starts before the
  // first round.
  const unchoke_set& leech_reselect(candidates c, time_point now, rng& random) override {
    std::erase_if(unchoke_, [&](connection_id u) {
      const auto* k = find(c, u);
      return !k || !k->peer_interested;
    });
    std::erase_if(optimistic_, [&](connection_id u) {
      return !std::binary_search(unchoke_.begin(), unchoke_.end(), u);
    });
    if (optimistic_.size() >= optimistic_slots_) return unchoke_;
    others_.clear();
    for (const choke_candidate& k : c)
      if (k.peer_interested && !std::binary_search(unchoke_.begin(), unchoke_.end(), k.conn))
        others_.push_back(&k);
    const std::size_t before = optimistic_.size();
    draw_optimistic(now, random, false);
    for (std::size_t i = before; i < optimistic_.size(); ++i) {
      const auto* k = find(c, optimistic_[i]);
      const bool alone = unchoke_.empty();
      uplink_.set(k->conn, alone ? 1.0 : optimistic_share_ / optimistic_slots_, k->bytes_sent);
      unchoke_.insert(std::upper_bound(unchoke_.begin(), unchoke_.end(), k->conn), k->conn);
    }
    others_.clear();
    return unchoke_;
  }

  void leech_forget(connection_id c) override {
    uplink_.forget(c);
    std::erase(optimistic_, c);
    std::erase(unchoke_, c);
  }
  std::uint32_t leech_slots() const override { return slots_ + optimistic_slots_; }
  std::size_t leech_serve(std::span<const serve_candidate> ready, time_point) override {
    return uplink_.choose(ready);
  }
  bool leech_optimistic(connection_id c) const override {
    return std::find(optimistic_.begin(), optimistic_.end(), c) != optimistic_.end();
  }
  std::vector<connection_id> leech_optimistic_unchokes() const override { return optimistic_; }

  // optimistic_slots_ of others_ at random, newcomers weighted as in mainline.
  void draw_optimistic(time_point now, rng& random, bool fresh = true) {
    if (fresh) optimistic_.clear();
    while (optimistic_.size() < optimistic_slots_ && !others_.empty()) {
      std::uint64_t total = 0;
      for (const choke_candidate* k : others_)
        total += weight(*k, now);
      std::uint64_t pick = std::uniform_int_distribution<std::uint64_t>(0, total - 1)(random);
      auto it = others_.begin();
      for (; pick >= weight(**it, now); ++it)
        pick -= weight(**it, now);
      optimistic_.push_back((*it)->conn);
      others_.erase(it);
    }
  }
  std::uint64_t weight(const choke_candidate& k, time_point now) const {
    return now - k.connected_at < new_peer_window_ ? new_peer_weight_ : 1;
  }
  static const choke_candidate* find(candidates c, connection_id id) {
    for (const choke_candidate& k : c)
      if (k.conn == id) return &k;
    return nullptr;
  }

  std::uint32_t slots_;
  std::uint32_t optimistic_slots_;
  double optimistic_share_;
  duration new_peer_window_;
  std::uint64_t new_peer_weight_;
  proportional_uplink uplink_;
  std::vector<const choke_candidate*> contributors_;
  std::vector<const choke_candidate*> others_;
  std::vector<connection_id> optimistic_;  // in draw order
  unchoke_set unchoke_;
};

}  // namespace

const strategy_info& propshare_info() {
  static const strategy_info info{
      strategy_kind::choker,
      "propshare",
      "the upload split in proportion to what each remote sent us last round, plus an "
      "optimistic share for newcomers; as a seed, mainline",
      "Levin, LaCurts, Spring, Bhattacharjee: BitTorrent is an auction, SIGCOMM 2008",
      {
          {"slots", param_type::whole, std::uint64_t{20}, "most contributors unchoked at once", 1,
           1000},
          {"optimistic_slots", param_type::whole, std::uint64_t{1},
           "non-contributors unchoked at random each round", 0, 1000},
          {"optimistic_share", param_type::fraction, 0.2,
           "share of the upload the optimistic unchokes get", 0, 1},
      },
      [](const choker_options& options, const strategy_params& p)
          -> std::unique_ptr<upload_strategy> { return std::make_unique<propshare>(options, p); }};
  return info;
}

}  // namespace swarmsim::strategies
