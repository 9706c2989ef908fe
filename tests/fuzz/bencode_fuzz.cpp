// libFuzzer entry for fuzz/bencode_target.hpp; built and run by scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>

#include "fuzz/bencode_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  swarmsim::fuzz::bencode_one({data, size});
  return 0;
}
