// The interop matrix: swarmsim against libtorrent, aria2c, transmission-cli and
// itself in both directions, on 127.0.0.1 with the in-process HTTP tracker, and
// against aria2c and Transmission set to require encryption (MSE with RC4). Each
// cell also runs libtorrent (tests/sim/real/lt_client.py) in swarmsim's place
// with the same client in the same direction (libtorrent with libtorrent for
// swarmsim with itself), and passes when the content arrives whole (every file
// compared byte for byte) within 3x libtorrent's time, so a stall fails it. A
// cell is skipped only when its client (or libtorrent, the baseline) is not
// installed.

#include <boost/asio/io_context.hpp>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
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
using clock_type = std::chrono::steady_clock;
using testing::child_process;
using testing::read_file;
using testing::run_until;

constexpr auto transfer_limit = std::chrono::seconds(90);
constexpr double allowed_factor = 3.0;

enum class client { swarmsim, libtorrent, aria2, transmission };

const char* name_of(client c) {
  switch (c) {
    case client::swarmsim:
      return "swarmsim";
    case client::libtorrent:
      return "libtorrent";
    case client::aria2:
      return "aria2c";
    case client::transmission:
      return "transmission-cli";
  }
  return "?";
}

// Empty when the client can run; otherwise why not, for GTEST_SKIP.
std::string missing(client c) {
  switch (c) {
    case client::swarmsim:
      return "";
    case client::libtorrent:
      return std::system("/usr/bin/python3 -c 'import libtorrent' >/dev/null 2>&1") == 0
                 ? ""
                 : "python3-libtorrent is not installed (the baseline of every cell)";
    case client::aria2:
      return testing::installed("aria2c") ? "" : "aria2c is not installed (apt-get install aria2)";
    case client::transmission:
      return testing::installed("transmission-cli")
                 ? ""
                 : "transmission-cli is not installed (apt-get install transmission-cli)";
  }
  return "unknown client";
}

enum class role { seed, download };

// A single 32 MiB file and a multi-file torrent with nested folders whose sizes
// are not piece-aligned.
enum class layout { single_file, nested_files };

