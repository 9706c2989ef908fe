// Real-socket swarms on 127.0.0.1: seeds and leechers (peer_host over
// file_storage) with the in-process HTTP tracker, moving real bytes.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <list>
#include <thread>

#include "protocol/wire_codec.hpp"
#include "sim/real/commands/download_command.hpp"
#include "sim/real/network/peer_host.hpp"
#include "sim/real/real_fixture.hpp"
#include "sim/real/storage/file_storage.hpp"
#include "sim/real/storage/torrent_file.hpp"
#include "sim/real/storage/torrent_maker.hpp"
#include "sim/real/swarm_fixture.hpp"
#include "sim/real/tracker/http_tracker.hpp"

namespace swarmsim::sim::real {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using testing::corrupting_store;
using testing::loopback_swarm;
using testing::node;
using testing::random_bytes;
using testing::read_file;
using testing::run_until;
using testing::write_file;

TEST_F(loopback_swarm, one_seed_four_leechers_all_complete_with_verified_multi_file_content) {
  make_content({1500000, 0, 700000, 1048699}, 32768);
  node& seed = add_seed(options(8e6));
  wait_announced({&seed});
  std::vector<node*> leechers;
  for (int i = 0; i < 4; ++i) {
    leechers.push_back(&add_leecher(options(), "leecher" + std::to_string(i)));
    wait_announced({leechers.back()});
  }
  ASSERT_TRUE(run_until(io_, [&] {
    return std::all_of(leechers.begin(), leechers.end(),
                       [](node* n) { return n->status().complete; });
  }));
  std::uint64_t leecher_uploads = 0;
  for (node* n : leechers) {
    const auto st = n->status();
    EXPECT_EQ(st.downloaded, meta_.total_size());
    EXPECT_EQ(st.hash_failures, 0u);
    EXPECT_EQ(st.bytes_had, meta_.total_size());
    leecher_uploads += st.uploaded;
    file_storage reread(meta_, n->content, storage_mode::existing);
    EXPECT_TRUE(check_pieces(reread, meta_).all());
    expect_same_content(*n);
  }
  // The seed's upload is limited: leechers must have traded among themselves.
  EXPECT_GT(leecher_uploads, 0u);
}

TEST_F(loopback_swarm, a_corrupting_peer_is_dropped_and_its_pieces_fetched_again) {
  make_content({2000000}, 32768);
  node& bad = add_seed(options(), true);
  node& good = add_seed(options(2e6));
  wait_announced({&bad, &good});
  auto o = options();
  o.peer.max_hash_failures = 2;
  node& leecher = add_leecher(o, "leecher");
  ASSERT_TRUE(run_until(io_, [&] { return leecher.status().complete; }));
  const auto st = leecher.status();
  EXPECT_GE(st.hash_failures, 1u);
  // The bad peer is unthrottled: kept connected it would corrupt most pieces. It
  // is dropped after max_hash_failures + 1 failures; pieces it had sent blocks of
  // by then (at most one per outstanding request) may fail later.
  EXPECT_LE(st.hash_failures, o.peer.max_hash_failures + 1 + o.peer.pipeline_depth);
  EXPECT_EQ(bad.status().connections, 0u);
  expect_same_content(leecher);
}

TEST_F(loopback_swarm, a_seed_that_vanishes_mid_download_does_not_stop_it) {
  make_content({2000000}, 32768);
  node& a = add_seed(options(1.5e6));
  node& b = add_seed(options(1.5e6));
  wait_announced({&a, &b});
  node& leecher = add_leecher(options(), "leecher");
  ASSERT_TRUE(
      run_until(io_, [&] { return leecher.status().pieces_had >= meta_.num_pieces() / 4; }));
  ASSERT_FALSE(leecher.status().complete);
  ASSERT_GT(a.status().uploaded, 0u);
  a.host.reset();  // sockets closed abruptly, blocks in flight lost
  ASSERT_TRUE(run_until(io_, [&] { return leecher.status().complete; }));
  EXPECT_EQ(leecher.status().hash_failures, 0u);
  expect_same_content(leecher);
}

// A peer that misbehaves in one of four ways once a leecher connects: bytes
// that do not decode, messages the protocol forbids (a second bitfield), no
// blocks, no handshake.
class fake_peer {
 public:
  enum class kind { garbage, rude, staller, silent };

