// libFuzzer entry for fuzz/announce_request_target.hpp; built and run by scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>

#include "fuzz/announce_request_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  swarmsim::fuzz::announce_request_one({data, size});
  return 0;
}
