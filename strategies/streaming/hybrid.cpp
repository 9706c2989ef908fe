#include <cmath>
#include <memory>

#include "protocol/piece_picker.hpp"
#include "protocol/piece_strategy.hpp"
#include "protocol/playback.hpp"
#include "strategies/streaming/streaming.hpp"
#include "strategies/streaming/streaming_common.hpp"

namespace swarmsim::strategies {

namespace {

using namespace protocol;

class hybrid final : public piece_strategy {
 public:
  explicit hybrid(const strategy_params& p)
      : low_(to_seconds(p.span("low"))), high_(to_seconds(p.span("high"))) {}

  void pick(piece_request& r) override {
    if (earliest(r))
      streaming::take_earliest(r, r.playback_point());
    else
      r.take_in_order();
  }
  piece_order order() const override { return piece_order::availability; }

 private:
  // Whether this pick goes earliest first: certainly below low_ seconds of
  // buffer, never from high_ on, with a linear chance in between.
  bool earliest(piece_request& r) const {
    const playback* pb = r.playback();
    if (!pb) return false;
    const double buffer = pb->buffer_ahead(r.now(), r.have_bits());
    if (buffer < low_) return true;
    if (buffer >= high_) return false;  // (high_ <= low_: a threshold at low_)
    const double chance = (high_ - buffer) / (high_ - low_);
    return r.random_below(1000) < static_cast<std::uint32_t>(std::lround(chance * 1000));
  }

  double low_;
  double high_;
};

}  // namespace

const strategy_info& hybrid_info() {
  static const strategy_info info = [] {
    strategy_info i;
    i.kind = strategy_kind::picker;
    i.name = "hybrid";
    i.summary =
        "earliest first while the buffer ahead of the player is under `low`, rarest first from "
        "`high` on, a linear mix in between (rarest first without playback)";
    i.source =
        "Hwang, Misra, Rubenstein 2007 (dynamic mix of earliest-first and rarest-first); "
        "Carlsson and Eager, Networking 2007";
    i.params = {
        {"low", param_type::duration, duration{std::chrono::seconds(10)},
         "buffer (seconds of content) below which every pick is earliest first", 0, 86400},
        {"high", param_type::duration, duration{std::chrono::seconds(30)},
         "buffer from which every pick is rarest first (at most low: a threshold at low)", 0,
         86400},
    };
    i.make_picker = [](const strategy_params& p) -> std::unique_ptr<piece_strategy> {
      return std::make_unique<hybrid>(p);
    };
    return i;
  }();
  return info;
}

}  // namespace swarmsim::strategies
