// libFuzzer entry for fuzz/peer_target.hpp; built and run by scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>

#include "fuzz/peer_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  swarmsim::fuzz::peer_one({data, size});
  return 0;
}
