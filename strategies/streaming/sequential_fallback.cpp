#include <memory>

#include "protocol/piece_picker.hpp"
#include "protocol/piece_strategy.hpp"
#include "strategies/streaming/streaming.hpp"
#include "strategies/streaming/streaming_common.hpp"

namespace swarmsim::strategies {

namespace {

using namespace protocol;

class sequential_fallback final : public piece_strategy {
 public:
  explicit sequential_fallback(const strategy_params& p)
      : window_(static_cast<std::uint32_t>(p.whole("window"))) {}

  void pick(piece_request& r) override {
    const piece_index point = r.playback_point();
    if (streaming::any_available(r, point, streaming::window_end(r, point, window_)))
      streaming::take_earliest(r, point);
    else
      r.take_in_order();
  }
  piece_order order() const override { return piece_order::availability; }

 private:
  std::uint32_t window_;
};

}  // namespace

const strategy_info& sequential_fallback_info() {
  static const strategy_info info = [] {
    strategy_info i;
    i.kind = strategy_kind::picker;
    i.name = "sequential_fallback";
    i.summary =
        "in index order from the playback point, rarest first while none of the next `window` "
        "missing pieces is held by any neighbour";
    i.source = "libtorrent's sequential_download, with a rarest-first fallback";
    i.params = {{"window", param_type::whole, std::uint64_t{8},
                 "missing pieces from the playback point that must be on offer for in-order "
                 "picking",
                 1, 1e6}};
    i.make_picker = [](const strategy_params& p) -> std::unique_ptr<piece_strategy> {
      return std::make_unique<sequential_fallback>(p);
    };
    return i;
  }();
  return info;
}

}  // namespace swarmsim::strategies
