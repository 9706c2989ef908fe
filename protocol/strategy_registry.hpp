#pragma once
// The strategies a program knows, by kind and name (protocol/strategy.hpp).
//
// 1. builtin_strategies() holds the strategies of protocol/: the choker
//    "mainline" (protocol/choker.hpp), the pickers "rarest_first",
//    "sequential" and "random" (protocol/piece_strategy.hpp) and the neighbour
//    policy "mainline" (protocol/neighbour_strategy.hpp).
// 2. A program adds its own (the example strategies of strategies/ are added by
//    the simulator's catalogue, sim/scenario/strategy_catalog.hpp) before it
//    reads a scenario; a name is unique within its kind.
// 3. Entries are pointers to infos that live as long as the program.

#include <span>
#include <string_view>
#include <vector>

#include "protocol/strategy.hpp"

namespace swarmsim::protocol {

class strategy_registry {
 public:
  // Throws std::invalid_argument if the kind already has a strategy of that
  // name, the name is not lower-case letters, digits and '_' (a scenario key
  // and a command-line word), or the info lacks its kind's factory.
  void add(const strategy_info& info);
  const strategy_info* find(strategy_kind kind, std::string_view name) const;
  // The names of a kind, in the order they were added.
  std::vector<std::string_view> names(strategy_kind kind) const;
  std::span<const strategy_info* const> all() const { return entries_; }

 private:
  std::vector<const strategy_info*> entries_;
};

strategy_registry builtin_strategies();

}  // namespace swarmsim::protocol
