#include "strategies/strict_tft/strict_tft.hpp"

#include <algorithm>

#include "protocol/choker.hpp"
#include "protocol/upload_strategy.hpp"

namespace swarmsim::strategies {

namespace {

using namespace protocol;

class strict_tft final : public upload_strategy {
 public:
  explicit strict_tft(const strategy_params& p)
      : slots_(static_cast<std::uint32_t>(p.whole("slots"))),
        bootstrap_(static_cast<std::uint32_t>(p.whole("bootstrap"))),
        min_rate_(p.number("min_rate")),
        interval_(p.span("interval")) {}

  void start(time_point now) override { next_ = now + interval_; }
  time_point next_deadline() const override { return next_; }
  std::uint32_t upload_slots() const override { return std::max(slots_, bootstrap_); }

  const std::vector<connection_id>& rechoke(std::span<const choke_candidate> candidates, bool,
                                            time_point now, rng& random) override {
    next_ = now + interval_;
    return choose(candidates, random);
  }
  const std::vector<connection_id>& reselect(std::span<const choke_candidate> candidates, bool,
                                             time_point, rng& random) override {
    return choose(candidates, random);
  }

 private:
  const std::vector<connection_id>& choose(std::span<const choke_candidate> candidates,
                                           rng& random) {
    ranked_.clear();
    for (const choke_candidate& c : candidates)
      if (c.peer_interested && c.download_rate >= min_rate_) ranked_.push_back(&c);
    std::uint32_t take = slots_;
    if (ranked_.empty()) {  // nobody reciprocates yet: a few at random
      for (const choke_candidate& c : candidates)
        if (c.peer_interested) ranked_.push_back(&c);
      std::shuffle(ranked_.begin(), ranked_.end(), random);
      take = bootstrap_;
    } else {  // fastest first; ties by connection id, so runs repeat
      std::sort(ranked_.begin(), ranked_.end(), [](auto* a, auto* b) {
        return a->download_rate != b->download_rate ? a->download_rate > b->download_rate
                                                    : a->conn < b->conn;
      });
    }
    unchoke_.clear();
    for (std::size_t i = 0; i < ranked_.size() && i < take; ++i)
      unchoke_.push_back(ranked_[i]->conn);
    std::sort(unchoke_.begin(), unchoke_.end());  // the contract: by connection id
    ranked_.clear();  // no pointer into the candidates outlives the call
    return unchoke_;
  }

  std::uint32_t slots_;
  std::uint32_t bootstrap_;
  double min_rate_;
  duration interval_;
  time_point next_ = never;
  std::vector<const choke_candidate*> ranked_;
  std::vector<connection_id> unchoke_;
};

}  // namespace

const strategy_info& strict_tft_info() {
  static const strategy_info info{
      strategy_kind::choker,
      "strict_tft",
      "strict tit-for-tat: only remotes that upload to us, fastest first; a few at random "
      "while nobody does (example strategy)",
      "strategies/strict_tft (the worked example of docs/STRATEGIES.md)",
      {
          {"slots", param_type::whole, std::uint64_t{4}, "remotes unchoked for their rate", 0,
           1000},
          {"bootstrap", param_type::whole, std::uint64_t{2},
           "remotes unchoked at random while none qualifies", 0, 1000},
          {"min_rate", param_type::rate, 1024.0, "bytes/s a remote must send us to earn a slot", 1,
           1e12},
          {"interval", param_type::duration, duration{std::chrono::seconds(10)},
           "time between rechokes", 0.001, 86400},
      },
      [](const choker_options&, const strategy_params& p) -> std::unique_ptr<upload_strategy> {
        return std::make_unique<strict_tft>(p);
      }};
  return info;
}

}  // namespace swarmsim::strategies
