#pragma once
// What the check_invariants() functions throw when an invariant does not hold:
// std::logic_error with a message naming the class, the invariant and the
// offending values, so the check fails in release builds too.

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace swarmsim::protocol {

template <typename... Args>
void require(bool holds, fmt::format_string<Args...> message, Args&&... args) {
  if (!holds) throw std::logic_error(fmt::format(message, std::forward<Args>(args)...));
}

}  // namespace swarmsim::protocol
