#include "strategies/fairtorrent/fairtorrent.hpp"

#include <algorithm>
#include <cstdint>

#include "strategies/common/seed_handover.hpp"

namespace swarmsim::strategies {

namespace {

using namespace protocol;

// Bytes received minus bytes sent, as a signed number.
std::int64_t deficit(std::uint64_t received, std::uint64_t sent) {
  return static_cast<std::int64_t>(received) - static_cast<std::int64_t>(sent);
}

class fairtorrent final : public seed_handover {
 public:
  fairtorrent(const choker_options& options, const strategy_params& p)
      : seed_handover(options), slots_(static_cast<std::uint32_t>(p.whole("slots"))) {}

 private:
  const unchoke_set& leech_rechoke(candidates c, time_point, rng&) override { return choose(c); }
  const unchoke_set& leech_reselect(candidates c, time_point, rng&) override { return choose(c); }
  void leech_forget(connection_id) override {}
  std::uint32_t leech_slots() const override { return slots_; }

  std::size_t leech_serve(std::span<const serve_candidate> ready, time_point) override {
    std::size_t best = 0;
    for (std::size_t i = 1; i < ready.size(); ++i) {
      const auto d = deficit(ready[i].bytes_received, ready[i].bytes_sent);
      const auto b = deficit(ready[best].bytes_received, ready[best].bytes_sent);
      if (d > b || (d == b && ready[i].conn < ready[best].conn)) best = i;
    }
    return best;
  }

  const unchoke_set& choose(candidates c) {
    ranked_.clear();
    for (const choke_candidate& k : c)
      if (k.peer_interested) ranked_.push_back(&k);
    if (ranked_.size() > slots_) {
      std::sort(ranked_.begin(), ranked_.end(), [](auto* a, auto* b) {
        const auto da = deficit(a->bytes_received, a->bytes_sent);
        const auto db = deficit(b->bytes_received, b->bytes_sent);
        return da != db ? da > db : a->conn < b->conn;
      });
      ranked_.resize(slots_);
    }
    unchoke_.clear();
    for (const choke_candidate* k : ranked_)
      unchoke_.push_back(k->conn);
    std::sort(unchoke_.begin(), unchoke_.end());
    ranked_.clear();
    return unchoke_;
  }

  std::uint32_t slots_;
  std::vector<const choke_candidate*> ranked_;
  unchoke_set unchoke_;
};

}  // namespace

const strategy_info& fairtorrent_info() {
  static const strategy_info info{
      strategy_kind::choker,
      "fairtorrent",
      "no rounds: every interested remote unchoked, each block to the one with the largest "
      "deficit (bytes it sent us minus bytes we sent it); as a seed, mainline",
      "Sherman, Nieh, Stein: FairTorrent, CoNEXT 2009",
      {
          {"slots", param_type::whole, std::uint64_t{40}, "most remotes unchoked at once", 1, 1000},
      },
      [](const choker_options& options,
         const strategy_params& p) -> std::unique_ptr<upload_strategy> {
        return std::make_unique<fairtorrent>(options, p);
      }};
  return info;
}

}  // namespace swarmsim::strategies
