#include "protocol/strategy_registry.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "protocol/choker.hpp"

namespace swarmsim::protocol {

void strategy_registry::add(const strategy_info& info) {
  if (find(info.kind, info.name))
    throw std::invalid_argument(
        fmt::format("{} '{}' is registered twice", to_string(info.kind), info.name));
  if (info.kind == strategy_kind::choker && !info.make_upload)
    throw std::invalid_argument(fmt::format("choker '{}' has no factory", info.name));
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
  return r;
}

}  // namespace swarmsim::protocol
