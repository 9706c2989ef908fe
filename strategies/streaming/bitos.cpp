#include <cmath>
#include <memory>

#include "protocol/piece_picker.hpp"
#include "protocol/piece_strategy.hpp"
#include "strategies/streaming/streaming.hpp"
#include "strategies/streaming/streaming_common.hpp"

namespace swarmsim::strategies {

namespace {

using namespace protocol;

class bitos final : public piece_strategy {
 public:
  explicit bitos(const strategy_params& p)
      : window_(static_cast<std::uint32_t>(p.whole("window"))),
        p_per_mille_(static_cast<std::uint32_t>(std::lround(p.number("p") * 1000))) {}

  void pick(piece_request& r) override {
    const piece_index point = r.playback_point();
    const piece_index end = streaming::window_end(r, point, window_);
    if (r.random_below(1000) < p_per_mille_) {  // the high-priority set
      r.take_rarest(point, end);
      if (!r.full()) r.take_in_order();
    } else {  // the remaining set
      r.take_in_order();
      if (!r.full()) r.take_rarest(point, end);
    }
  }
  piece_order order() const override { return piece_order::availability; }

 private:
  std::uint32_t window_;
  std::uint32_t p_per_mille_;
};

}  // namespace

const strategy_info& bitos_info() {
  static const strategy_info info = [] {
    strategy_info i;
    i.kind = strategy_kind::picker;
    i.name = "bitos";
    i.summary =
        "the next `window` missing pieces from the playback point with probability p, the rest "
        "otherwise, rarest first inside each set";
    i.source =
        "Vlavianos, Iliofotou, Faloutsos, BiToS: enhancing BitTorrent for supporting streaming "
        "applications, Global Internet 2006";
    i.params = {
        {"window", param_type::whole, std::uint64_t{8},
         "pieces in the high-priority set (missing pieces from the playback point on)", 1, 1e6},
        {"p", param_type::fraction, 0.8, "probability of picking from the high-priority set", 0, 1},
    };
    i.make_picker = [](const strategy_params& p) -> std::unique_ptr<piece_strategy> {
      return std::make_unique<bitos>(p);
    };
    return i;
  }();
  return info;
}

}  // namespace swarmsim::strategies
