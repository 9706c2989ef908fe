#include "strategies/bittyrant/bittyrant.hpp"

#include <algorithm>
#include <cstdint>
#include <map>

#include "strategies/common/proportional_uplink.hpp"
#include "strategies/common/seed_handover.hpp"

namespace swarmsim::strategies {

namespace {

using namespace protocol;

class bittyrant final : public seed_handover {
 public:
  bittyrant(const choker_options& options, const strategy_params& p)
      : seed_handover(options),
        capacity_(options.upload_capacity),
        market_rate_(p.number("market_rate")),
        raise_(p.number("raise")),
        lower_(p.number("lower")),
        reciprocation_time_(p.span("reciprocation_time")),
        max_unchoked_(static_cast<std::uint32_t>(p.whole("max_unchoked"))) {}

 private:
  struct remote {
    double offer = 0;     // u_p, bytes/s
    double expected = 0;  // d_p, bytes/s
    bool unchoked = false;
    time_point reciprocating_since = never;  // never: not reciprocating
  };

  const unchoke_set& leech_rechoke(candidates c, time_point now, rng&) override {
    return select(c, now, true);
  }
  // Between rounds (an interest change, a closed connection): the same greedy
  // choice with the offers as they stand, so trade starts before the first round.
  const unchoke_set& leech_reselect(candidates c, time_point now, rng&) override {
    return select(c, now, false);
  }

  const unchoke_set& select(candidates c, time_point now, bool round) {
    ranked_.clear();
    for (const choke_candidate& k : c) {
      remote& r = update(k, now, round);
      if (k.peer_interested) ranked_.push_back({&k, r.expected / r.offer});
    }
    std::sort(ranked_.begin(), ranked_.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first->conn < b.first->conn;
    });
    unchoke_.clear();
    uplink_.clear();
    double spent = 0;
    for (const auto& [k, ratio] : ranked_) {
      const double offer = remotes_[k->conn].offer;
      if (unchoke_.size() == max_unchoked_) break;
      if (capacity_ > 0 && !unchoke_.empty() && spent + offer > capacity_) break;
      spent += offer;
      unchoke_.push_back(k->conn);
      uplink_.set(k->conn, offer, k->bytes_sent);
    }
    std::sort(unchoke_.begin(), unchoke_.end());
    if (round)
      for (auto& [conn, r] : remotes_)
        r.unchoked = std::binary_search(unchoke_.begin(), unchoke_.end(), conn);
    ranked_.clear();
    return unchoke_;
  }

  // u_p and d_p: a remote seen for the first time starts at the market rate;
  // at the end of a round they follow its reciprocation (see the header).
  remote& update(const choke_candidate& k, time_point now, bool round) {
    auto [it, fresh] = remotes_.try_emplace(k.conn);
    remote& r = it->second;
    if (fresh) {
      r.offer = market_rate_;
      r.expected = estimate(k.remote_have_rate);
    }
    if (!round) return r;
    if (k.download_rate > 0) {
      r.expected = k.download_rate;
      if (r.reciprocating_since == never) r.reciprocating_since = now;
      if (now - r.reciprocating_since >= reciprocation_time_) r.offer *= 1 - lower_;
    } else {
      r.reciprocating_since = never;
      if (r.unchoked) r.offer *= 1 + raise_;
      r.expected = estimate(k.remote_have_rate);
    }
    if (capacity_ > 0) r.offer = std::min(r.offer, capacity_);
    r.offer = std::max(r.offer, 1.0);
    return r;
  }

  // A remote's per-slot upload rate, from its download rate (HAVEs).
  double estimate(double have_rate) const {
    if (have_rate <= 0) return market_rate_;
    return have_rate / automatic_upload_slots(have_rate);
  }

  void leech_forget(connection_id c) override {
    remotes_.erase(c);
    uplink_.forget(c);
    std::erase(unchoke_, c);
  }
  std::uint32_t leech_slots() const override { return max_unchoked_; }
  std::size_t leech_serve(std::span<const serve_candidate> ready, time_point) override {
    return uplink_.choose(ready);
  }

  double capacity_;
  double market_rate_;
  double raise_;
  double lower_;
  duration reciprocation_time_;
  std::uint32_t max_unchoked_;
  std::map<connection_id, remote> remotes_;
  proportional_uplink uplink_;
  std::vector<std::pair<const choke_candidate*, double>> ranked_;
  unchoke_set unchoke_;
};

}  // namespace

const strategy_info& bittyrant_info() {
  static const strategy_info info{
      strategy_kind::choker,
      "bittyrant",
      "strategic: remotes ranked by the download they return over the upload offered them, "
      "unchoked greedily until the upload capacity is spent; offers adapt; as a seed, mainline",
      "Piatek, Isdal, Anderson, Krishnamurthy, Venkataramani: BitTyrant, NSDI 2007",
      {
          {"market_rate", param_type::rate, 7000.0,
           "first upload rate offered a remote (the client's ~7 KB/s)", 1, 1e12},
          {"raise", param_type::fraction, 0.2,
           "offer increase per round while a remote does not reciprocate", 0, 1},
          {"lower", param_type::fraction, 0.1,
           "offer decrease per round once a remote has reciprocated for reciprocation_time", 0, 1},
          {"reciprocation_time", param_type::duration, duration{std::chrono::seconds(30)},
           "reciprocation that lets the offer shrink", 0, 86400},
          {"max_unchoked", param_type::whole, std::uint64_t{100},
           "most remotes unchoked at once (all of them when the capacity is unknown)", 1, 1000},
      },
      [](const choker_options& options, const strategy_params& p)
          -> std::unique_ptr<upload_strategy> { return std::make_unique<bittyrant>(options, p); }};
  return info;
}

}  // namespace swarmsim::strategies