class interop_matrix : public ::testing::TestWithParam<layout> {
 protected:
  void SetUp() override {
    tracker_ = std::make_unique<http_tracker>(
        io_, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    tracker_port_ = tracker_->local_endpoint().port();
    const fs::path data = dir_ / "data";
    if (GetParam() == layout::single_file) {
      files_ = {"payload.bin"};
      write(data / "payload.bin", 32u << 20, 1);
      content_ = data / "payload.bin";
    } else {
      files_ = {"album/a.bin", "album/disc 2/b.bin", "album/disc 2/deep/c.bin", "album/z.txt"};
      const std::size_t sizes[] = {(9u << 20) + 12345, (13u << 20) + 777, (10u << 20) + 1, 999};
      for (std::size_t i = 0; i < files_.size(); ++i)
        write(data / files_[i], sizes[i], i + 2);
      content_ = data / "album";
    }
    make_torrent_options o;
    o.announce = tracker_->announce_url();
    meta_ = make_torrent(content_, o);
    write_torrent_file(torrent(), meta_);
  }

  void write(const fs::path& p, std::size_t n, std::uint64_t seed) {
    testing::write_file(p, testing::random_bytes(n, seed));
  }

  // A tracker that knows no peer yet, at the same URL: each transfer starts
  // clean, so a client that left no "stopped" behind counts for nothing.
  void fresh_tracker() {
    tracker_.reset();
    io_.restart();
    io_.poll();
    tracker_ = std::make_unique<http_tracker>(
        io_, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), tracker_port_));
  }

  fs::path torrent() const { return dir_ / "payload.torrent"; }
  fs::path data_root() const { return dir_ / "data"; }

  std::string log_of(const fs::path& p) const {
    const auto bytes = read_file(p);
    const std::size_t keep = std::min<std::size_t>(bytes.size(), 4000);
    return std::string(bytes.end() - static_cast<std::ptrdiff_t>(keep), bytes.end());
  }

  // Whether `dir` holds every file of the content, byte for byte.
  ::testing::AssertionResult same_content(const fs::path& dir) const {
    for (const auto& f : files_) {
      if (read_file(dir / f) != read_file(data_root() / f))
        return ::testing::AssertionFailure() << (dir / f).string() << " differs from the original";
    }
    return ::testing::AssertionSuccess();
  }

  // The command that runs `c` (an external client) seeding from data_root() or
  // downloading into `dir`, listening on `port`, dialling `peer` (lt only: the
  // others take peers from the tracker or are dialled), logging to `log`. aria2c
  // and Transmission require RC4 when external_requires_encryption_ is set.
  std::string command(client c, role r, const fs::path& dir, std::uint16_t port, std::uint16_t peer,
                      const fs::path& log) const {
    const std::string t = torrent().string();
    switch (c) {
      case client::swarmsim:
        break;
      case client::libtorrent:
        return fmt::format(
            "/usr/bin/python3 {}/tests/sim/real/lt_client.py {} '{}' '{}' --timeout 120 "
            "--port {} --peer 127.0.0.1:{} --dial-when '{}' > '{}' 2>&1",
            SWARMSIM_SOURCE_DIR, r == role::seed ? "seed" : "download", t, dir.string(), port, peer,
            dial_file().string(), log.string());
      case client::aria2:
        return fmt::format(
            "aria2c --dir='{}' --listen-port={} --enable-dht=false --enable-dht6=false "
            "--bt-enable-lpd=false --enable-peer-exchange=false --file-allocation=none "
            "--summary-interval=0 --console-log-level=notice --bt-stop-timeout=120 {} {} '{}' "
            "> '{}' 2>&1",
            dir.string(), port,
            r == role::seed ? "--check-integrity=true --seed-ratio=0.0 --seed-time=3"
                            : "--seed-time=0",
            external_requires_encryption_ ? "--bt-require-crypto=true --bt-min-crypto-level=arc4"
                                          : "",
            t, log.string());
      case client::transmission: {
        // Plaintext preferred (-et) or encryption required (-er), no DHT, LPD,
        // PEX, uTP or port mapping: a quiet loopback client.
        const fs::path config = dir_ / fmt::format("transmission-{}", port);
        fs::create_directories(config);
        const std::string settings = fmt::format(
            R"({{"dht-enabled": false, "lpd-enabled": false, "pex-enabled": false,
"utp-enabled": false, "port-forwarding-enabled": false,
"peer-port": {}, "rpc-enabled": false, "message-level": 2}})",
            port);
        testing::write_file(config / "settings.json",
                            std::vector<std::uint8_t>(settings.begin(), settings.end()));
        const fs::path done = dir_ / "transmission-done.sh";
        const std::string script =
            fmt::format("#!/bin/sh\ntouch '{}'\n", (dir_ / "transmission.done").string());
        testing::write_file(done, std::vector<std::uint8_t>(script.begin(), script.end()));
        fs::permissions(done, fs::perms::owner_all);
        return fmt::format("transmission-cli -w '{}' -g '{}' -p {} -M {} -f '{}' '{}' > '{}' 2>&1",
                           dir.string(), config.string(), port,
                           external_requires_encryption_ ? "-er" : "-et", done.string(), t,
                           log.string());
      }
    }
    return "false";
  }

  // `swarmsim download` into `out`, dialling the seed at `seed_port`; the
  // tracker (and an in-process seed) run on another thread meanwhile.
  bool swarmsim_download(const fs::path& out, std::uint16_t seed_port) {
    std::atomic<bool> quit{false};
    std::thread io_thread([&] {
      while (!quit) {
        io_.restart();
        io_.run_for(std::chrono::milliseconds(20));
      }
    });
    download_settings s;
    s.torrent = torrent();
    s.out = out;
    s.quiet = true;
    s.timeout = transfer_limit;
    s.peers = {fmt::format("127.0.0.1:{}", seed_port)};
    const bool ok = run_download(s) == 0;
    quit = true;
    io_thread.join();
    return ok;
  }

  // An external client downloading into `out`; `swarmsim_seed` (null unless
  // swarmsim seeds) dials Transmission.
  bool external_download(client downloader, const fs::path& out, std::uint16_t dl_port,
                         std::uint16_t seed_port, const fs::path& dl_log,
                         peer_host* swarmsim_seed) {
    child_process p(command(downloader, role::download, out, dl_port, seed_port, dl_log));
    bool dialled = downloader != client::transmission;
    const auto finished = [&] {
      return downloader == client::transmission ? fs::exists(dir_ / "transmission.done")
                                                : p.exited() && p.exit_code() == 0;
    };
    run_until(
        io_,
        [&] {
          // Transmission ignores tracker peers on 127.x: once it announced
          // (it refuses connections for a torrent it has not started), the
          // seed dials it, as `swarmsim seed --peer` does.
          const auto sc = tracker_->logic().scrape(meta_.info_hash);
          if (!dialled && sc && sc->incomplete > 0) {
            if (swarmsim_seed)
              swarmsim_seed->add_peers({protocol::endpoint{0x7f000001, dl_port}});
            else
              testing::write_file(dial_file(), {});  // lt_client.py --dial-when
            dialled = true;
          }
          return finished() || p.exited();
        },
        transfer_limit);
    return finished();
  }

  // lt_client.py --dial-when: libtorrent dials its --peer once this exists.
  fs::path dial_file() const { return dir_ / "dial-now"; }

  // `seeder` serves data_root(), `downloader` fetches it; one of them is
  // swarmsim, in process. The time from the downloader's start to its last
  // verified piece; nullopt (after a test failure) if it did not finish whole.
  std::optional<double> transfer(client seeder, client downloader) {
    fresh_tracker();
    const std::uint16_t seed_port = testing::free_port();
    const std::uint16_t dl_port = testing::free_port();
    const fs::path seed_log = dir_ / fmt::format("{}-seed.log", name_of(seeder));
    const fs::path dl_log = dir_ / fmt::format("{}-download.log", name_of(downloader));
    const fs::path out = dir_ / fmt::format("{}-from-{}", name_of(downloader), name_of(seeder));
    fs::create_directories(out);
    fs::remove(dir_ / "transmission.done");
    // libtorrent dials its --peer only once this exists: at once, unless the
    // peer is Transmission, which refuses dials until it has announced.
    fs::remove(dial_file());
    if (downloader != client::transmission) testing::write_file(dial_file(), {});

    // The seeder, checked and announced.
    std::unique_ptr<file_storage> store;
    std::unique_ptr<http_tracker_client> client_of_tracker;
    std::unique_ptr<peer_host> swarmsim_seed;
    std::unique_ptr<child_process> seed_process;
    if (seeder == client::swarmsim) {
      store = std::make_unique<file_storage>(meta_, content_, storage_mode::existing);
      client_of_tracker = std::make_unique<http_tracker_client>(io_, tracker_->announce_url());
      peer_host_options o;
      o.listen = asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), seed_port);
      swarmsim_seed = std::make_unique<peer_host>(io_, meta_, *store, *client_of_tracker, o);
      swarmsim_seed->start(protocol::bitfield(meta_.num_pieces(), true));
    } else {
      seed_process = std::make_unique<child_process>(
          command(seeder, role::seed, data_root(), seed_port, dl_port, seed_log));
    }
    const bool ready = run_until(
        io_,
        [&] {
          const auto sc = tracker_->logic().scrape(meta_.info_hash);
          return (sc && sc->complete > 0) || (seed_process && seed_process->exited());
        },
        std::chrono::seconds(60));
    if (!ready || (seed_process && seed_process->exited())) {
      ADD_FAILURE() << name_of(seeder) << " did not start seeding:\n" << log_of(seed_log);
      return std::nullopt;
    }

    const auto start = clock_type::now();
    const bool ok =
        downloader == client::swarmsim
            ? swarmsim_download(out, seed_port)
            : external_download(downloader, out, dl_port, seed_port, dl_log, swarmsim_seed.get());
    const auto end = clock_type::now();
    EXPECT_TRUE(ok) << name_of(downloader) << " did not fetch what " << name_of(seeder)
                    << " seeds:\n"
                    << log_of(dl_log) << "\n"
                    << log_of(seed_log);
    EXPECT_TRUE(same_content(out));
    if (swarmsim_seed && external_requires_encryption_) {
      EXPECT_GE(swarmsim_seed->status().encrypted_connections, 1u)
          << "a client requiring encryption got a plaintext stream";
    }
    if (!ok || ::testing::Test::HasFailure()) return std::nullopt;
    return std::chrono::duration<double>(end - start).count();
  }

  // One cell: swarmsim and `c` in one direction, and libtorrent in swarmsim's
  // place with `c` (the baseline), in the same run.
  void cell(client c, role swarmsim_role) {
    for (client needed : {client::libtorrent, c}) {
      if (auto why = missing(needed); !why.empty()) {
        GTEST_SKIP() << why;
      }
    }
    const auto run = [&](client us) {
      return swarmsim_role == role::seed ? transfer(us, c) : transfer(c, us);
    };
    const auto baseline = run(client::libtorrent);
    ASSERT_TRUE(baseline) << "the libtorrent baseline failed";
    const auto t = run(client::swarmsim);
    ASSERT_TRUE(t) << "swarmsim with " << name_of(c) << " failed";
    report(fmt::format("swarmsim {} {} {}{}", swarmsim_role == role::seed ? "seed" : "download",
                       swarmsim_role == role::seed ? "->" : "<-", name_of(c),
                       external_requires_encryption_ ? " (requiring encryption)" : ""),
           *t, *baseline);
  }

  // swarmsim seeding to swarmsim, against libtorrent seeding to libtorrent.
  void self_cell() {
    if (auto why = missing(client::libtorrent); !why.empty()) GTEST_SKIP() << why;
    const auto baseline = transfer(client::libtorrent, client::libtorrent);
    ASSERT_TRUE(baseline) << "the libtorrent baseline failed";
    const auto t = transfer(client::swarmsim, client::swarmsim);
    ASSERT_TRUE(t) << "swarmsim with itself failed";
    report("swarmsim seed -> swarmsim download", *t, *baseline);
  }

  void report(const std::string& what, double t, double baseline) {
    const double mib = static_cast<double>(meta_.total_size()) / (1 << 20);
    std::cout << fmt::format(
        "[ matrix ] {}: {:.2f} s ({:.0f} MiB/s); libtorrent in its place {:.2f} s "
        "({:.0f} MiB/s)\n",
        what, t, mib / t, baseline, mib / baseline);
    EXPECT_LE(t, allowed_factor * baseline)
        << what << ": swarmsim took more than " << allowed_factor << "x libtorrent's time";
  }

  asio::io_context io_;
  testing::scratch_dir dir_;
  std::unique_ptr<http_tracker> tracker_;
  std::uint16_t tracker_port_ = 0;
  std::vector<std::string> files_;  // relative to data_root()
  fs::path content_;
  protocol::metainfo meta_;
  bool external_requires_encryption_ = false;
};

