#include "protocol/neighbour_strategy.hpp"

#include <fmt/format.h>

#include <memory>
#include <stdexcept>

#include "protocol/peer.hpp"
#include "protocol/strategy.hpp"

namespace swarmsim::protocol {

std::unique_ptr<neighbour_strategy> make_neighbour_strategy(const strategy_ref& policy,
                                                            const neighbour_options& options) {
  if (!policy.info || !policy.info->make_neighbours)
    throw std::invalid_argument(
        fmt::format("peer: '{}' is not a registered neighbour strategy", policy.name()));
  return policy.info->make_neighbours(options, policy.params);
}

neighbour_limits checked_limits(const neighbour_strategy& n, std::string_view name) {
  const neighbour_limits l = n.limits();
  if (l.max_connections == 0 || l.max_connections > peer_options::max_connections_limit)
    throw std::logic_error(
        fmt::format("neighbour strategy '{}' allows {} connections, not 1 to {} "
                    "(neighbour_strategy.hpp rule 7)",
                    name, l.max_connections, peer_options::max_connections_limit));
  return l;
}

std::optional<std::size_t> idlest(std::span<const drop_candidate> droppable) {
  std::optional<std::size_t> victim;
  for (std::size_t i = 0; i < droppable.size(); ++i) {
    const drop_candidate& c = droppable[i];
    const drop_candidate* v = victim ? &droppable[*victim] : nullptr;
    if (!v || (c.demoted && !v->demoted) ||
        (c.demoted == v->demoted && c.interest_seen < v->interest_seen))
      victim = i;
  }
  return victim;
}

std::optional<std::size_t> neighbour_strategy::drop_for_incoming(
    std::span<const drop_candidate> droppable, time_point) const {
  return idlest(droppable);
}

namespace {

// Mainline and libtorrent: the limits as the options give them; a newcomer
// takes the place of the idlest connection.
class mainline_neighbours final : public neighbour_strategy {
 public:
  explicit mainline_neighbours(const neighbour_options& options) : limits_(options) {}
  neighbour_limits limits() const override { return limits_; }

 private:
  neighbour_limits limits_;
};

}  // namespace

const strategy_info& mainline_neighbours_info() {
  static const strategy_info info = [] {
    strategy_info i;
    i.kind = strategy_kind::neighbours;
    i.name = "mainline";
    i.summary =
        "the group's max_connections, max_initiate, min_peers and numwant; the idlest "
        "connection makes room for a newcomer; announces at the tracker's interval";
    i.source = "BitTorrent mainline 4.x; libtorrent";
    i.make_neighbours = [](const neighbour_options& options,
                           const strategy_params&) -> std::unique_ptr<neighbour_strategy> {
      return std::make_unique<mainline_neighbours>(options);
    };
    return i;
  }();
  return info;
}

}  // namespace swarmsim::protocol
