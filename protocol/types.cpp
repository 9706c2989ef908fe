#include "protocol/types.hpp"

#include <fmt/format.h>

namespace swarmsim::protocol {

std::string to_string(const endpoint& e) {
  return fmt::format("{}.{}.{}.{}:{}", (e.address >> 24) & 0xff, (e.address >> 16) & 0xff,
                     (e.address >> 8) & 0xff, e.address & 0xff, e.port);
}

std::string to_hex(const sha1_hash& h) {
  std::string out;
  out.reserve(40);
  for (auto b : h) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace swarmsim::protocol
