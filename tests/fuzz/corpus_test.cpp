// Replays each fuzz target's seed corpus (tests/fuzz/corpus/<name>/) through the
// same entry function libFuzzer calls (tests/fuzz/<name>_target.hpp), so the
// corpus runs with the normal suite. Crashes found by scripts/fuzz.sh are added to
// the corpus as regression inputs.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/announce_request_target.hpp"
#include "fuzz/bencode_target.hpp"
#include "fuzz/metainfo_target.hpp"
#include "fuzz/peer_target.hpp"
#include "fuzz/wire_codec_target.hpp"

namespace swarmsim::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs every corpus file of `name`; returns how many there were.
std::size_t replay(const std::string& name,
                   const std::function<void(std::span<const std::uint8_t>)>& target) {
  const fs::path dir = fs::path(SWARMSIM_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / name;
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const auto bytes = read_file(entry.path());
    ++count;
    try {
      target(bytes);
    } catch (const std::exception& e) {
      ADD_FAILURE() << entry.path().filename() << ": " << e.what();
    }
  }
  return count;
}

TEST(FuzzCorpus, Bencode) {
  EXPECT_GT(replay("bencode", bencode_one), 0u);
}

TEST(FuzzCorpus, WireCodec) {
  EXPECT_GT(replay("wire_codec", wire_codec_one), 0u);
}

TEST(FuzzCorpus, Metainfo) {
  EXPECT_GT(replay("metainfo", metainfo_one), 0u);
}

TEST(FuzzCorpus, Peer) {
  EXPECT_GT(replay("peer", peer_one), 0u);
}

TEST(FuzzCorpus, AnnounceRequest) {
  EXPECT_GT(replay("announce_request", announce_request_one), 0u);
}

// The checks themselves can fail: a target given a property-breaking input
// would report it (guards against a target that checks nothing).
TEST(FuzzCorpus, ChecksReportBrokenProperties) {
  EXPECT_THROW(check(false, "always broken"), fuzz_failure);
  EXPECT_NO_THROW(check(true, "holds"));
}

}  // namespace
}  // namespace swarmsim::fuzz