  fake_peer(asio::io_context& io, kind k, const protocol::metainfo& meta)
      : acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)), kind_(k), meta_(meta) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int connections = 0;
  int closed_by_remote = 0;

 private:
  struct conn {
    explicit conn(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::array<std::uint8_t, 4096> buffer{};
    std::vector<std::uint8_t> out;
  };

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
      if (ec) return;
      ++connections;
      auto c = std::make_shared<conn>(std::move(s));
      if (kind_ != kind::silent) reply(c);
      drain(c);
      accept();
    });
  }

  void reply(const std::shared_ptr<conn>& c) {
    protocol::wire_peer_id id{};
    id.fill(kind_ == kind::garbage ? 'g' : kind_ == kind::rude ? 'r' : 's');
    protocol::encode(protocol::msg::handshake{meta_.info_hash, id, {}}, c->out);
    if (kind_ == kind::garbage) {
      c->out.insert(c->out.end(), {0xff, 0xff, 0xff, 0xff, 7, 1, 2, 3});
    } else {
      protocol::encode(protocol::msg::bitfield{protocol::bitfield(meta_.num_pieces(), true)},
                       c->out);
      // A fast-extension message on a connection whose handshake offered no
      // BEP 6 (a later bitfield is no longer an error: aria2 sends one).
      if (kind_ == kind::rude) protocol::encode(protocol::msg::have_all{}, c->out);
      protocol::encode(protocol::msg::unchoke{}, c->out);
    }
    asio::async_write(c->socket, asio::buffer(c->out), [c](auto, auto) {});
  }

  // Reads and ignores everything, counting a close by the leecher.
  void drain(const std::shared_ptr<conn>& c) {
    c->socket.async_read_some(asio::buffer(c->buffer),
                              [this, c](const boost::system::error_code& ec, std::size_t) {
                                if (ec) {
                                  ++closed_by_remote;
                                  return;
                                }
                                drain(c);
                              });
  }

  tcp::acceptor acceptor_;
  kind kind_;
  const protocol::metainfo& meta_;
};

TEST_F(loopback_swarm, garbage_stalling_and_silent_peers_are_dropped_and_the_download_completes) {
  make_content({1000000}, 32768);
  std::vector<std::unique_ptr<fake_peer>> fakes;
  int announced = 0;
  const auto kinds = {fake_peer::kind::garbage, fake_peer::kind::rude, fake_peer::kind::staller,
                      fake_peer::kind::silent};
  for (auto k : kinds) {
    fakes.push_back(std::make_unique<fake_peer>(io_, k, meta_));
    protocol::announce_request r;
    r.info_hash = meta_.info_hash;
    r.peer.fill(static_cast<std::uint8_t>('A' + fakes.size()));
    r.address.port = fakes.back()->port();
    r.event = protocol::announce_event::started;
    client_->announce(r, [&](auto) { ++announced; });
  }
  ASSERT_TRUE(run_until(io_, [&] { return announced == 4; }));
  // The seed opens no connections itself, so every connection a fake sees comes
  // from the leecher.
  auto seed_options = options(2e6);
  seed_options.peer.max_initiate = 0;
  node& seed = add_seed(seed_options);
  wait_announced({&seed});
  auto o = options();
  o.encryption = protocol::encryption_policy::disabled;  // one plaintext dial per fake
  o.handshake_timeout = std::chrono::milliseconds(300);
  o.request_timeout = std::chrono::milliseconds(300);
  o.sweep_interval = std::chrono::milliseconds(50);
  node& leecher = add_leecher(o, "leecher");
  std::vector<std::string> logs;
  leecher.host->on_log([&](std::string_view text) { logs.emplace_back(text); });
  ASSERT_TRUE(run_until(io_, [&] { return leecher.status().complete; }));
  expect_same_content(leecher);
  // Both protocol errors are logged with their reasons: the decoder's and the peer's.
  const auto logged = [&](std::string_view what) {
    return std::any_of(logs.begin(), logs.end(),
                       [&](const std::string& l) { return l.find(what) != std::string::npos; });
  };
  EXPECT_TRUE(logged("protocol error: oversized message")) << ::testing::PrintToString(logs);
  EXPECT_TRUE(logged("protocol error: extension message not negotiated"))
      << ::testing::PrintToString(logs);
  EXPECT_EQ(leecher.status().protocol_errors, 1u);
  ASSERT_TRUE(run_until(io_, [&] {
    return std::all_of(fakes.begin(), fakes.end(),
                       [](const auto& f) { return f->closed_by_remote >= 1; });
  }));
  for (const auto& f : fakes)
    EXPECT_EQ(f->connections, 1);
  EXPECT_GE(leecher.status().dropped, 3u);
}

struct encryption_case {
  protocol::encryption_policy seed;
  protocol::encryption_policy leecher;
  bool encrypted;  // the connection runs RC4
};

class encrypted_swarm : public loopback_swarm,
                        public ::testing::WithParamInterface<encryption_case> {};

TEST_P(encrypted_swarm, the_download_completes_over_the_stream_the_policies_agree_on) {
  const auto [seed_policy, leecher_policy, encrypted] = GetParam();
  make_content({1500000, 333333}, 32768);
  auto so = options();
  so.encryption = seed_policy;
  so.peer.max_initiate = 0;  // the leecher dials: its policy picks the first attempt
  node& seed = add_seed(so);
  wait_announced({&seed});
  auto lo = options();
  lo.encryption = leecher_policy;
  node& leecher = add_leecher(lo, "leecher");
  ASSERT_TRUE(run_until(io_, [&] { return leecher.status().complete; }));
  expect_same_content(leecher);
  EXPECT_EQ(leecher.status().hash_failures, 0u);
  EXPECT_EQ(leecher.status().encrypted_connections, encrypted ? 1u : 0u);
  EXPECT_EQ(seed.status().encrypted_connections, encrypted ? 1u : 0u);
}

