// Golden outputs: four small scenarios whose every output file must match the
// SHA-256 digest stored in tests/golden/<name>.sha256 (sha256sum's format). A
// change that moves an output on purpose refreshes the digests with
// scripts/refresh-golden.sh and says in its commit why the output moved.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <map>
#include <sstream>
#include <string>

#include "tests/cli/cli_harness.hpp"

namespace {

namespace fs = std::filesystem;
using swarmsim::test::files_below;
using swarmsim::test::read;

std::string sha256_hex(const std::string& bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i)
    hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

// "DIGEST  FILE" lines -> file -> digest.
std::map<std::string, std::string> read_digests(const fs::path& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(read(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto gap = line.find("  ");
    if (gap == std::string::npos) throw std::runtime_error("bad line in " + path.string());
    out[line.substr(gap + 2)] = line.substr(0, gap);
  }
  return out;
}

struct golden_case {
  std::string name;      // tests/golden/<name>.sha256
  std::string scenario;  // relative to the source tree
};

void PrintTo(const golden_case& c, std::ostream* os) {
  *os << c.name;
}

class golden : public swarmsim::test::scratch_cli,
               public testing::WithParamInterface<golden_case> {};

TEST_P(golden, every_output_file_matches_its_stored_digest) {
  const fs::path source = SWARMSIM_SOURCE_DIR;
  const golden_case& c = GetParam();
  const auto expected = read_digests(source / "tests/golden" / (c.name + ".sha256"));
  ASSERT_FALSE(expected.empty()) << "no digests stored for " << c.name;

  const auto o = swarmsim({"run", (source / c.scenario).string(), "--out", "out", "--quiet"});
  ASSERT_EQ(o.status, 0) << o.err;

  std::map<std::string, std::string> actual;
  for (const auto& [file, bytes] : files_below(work() / "out"))
    actual[file] = sha256_hex(bytes);
  for (const auto& [file, digest] : expected) {
    const auto it = actual.find(file);
    if (it == actual.end()) {
      ADD_FAILURE() << c.name << ": " << file << " was not written";
      continue;
    }
    EXPECT_EQ(it->second, digest)
        << c.name << ": " << file << " changed. If the change is intended, run "
        << "scripts/refresh-golden.sh and say in the commit why the output moved.";
  }
  for (const auto& [file, digest] : actual)
    EXPECT_TRUE(expected.contains(file)) << c.name << ": new output file " << file;
}

INSTANTIATE_TEST_SUITE_P(scenarios, golden,
                         testing::Values(golden_case{"demo", "scenarios/demo.yaml"},
                                         golden_case{"sites", "tests/golden/sites.yaml"},
                                         golden_case{"churn", "tests/golden/churn.yaml"},
                                         golden_case{"superseed", "tests/golden/superseed.yaml"}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