// The same cells with aria2c and Transmission refusing plaintext connections.
class interop_matrix_encrypted : public interop_matrix {
 protected:
  void SetUp() override {
    interop_matrix::SetUp();
    external_requires_encryption_ = true;
  }
};

TEST_P(interop_matrix, libtorrent_downloads_what_swarmsim_seeds) {
  cell(client::libtorrent, role::seed);
}
TEST_P(interop_matrix, swarmsim_downloads_what_libtorrent_seeds) {
  cell(client::libtorrent, role::download);
}
TEST_P(interop_matrix, swarmsim_downloads_what_swarmsim_seeds) {
  self_cell();
}
TEST_P(interop_matrix, aria2c_downloads_what_swarmsim_seeds) {
  cell(client::aria2, role::seed);
}
TEST_P(interop_matrix, transmission_downloads_what_swarmsim_seeds) {
  cell(client::transmission, role::seed);
}
TEST_P(interop_matrix, swarmsim_downloads_what_aria2c_seeds) {
  cell(client::aria2, role::download);
}
TEST_P(interop_matrix, swarmsim_downloads_what_transmission_seeds) {
  cell(client::transmission, role::download);
}

TEST_P(interop_matrix_encrypted, aria2c_downloads_what_swarmsim_seeds) {
  cell(client::aria2, role::seed);
}
TEST_P(interop_matrix_encrypted, transmission_downloads_what_swarmsim_seeds) {
  cell(client::transmission, role::seed);
}
TEST_P(interop_matrix_encrypted, swarmsim_downloads_what_aria2c_seeds) {
  cell(client::aria2, role::download);
}
TEST_P(interop_matrix_encrypted, swarmsim_downloads_what_transmission_seeds) {
  cell(client::transmission, role::download);
}

std::string layout_name(const ::testing::TestParamInfo<layout>& info) {
  return info.param == layout::single_file ? "single_file" : "nested_files";
}

INSTANTIATE_TEST_SUITE_P(layouts, interop_matrix,
                         ::testing::Values(layout::single_file, layout::nested_files), layout_name);
INSTANTIATE_TEST_SUITE_P(layouts, interop_matrix_encrypted, ::testing::Values(layout::single_file),
                         layout_name);

}  // namespace
}  // namespace swarmsim::sim::real