using protocol::encryption_policy;
INSTANTIATE_TEST_SUITE_P(
    policies, encrypted_swarm,
    ::testing::Values(
        // MSE, plaintext selected (both prefer it).
        encryption_case{encryption_policy::enabled, encryption_policy::enabled, false},
        encryption_case{encryption_policy::required, encryption_policy::enabled, true},
        encryption_case{encryption_policy::enabled, encryption_policy::required, true},
        // The seed hangs up on MSE: the leecher dials again in plaintext.
        encryption_case{encryption_policy::disabled, encryption_policy::enabled, false},
        encryption_case{encryption_policy::enabled, encryption_policy::disabled, false}));

TEST_F(loopback_swarm, peers_whose_encryption_policies_exclude_each_other_never_connect) {
  make_content({500000}, 32768);
  for (auto [seed_policy, leecher_policy] :
       {std::pair{encryption_policy::required, encryption_policy::disabled},
        std::pair{encryption_policy::disabled, encryption_policy::required}}) {
    nodes_.clear();
    auto so = options();
    so.encryption = seed_policy;
    so.peer.max_initiate = 0;
    node& seed = add_seed(so);
    std::vector<std::string> logs;
    seed.host->on_log([&](std::string_view text) { logs.emplace_back(text); });
    wait_announced({&seed});
    auto lo = options();
    lo.encryption = leecher_policy;
    lo.connect_timeout = std::chrono::milliseconds(500);
    node& leecher = add_leecher(lo, "leecher-" + std::string(protocol::to_string(seed_policy)));
    wait_announced({&leecher});
    run_until(
        io_, [] { return false; }, std::chrono::milliseconds(1500));
    EXPECT_EQ(leecher.status().pieces_had, 0u);
    EXPECT_EQ(seed.status().uploaded, 0u);
    if (seed_policy == encryption_policy::required) {
      EXPECT_TRUE(std::any_of(logs.begin(), logs.end(), [](const std::string& l) {
        return l.find("plaintext connection refused") != std::string::npos;
      })) << ::testing::PrintToString(logs);
    }
  }
}

TEST_F(loopback_swarm, an_interrupted_download_resumes_from_the_pieces_on_disk) {
  make_content({2000000}, 32768);
  node& seed = add_seed(options(2e6));
  wait_announced({&seed});
  std::uint32_t had_before = 0;
  {
    node& first = add_leecher(options(), "leecher");
    ASSERT_TRUE(
        run_until(io_, [&] { return first.status().pieces_had >= meta_.num_pieces() / 3; }));
    had_before = first.status().pieces_had;
    ASSERT_LT(had_before, meta_.num_pieces());
    nodes_.pop_back();  // interrupted: no goodbye, partial pieces left on disk
  }
  node& second = add_leecher(options(), "leecher");
  const auto have = second.host->logic().have();
  EXPECT_GE(have.count(), had_before);
  EXPECT_LT(have.count(), meta_.num_pieces());
  ASSERT_TRUE(run_until(io_, [&] { return second.status().complete; }));
  const std::uint64_t already =
      std::uint64_t{have.count()} * meta_.piece_length -
      (have.test(meta_.num_pieces() - 1)
           ? meta_.piece_length - (meta_.total_size() - 1) % meta_.piece_length - 1
           : 0);
  EXPECT_EQ(second.status().downloaded, meta_.total_size() - already);
  expect_same_content(second);
}

TEST_F(loopback_swarm, download_command_fetches_renames_and_then_finds_it_complete) {
  make_content({1200000, 345678}, 32768);
  node& seed = add_seed(options());
  wait_announced({&seed});
  write_torrent_file(dir_ / "t.torrent", meta_);
  std::atomic<bool> quit{false};
  std::thread background([&] {
    while (!quit) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(20));
    }
  });
  download_settings s;
  s.torrent = dir_ / "t.torrent";
  s.out = dir_ / "out";
  s.quiet = true;
  s.timeout = std::chrono::seconds(30);
  const int first = run_download(s);
  const int again = run_download(s);
  quit = true;
  background.join();
  EXPECT_EQ(first, 0);
  EXPECT_EQ(again, 0);
  EXPECT_FALSE(fs::exists(partial_path(s.out, meta_.name)));
  node done{download_path(s.out, meta_.name), nullptr, nullptr};
  expect_same_content(done);
  // A file in the way that is not this content is left alone.
  write_file(download_path(s.out, meta_.name) / "part1" / "data.bin", random_bytes(345678, 99));
  EXPECT_EQ(run_download(s), 1);
}

TEST(download_command, bad_torrent_is_exit_2_naming_the_file) {
  testing::scratch_dir dir;
  write_file(dir / "bad.torrent", {'d', 'e'});
  download_settings s;
  s.torrent = dir / "bad.torrent";
  s.out = dir / "out";
  s.quiet = true;
  EXPECT_EQ(run_download(s), 2);
  EXPECT_FALSE(fs::exists(dir / "out"));
}

}  // namespace
}  // namespace swarmsim::sim::real
