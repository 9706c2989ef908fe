#include <limits>
#include <memory>

#include "protocol/piece_picker.hpp"
#include "protocol/piece_strategy.hpp"
#include "protocol/playback.hpp"
#include "strategies/streaming/streaming.hpp"

namespace swarmsim::strategies {

namespace {

using namespace protocol;

class deadline final : public piece_strategy {
 public:
  explicit deadline(const strategy_params& p)
      : window_(p.span("window")),
        max_queue_(to_seconds(p.span("max_queue"))),
        urgent_(p.span("urgent")) {}

  void pick(piece_request& r) override {
    if (const playback* pb = r.playback(); pb && takes_critical(r)) {
      const time_point now = r.now();
      for (std::uint32_t p = r.playback_point().value(); p < r.num_pieces() && !r.full(); ++p) {
        const piece_index piece{p};
        const duration until = pb->deadline(p, now) - now;
        if (until > window_) break;  // deadlines grow with the index
        if (r.startable(piece))
          r.take(piece);
        else if (until <= urgent_ && !r.have(piece) && r.remote_has(piece))
          r.take_duplicate(piece);  // late: ask this remote too
      }
    }
    if (!r.full()) r.take_in_order();
  }
  piece_order order() const override { return piece_order::availability; }

 private:
  // Whether this remote gets time-critical blocks: not among the slowest tenth,
  // and its queue, with one more block, empties within max_queue_ at its rate
  // (an idle remote of unknown rate qualifies).
  bool takes_critical(const piece_request& r) const {
    const piece_picker::remote_view& v = r.remote();
    if (v.slow) return false;
    if (v.rate <= 0) return v.queued == 0;
    const double block = r.geometry().block_size();
    return (v.queued + 1) * block / v.rate <= max_queue_;
  }

  duration window_;
  double max_queue_;
  duration urgent_;
};

}  // namespace

const strategy_info& deadline_info() {
  static const strategy_info info = [] {
    strategy_info i;
    i.kind = strategy_kind::picker;
    i.name = "deadline";
    i.summary =
        "pieces due within `window` in deadline order from remotes whose queue empties within "
        "`max_queue` (not the slowest tenth), duplicate requests once a piece is due within "
        "`urgent`, rarest first for the rest";
    i.source = "libtorrent's time-critical pieces (set_piece_deadline, docs/streaming.rst)";
    i.params = {
        {"window", param_type::duration, duration{std::chrono::seconds(20)},
         "pieces whose playback deadline is this close are time-critical", 0, 86400},
        {"max_queue", param_type::duration, duration{std::chrono::seconds(2)},
         "a remote takes time-critical blocks only if its queue empties this soon", 0, 3600},
        {"urgent", param_type::duration, duration{std::chrono::seconds(2)},
         "a time-critical piece due this soon, its blocks all asked for, is asked of "
         "more remotes",
         0, 3600},
    };
    i.make_picker = [](const strategy_params& p) -> std::unique_ptr<piece_strategy> {
      return std::make_unique<deadline>(p);
    };
    return i;
  }();
  return info;
}

}  // namespace swarmsim::strategies
