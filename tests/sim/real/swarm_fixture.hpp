#pragma once
// A real-socket swarm on 127.0.0.1 for tests: seeds and leechers (peer_host
// over file_storage) with the in-process HTTP tracker, content made on the fly,
// and helpers to wait for announces and compare what a leecher wrote.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "sim/real/network/peer_host.hpp"
#include "sim/real/real_fixture.hpp"
#include "sim/real/storage/file_storage.hpp"
#include "sim/real/storage/torrent_maker.hpp"
#include "sim/real/tracker/http_tracker.hpp"

namespace swarmsim::sim::real::testing {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

// Sends corrupted bytes: every read flips the first byte.
class corrupting_store final : public piece_store {
 public:
  explicit corrupting_store(std::unique_ptr<piece_store> inner) : inner_(std::move(inner)) {}
  std::uint64_t total_size() const override { return inner_->total_size(); }
  void read(std::uint64_t offset, std::span<std::uint8_t> out) override {
    inner_->read(offset, out);
    if (!out.empty()) out[0] ^= 0xff;
  }
  void write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    inner_->write(offset, data);
  }

 private:
  std::unique_ptr<piece_store> inner_;
};

struct node {
  fs::path content;
  std::unique_ptr<piece_store> store;
  std::unique_ptr<peer_host> host;
  host_status status() const { return host->status(); }
};

class loopback_swarm : public ::testing::Test {
 protected:
  void SetUp() override {
    tracker_ =
        std::make_unique<http_tracker>(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    client_ = std::make_unique<http_tracker_client>(io_, tracker_->announce_url());
  }
  void TearDown() override { nodes_.clear(); }

  // A single file of `size` random bytes, or a directory of files of `sizes`.
  void make_content(const std::vector<std::uint64_t>& sizes, std::uint32_t piece_size) {
    const fs::path base = dir_ / "seed";
    std::uint64_t seed = 1;
    fs::path path;
    if (sizes.size() == 1) {
      path = base / "payload.bin";
      write_file(path, random_bytes(sizes[0], seed));
    } else {
      path = base / "payload";
      for (std::size_t i = 0; i < sizes.size(); ++i)
        write_file(path / ("part" + std::to_string(i)) / "data.bin",
                   random_bytes(sizes[i], ++seed));
    }
    make_torrent_options o;
    o.announce = tracker_->announce_url();
    o.piece_size = piece_size;
    meta_ = make_torrent(path, o);
    seed_content_ = path;
  }

  peer_host_options options(double upload_rate = 0) {
    peer_host_options o;
    o.upload_rate = upload_rate;
    o.seed = ++host_seed_;
    return o;
  }

  node& add_seed(peer_host_options o, bool corrupt = false) {
    node& n = nodes_.emplace_back();
    n.content = seed_content_;
    std::unique_ptr<piece_store> files =
        std::make_unique<file_storage>(meta_, n.content, storage_mode::existing);
    n.store = corrupt ? std::make_unique<corrupting_store>(std::move(files)) : std::move(files);
    n.host = std::make_unique<peer_host>(io_, meta_, *n.store, *client_, o);
    n.host->start(protocol::bitfield(meta_.num_pieces(), true));
    return n;
  }

  node& add_leecher(peer_host_options o, const std::string& name) {
    node& n = nodes_.emplace_back();
    n.content = dir_ / name / meta_.name;
    n.store = std::make_unique<file_storage>(meta_, n.content, storage_mode::create);
    n.host = std::make_unique<peer_host>(io_, meta_, *n.store, *client_, o);
    n.host->start(check_pieces(*n.store, meta_));
    return n;
  }

  // Waits until the hosts' first announces were answered, so later peers find them.
  void wait_announced(std::initializer_list<node*> ns) {
    ASSERT_TRUE(run_until(io_, [&] {
      return std::all_of(ns.begin(), ns.end(), [](node* n) { return n->status().announces > 0; });
    }));
  }

  void expect_same_content(const node& n) {
    for (const auto& p : file_storage::file_paths(meta_, seed_content_)) {
      const auto rel = fs::relative(p, seed_content_);
      const fs::path mine = rel == "." ? n.content : n.content / rel;
      EXPECT_EQ(read_file(mine), read_file(p)) << mine;
    }
  }

  asio::io_context io_;
  testing::scratch_dir dir_;
  std::unique_ptr<http_tracker> tracker_;
  std::unique_ptr<http_tracker_client> client_;
  protocol::metainfo meta_;
  fs::path seed_content_;
  std::list<node> nodes_;
  std::uint64_t host_seed_ = 100;
};

}  // namespace swarmsim::sim::real::testing
