// `swarmsim download` of a torrent larger than the free space: refused before
// anything is written, with nothing left behind.

#include <gtest/gtest.h>

#include <filesystem>

#include "protocol/metainfo.hpp"
#include "sim/real/commands/download_command.hpp"
#include "sim/real/real_fixture.hpp"
#include "sim/real/storage/torrent_file.hpp"

namespace swarmsim::sim::real {
namespace {

using testing::scratch_dir;

TEST(download_command, refuses_a_torrent_larger_than_the_free_space_and_leaves_nothing) {
  scratch_dir dir;
  constexpr std::uint32_t piece = 1u << 30;
  const std::uint64_t size = std::filesystem::space(dir.path()).available + piece;
  const auto meta = protocol::make_metainfo(
      "huge.bin", {protocol::file_entry{size, {}}}, piece,
      std::vector<protocol::sha1_hash>((size + piece - 1) / piece), "http://127.0.0.1:1/announce");
  write_torrent_file(dir / "huge.torrent", meta);
  download_settings s;
  s.torrent = dir / "huge.torrent";
  s.out = dir / "out";
  s.quiet = true;
  s.timeout = std::chrono::seconds(5);
  ::testing::internal::CaptureStderr();
  const int code = run_download(s);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("available"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out")) << err;
}

}  // namespace
}  // namespace swarmsim::sim::real
