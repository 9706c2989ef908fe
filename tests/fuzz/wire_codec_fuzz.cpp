// libFuzzer entry for fuzz/wire_codec_target.hpp; built and run by scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>

#include "fuzz/wire_codec_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  swarmsim::fuzz::wire_codec_one({data, size});
  return 0;
}
