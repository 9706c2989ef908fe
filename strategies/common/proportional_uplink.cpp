#include "strategies/common/proportional_uplink.hpp"

#include <algorithm>

namespace swarmsim::strategies {

namespace {
auto by_conn = [](const auto& entry, protocol::connection_id c) { return entry.first < c; };
}

void proportional_uplink::set(protocol::connection_id c, double weight, std::uint64_t bytes_sent) {
  if (!(weight > 0)) {  // no share: served after those with one
    forget(c);
    return;
  }
  auto it = std::lower_bound(shares_.begin(), shares_.end(), c, by_conn);
  if (it != shares_.end() && it->first == c)
    it->second = {weight, bytes_sent};
  else
    shares_.insert(it, {c, {weight, bytes_sent}});
}

void proportional_uplink::forget(protocol::connection_id c) {
  auto it = std::lower_bound(shares_.begin(), shares_.end(), c, by_conn);
  if (it != shares_.end() && it->first == c) shares_.erase(it);
}

const proportional_uplink::share* proportional_uplink::find(protocol::connection_id c) const {
  auto it = std::lower_bound(shares_.begin(), shares_.end(), c, by_conn);
  return it != shares_.end() && it->first == c ? &it->second : nullptr;
}

double proportional_uplink::weight(protocol::connection_id c) const {
  const share* s = find(c);
  return s ? s->weight : 0;
}

std::size_t proportional_uplink::choose(std::span<const protocol::serve_candidate> ready) const {
  std::size_t best = 0;
  double best_key = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < ready.size(); ++i) {
    const share* s = find(ready[i].conn);
    const double key = s ? static_cast<double>(ready[i].bytes_sent - s->base) / s->weight
                         : std::numeric_limits<double>::infinity();
    const bool better = key < best_key || (key == best_key && ready[i].conn < ready[best].conn);
    if (i == 0 || better) {
      best = i;
      best_key = key;
    }
  }
  return best;
}

}  // namespace swarmsim::strategies
