#pragma once
// The built-in pickers by a short name, for tests that loop over them.

#include "protocol/piece_strategy.hpp"
#include "protocol/strategy.hpp"

namespace swarmsim::protocol {

enum class pick_policy { rarest_first, sequential, random };

inline strategy_ref ref_of(pick_policy p) {
  switch (p) {
    case pick_policy::sequential:
      return {&sequential_picker_info(), {}};
    case pick_policy::random:
      return {&random_picker_info(), {}};
    case pick_policy::rarest_first:
      break;
  }
  return {&rarest_first_picker_info(), {}};
}

}  // namespace swarmsim::protocol
