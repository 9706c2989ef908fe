// libFuzzer entry for fuzz/metainfo_target.hpp; built and run by scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>

#include "fuzz/metainfo_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  swarmsim::fuzz::metainfo_one({data, size});
  return 0;
}
