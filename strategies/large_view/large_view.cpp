#include "strategies/large_view/large_view.hpp"

#include <algorithm>
#include <memory>

#include "protocol/neighbour_strategy.hpp"
#include "protocol/peer.hpp"

namespace swarmsim::strategies {

namespace {

using namespace protocol;

class large_view final : public neighbour_strategy {
 public:
  explicit large_view(const strategy_params& p)
      : limits_{static_cast<std::uint32_t>(p.whole("connections")),
                static_cast<std::uint32_t>(p.whole("initiate")),
                static_cast<std::uint32_t>(p.whole("connections")),
                static_cast<std::uint32_t>(p.whole("numwant"))},
        every_(p.span("announce_every")) {}

  neighbour_limits limits() const override { return limits_; }
  duration announce_interval(duration tracker_interval, duration min_interval) const override {
    return std::min(tracker_interval, std::max(every_, min_interval));
  }

 private:
  neighbour_limits limits_;
  duration every_;
};

}  // namespace

const strategy_info& large_view_info() {
  static const strategy_info info = [] {
    strategy_info i;
    i.kind = strategy_kind::neighbours;
    i.name = "large_view";
    i.summary =
        "a large view of the swarm: many connections, a large numwant, frequent announces "
        "(with upload 0: the free-rider of BitThief and the large-view exploit)";
    i.source =
        "Locher et al., HotNets 2006 (BitThief); Sirivianos et al., IPTPS 2007 (large-view "
        "exploit)";
    constexpr double most = peer_options::max_connections_limit;
    i.params = {
        {"connections", param_type::whole, std::uint64_t{300}, "most connections open at once", 1,
         most},
        {"initiate", param_type::whole, std::uint64_t{250}, "most connections it opens itself", 0,
         most},
        {"numwant", param_type::whole, std::uint64_t{200},
         "addresses asked of the tracker per announce (the tracker may give fewer)", 1, 10000},
        {"announce_every", param_type::duration, duration{std::chrono::seconds(60)},
         "the gap between regular announces (at least the tracker's min interval, at most its "
         "interval)",
         1, 86400},
    };
    i.make_neighbours = [](const neighbour_options&,
                           const strategy_params& p) -> std::unique_ptr<neighbour_strategy> {
      return std::make_unique<large_view>(p);
    };
    return i;
  }();
  return info;
}

}  // namespace swarmsim::strategies
