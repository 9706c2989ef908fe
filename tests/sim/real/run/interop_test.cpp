// Interop with a real BitTorrent client: libtorrent-rasterbar through Debian's
// python3-libtorrent (tests/sim/real/lt_client.py), on 127.0.0.1, with the
// in-process HTTP tracker, with libtorrent's default encryption policy (MSE
// offered, plaintext preferred) and with encryption forced (RC4 only). Skipped
// only when python3-libtorrent is missing.

#include <boost/asio/io_context.hpp>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "sim/real/commands/download_command.hpp"
#include "sim/real/external_client.hpp"
#include "sim/real/network/peer_host.hpp"
#include "sim/real/real_fixture.hpp"
#include "sim/real/storage/file_storage.hpp"
#include "sim/real/storage/torrent_file.hpp"
#include "sim/real/storage/torrent_maker.hpp"
#include "sim/real/tracker/http_tracker.hpp"

namespace swarmsim::sim::real {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using testing::child_process;
using testing::random_bytes;
using testing::read_file;
using testing::run_until;
using testing::write_file;

constexpr const char* python = "/usr/bin/python3";
const fs::path script = fs::path(SWARMSIM_SOURCE_DIR) / "tests/sim/real/lt_client.py";

bool have_libtorrent() {
  const std::string cmd = std::string(python) + " -c 'import libtorrent' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// lt_client.py --encryption: "enabled" or "forced".
class interop : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!have_libtorrent())
      GTEST_SKIP() << "python3-libtorrent is not installed (apt-get install python3-libtorrent): "
                      "no real client to test against";
    tracker_ = std::make_unique<http_tracker>(
        io_, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    content_ = random_bytes(3 * 1024 * 1024 + 12345, 42);
    write_file(dir_ / "data" / "payload.bin", content_);
    make_torrent_options o;
    o.announce = tracker_->announce_url();
    o.piece_size = 65536;
    meta_ = make_torrent(dir_ / "data" / "payload.bin", o);
    write_torrent_file(dir_ / "payload.torrent", meta_);
  }

  std::string client_command(const std::string& mode, const fs::path& save_dir,
                             const std::string& log) const {
    return fmt::format("{} {} {} {} {} --timeout 25 --encryption {} > {} 2>&1", python,
                       script.string(), mode, (dir_ / "payload.torrent").string(),
                       save_dir.string(), GetParam(), (dir_ / log).string());
  }

  std::string log_of(const std::string& name) const {
    const auto bytes = read_file(dir_ / name);
    return std::string(bytes.begin(), bytes.end());
  }

  asio::io_context io_;
  testing::scratch_dir dir_;
  std::unique_ptr<http_tracker> tracker_;
  std::vector<std::uint8_t> content_;
  protocol::metainfo meta_;
};

TEST_P(interop, libtorrent_downloads_what_swarmsim_seeds) {
  file_storage store(meta_, dir_ / "data" / "payload.bin", storage_mode::existing);
  ASSERT_TRUE(check_pieces(store, meta_).all());
  http_tracker_client client(io_, tracker_->announce_url());
  peer_host seed(io_, meta_, store, client);
  seed.start(protocol::bitfield(meta_.num_pieces(), true));
  ASSERT_TRUE(run_until(io_, [&] { return seed.status().announces > 0; }));

  fs::create_directories(dir_ / "lt");
  child_process lt(client_command("download", dir_ / "lt", "lt.log"));
  ASSERT_TRUE(lt.started());
  ASSERT_TRUE(run_until(
      io_, [&] { return lt.exited(); }, std::chrono::seconds(30)))
      << log_of("lt.log");
  EXPECT_EQ(lt.exit_code(), 0) << log_of("lt.log");
  EXPECT_EQ(read_file(dir_ / "lt" / "payload.bin"), content_);
  file_storage fetched(meta_, dir_ / "lt" / "payload.bin", storage_mode::existing);
  EXPECT_TRUE(check_pieces(fetched, meta_).all());
  EXPECT_GE(seed.status().uploaded, meta_.total_size());
  // libtorrent offers plaintext and RC4 and we prefer plaintext, unless it forces RC4.
  EXPECT_EQ(seed.status().encrypted_connections > 0, GetParam() == "forced");
}

TEST_P(interop, swarmsim_download_fetches_what_libtorrent_seeds) {
  child_process lt(client_command("seed", dir_ / "data", "lt.log"));
  ASSERT_TRUE(lt.started());
  // Wait until the libtorrent seed has checked its data and announced.
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        const auto s = tracker_->logic().scrape(meta_.info_hash);
        return (s && s->complete > 0) || lt.exited();
      },
      std::chrono::seconds(20)))
      << log_of("lt.log");
  ASSERT_FALSE(lt.exited()) << log_of("lt.log");

  std::atomic<bool> quit{false};
  std::thread tracker_thread([&] {
    while (!quit) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(20));
    }
  });
  download_settings s;
  s.torrent = dir_ / "payload.torrent";
  s.out = dir_ / "out";
  s.quiet = true;
  s.timeout = std::chrono::seconds(25);
  const int code = run_download(s);
  quit = true;
  tracker_thread.join();
  EXPECT_EQ(code, 0) << log_of("lt.log");
  EXPECT_EQ(read_file(download_path(s.out, meta_.name)), content_);
}

INSTANTIATE_TEST_SUITE_P(encryption, interop, ::testing::Values("enabled", "forced"));

}  // namespace
}  // namespace swarmsim::sim::real
