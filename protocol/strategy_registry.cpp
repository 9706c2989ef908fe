#include "protocol/strategy_registry.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "protocol/choker.hpp"
#include "protocol/neighbour_strategy.hpp"
#include "protocol/piece_strategy.hpp"

namespace swarmsim::protocol {

void strategy_registry::add(const strategy_info& info) {
  if (find(info.kind, info.name))
    throw std::invalid_argument(
        fmt::format("{} '{}' is registered twice", to_string(info.kind), info.name));
  const bool has_factory = info.kind == strategy_kind::choker   ? info.make_upload != nullptr
                           : info.kind == strategy_kind::picker ? info.make_picker != nullptr
                                                                : info.make_neighbours != nullptr;
  if (!has_factory)
    throw std::invalid_argument(
        fmt::format("{} '{}' has no factory", to_string(info.kind), info.name));
  if (info.name.empty() ||
      info.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
    throw std::invalid_argument(
        fmt::format("{} '{}': a strategy's name is lower-case letters, digits and '_'",
                    to_string(info.kind), info.name));
  entries_.push_back(&info);
}

const strategy_info* strategy_registry::find(strategy_kind kind, std::string_view name) const {
  for (const strategy_info* e : entries_)
    if (e->kind == kind && e->name == name) return e;
  return nullptr;
}

std::vector<std::string_view> strategy_registry::names(strategy_kind kind) const {
  std::vector<std::string_view> out;
  for (const strategy_info* e : entries_)
    if (e->kind == kind) out.push_back(e->name);
  return out;
}

strategy_registry builtin_strategies() {
  strategy_registry r;
  r.add(mainline_choker_info());
  r.add(rarest_first_picker_info());
  r.add(sequential_picker_info());
  r.add(random_picker_info());
  r.add(mainline_neighbours_info());
  return r;
}

}  // namespace swarmsim::protocol
