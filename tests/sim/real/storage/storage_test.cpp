#include "sim/real/storage/file_storage.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <numeric>

#include "protocol/metainfo.hpp"
#include "sim/real/real_fixture.hpp"
#include "sim/real/storage/piece_store.hpp"

namespace swarmsim::sim::real {
namespace {

using protocol::file_entry;
using protocol::piece_index;
using testing::random_bytes;
using testing::read_file;
using testing::scratch_dir;
using testing::write_file;

// A multi-file torrent over `lengths` (file i is "d<i % 2>/f<i>") whose piece
// hashes are those of `content`.
protocol::metainfo multi_file(const std::vector<std::uint64_t>& lengths,
                              const std::vector<std::uint8_t>& content,
                              std::uint32_t piece_length) {
  std::vector<file_entry> files;
  for (std::size_t i = 0; i < lengths.size(); ++i)
    files.push_back(file_entry{lengths[i], {fmt::format("d{}", i % 2), fmt::format("f{}", i)}});
  return protocol::make_metainfo("multi", std::move(files), piece_length,
                                 protocol::piece_hashes(content, piece_length),
                                 "http://127.0.0.1:1/announce");
}

TEST(file_storage, slices_span_files_in_order_and_skip_empty_files) {
  const auto content = random_bytes(18, 1);
  const auto meta = multi_file({5, 0, 10, 3}, content, 16 * 1024);
  scratch_dir dir;
  file_storage store(meta, dir / "multi", storage_mode::create);
  EXPECT_TRUE(store.created_fresh());
  EXPECT_EQ(store.slices(3, 10), (std::vector<file_slice>{{0, 3, 2}, {2, 0, 8}}));
  EXPECT_EQ(store.slices(0, 18), (std::vector<file_slice>{{0, 0, 5}, {2, 0, 10}, {3, 0, 3}}));
  EXPECT_EQ(store.slices(5, 1), (std::vector<file_slice>{{2, 0, 1}}));
  EXPECT_EQ(store.slices(17, 1), (std::vector<file_slice>{{3, 2, 1}}));
  EXPECT_TRUE(store.slices(18, 0).empty());
  EXPECT_THROW(store.slices(10, 9), storage_error);
}

TEST(file_storage, writes_land_at_their_offsets_in_each_file) {
  const std::vector<std::uint64_t> lengths{7000, 0, 30000, 1, 20000};
  const std::uint64_t total = std::accumulate(lengths.begin(), lengths.end(), std::uint64_t{0});
  const auto content = random_bytes(total, 2);
  const auto meta = multi_file(lengths, content, 16 * 1024);
  scratch_dir dir;
  {
    file_storage store(meta, dir / "multi", storage_mode::create);
    // Write in odd-sized chunks, back to front, so chunks straddle file ends.
    for (std::uint64_t end = total; end > 0;) {
      const std::uint64_t begin = end > 4099 ? end - 4099 : 0;
      store.write(begin, std::span(content).subspan(begin, end - begin));
      end = begin;
    }
    std::vector<std::uint8_t> back(total);
    store.read(0, back);
    EXPECT_EQ(back, content);
  }
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    const auto on_disk =
        read_file(dir / "multi" / fmt::format("d{}", i % 2) / fmt::format("f{}", i));
    const std::vector<std::uint8_t> expected(
        content.begin() + static_cast<std::ptrdiff_t>(offset),
        content.begin() + static_cast<std::ptrdiff_t>(offset + lengths[i]));
    EXPECT_EQ(on_disk, expected) << "file " << i;
    offset += lengths[i];
  }
}

TEST(file_storage, create_sizes_every_file_and_keeps_existing_bytes) {
  const auto content = random_bytes(50000, 3);
  const auto meta = multi_file({20000, 30000}, content, 16 * 1024);
  scratch_dir dir;
  // A leftover file too long, and one with some correct bytes already.
  write_file(dir / "multi" / "d0" / "f0", random_bytes(25000, 4));
  std::vector<std::uint8_t> partial(content.begin() + 20000, content.begin() + 40000);
  write_file(dir / "multi" / "d1" / "f1", partial);
  file_storage store(meta, dir / "multi", storage_mode::create);
  EXPECT_FALSE(store.created_fresh());
  EXPECT_EQ(std::filesystem::file_size(dir / "multi" / "d0" / "f0"), 20000u);
  EXPECT_EQ(std::filesystem::file_size(dir / "multi" / "d1" / "f1"), 30000u);
  std::vector<std::uint8_t> kept(20000);
  store.read(20000, kept);
  EXPECT_EQ(kept, partial);
}

// A download larger than the free space used to preallocate until the disk was
// full, then fail and leave the files behind, still holding every block.
TEST(file_storage, create_refuses_content_larger_than_the_free_space_and_leaves_nothing) {
  scratch_dir dir;
  const std::uint64_t available = std::filesystem::space(dir.path()).available;
  constexpr std::uint32_t piece = 1u << 30;
  const std::uint64_t big = available + piece;
  const std::uint64_t pieces = (16384 + big + piece - 1) / piece;
  const auto meta = protocol::make_metainfo(
      "multi", {file_entry{16384, {"a", "small"}}, file_entry{big, {"b", "c", "big"}}}, piece,
      std::vector<protocol::sha1_hash>(pieces), "http://127.0.0.1:1/announce");
  try {
    file_storage store(meta, dir / "multi", storage_mode::create);
    FAIL() << "content larger than the free space was accepted";
  } catch (const storage_error& e) {
    EXPECT_NE(std::string(e.what()).find("available"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "multi"));
  EXPECT_GE(std::filesystem::space(dir.path()).available + piece, available);
}

// A constructor that fails half-way removes the files and directories it made,
// and only those.
TEST(file_storage, a_failed_create_removes_only_what_it_created) {
  const auto content = random_bytes(50000, 8);
  const auto meta = multi_file({20000, 30000}, content, 16 * 1024);
  scratch_dir dir;
  write_file(dir / "multi" / "d0" / "f0", random_bytes(20000, 9));
  std::filesystem::create_directories(dir / "multi" / "d1" / "f1");  // in the way of a file
  EXPECT_THROW(file_storage(meta, dir / "multi", storage_mode::create), storage_error);
  EXPECT_EQ(read_file(dir / "multi" / "d0" / "f0"), random_bytes(20000, 9));
  EXPECT_TRUE(std::filesystem::is_directory(dir / "multi" / "d1" / "f1"));
  std::filesystem::remove_all(dir / "multi" / "d0");
  EXPECT_THROW(file_storage(meta, dir / "multi", storage_mode::create), storage_error);
  EXPECT_FALSE(std::filesystem::exists(dir / "multi" / "d0"));  // made, then removed
  EXPECT_TRUE(std::filesystem::exists(dir / "multi" / "d1" / "f1"));
}

TEST(file_storage, existing_mode_names_a_missing_or_wrong_sized_file) {
  const auto content = random_bytes(50000, 5);
  const auto meta = multi_file({20000, 30000}, content, 16 * 1024);
  scratch_dir dir;
  write_file(dir / "multi" / "d0" / "f0", random_bytes(20000, 6));
  try {
    file_storage store(meta, dir / "multi", storage_mode::existing);
    FAIL() << "a missing file was accepted";
  } catch (const storage_error& e) {
    EXPECT_NE(std::string(e.what()).find("f1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  write_file(dir / "multi" / "d1" / "f1", random_bytes(29999, 7));
  try {
    file_storage store(meta, dir / "multi", storage_mode::existing);
    FAIL() << "a short file was accepted";
  } catch (const storage_error& e) {
    EXPECT_NE(std::string(e.what()).find("29999"), std::string::npos) << e.what();
  }
  write_file(dir / "multi" / "d1" / "f1", random_bytes(30000, 7));
  file_storage store(meta, dir / "multi", storage_mode::existing);
  const std::vector<std::uint8_t> one{1};
  EXPECT_THROW(store.write(0, one), storage_error);
}

// BEP 47: pad files are neither created for a download nor required of a seed,
// and read as zeros.
TEST(file_storage, pad_files_are_never_on_disk_and_read_as_zeros) {
  std::vector<std::uint8_t> content = random_bytes(10000, 8);
  content.resize(16384, 0);  // the pad up to the piece boundary
  const auto tail = random_bytes(5000, 9);
  content.insert(content.end(), tail.begin(), tail.end());
  const auto meta = protocol::make_metainfo(
      "hybrid", {{10000, {"a.bin"}}, {6384, {".pad", "6384"}, "p"}, {5000, {"b.bin"}}}, 16384,
      protocol::piece_hashes(content, 16384), "http://127.0.0.1:1/announce");
  scratch_dir dir;
  {
    file_storage store(meta, dir / "got", storage_mode::create);
    store.write(0, content);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "got" / ".pad"));
  EXPECT_EQ(read_file(dir / "got" / "b.bin"), tail);
  file_storage seed(meta, dir / "got", storage_mode::existing);  // no .pad needed
  std::vector<std::uint8_t> back(content.size(), 0xff);
  seed.read(0, back);
  EXPECT_EQ(back, content);
  EXPECT_TRUE(check_pieces(seed, meta).all());
}

TEST(file_storage, single_file_torrent_content_is_the_file_itself) {
  const auto content = random_bytes(40000, 8);
  const auto meta = protocol::make_metainfo("one.bin", {file_entry{40000, {}}}, 16384,
                                            protocol::piece_hashes(content, 16384), "");
  scratch_dir dir;
  write_file(dir / "elsewhere.bin", content);
  file_storage store(meta, dir / "elsewhere.bin", storage_mode::existing);
  EXPECT_TRUE(check_pieces(store, meta).all());
}

TEST(file_storage, check_pieces_finds_exactly_the_corrupted_pieces) {
  const std::vector<std::uint64_t> lengths{10000, 0, 40000, 15536};
  const auto content = random_bytes(65536, 9);
  const auto meta = multi_file(lengths, content, 16384);  // 4 pieces
  scratch_dir dir;
  file_storage store(meta, dir / "multi", storage_mode::create);
  EXPECT_EQ(check_pieces(store, meta).count(), 0u);
  store.write(0, content);
  EXPECT_TRUE(check_pieces(store, meta).all());
  // One byte in piece 2 (inside file 2), one in the last byte of the content.
  const std::vector<std::uint8_t> x{static_cast<std::uint8_t>(content[40000] ^ 0xff)};
  store.write(40000, x);
  const std::vector<std::uint8_t> y{static_cast<std::uint8_t>(content[65535] ^ 0x01)};
  store.write(65535, y);
  std::vector<std::uint32_t> progress;
  const auto ok = check_pieces(store, meta, [&](std::uint32_t n) { progress.push_back(n); });
  EXPECT_EQ(ok.to_string(), "1100");
  EXPECT_EQ(progress, (std::vector<std::uint32_t>{1, 2, 3, 4}));
}

TEST(file_storage, many_files_share_a_bounded_set_of_descriptors) {
  const std::size_t n = file_storage::max_open_files * 2 + 3;
  std::vector<std::uint64_t> lengths(n, 1000);
  const auto content = random_bytes(n * 1000, 10);
  const auto meta = multi_file(lengths, content, 16384);
  scratch_dir dir;
  file_storage store(meta, dir / "multi", storage_mode::create);
  store.write(0, content);
  std::vector<std::uint8_t> back(content.size());
  store.read(0, back);
  EXPECT_EQ(back, content);
  EXPECT_TRUE(check_pieces(store, meta).all());
}

}  // namespace
}  // namespace swarmsim::sim::real
