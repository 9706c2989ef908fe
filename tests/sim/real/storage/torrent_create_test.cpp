#include "sim/real/storage/torrent_maker.hpp"

#include <gtest/gtest.h>

#include "protocol/metainfo.hpp"
#include "sim/real/real_fixture.hpp"
#include "sim/real/storage/file_storage.hpp"
#include "sim/real/storage/torrent_file.hpp"

namespace swarmsim::sim::real {
namespace {

using testing::random_bytes;
using testing::scratch_dir;
using testing::write_file;

make_torrent_options announce_only(std::optional<std::uint32_t> piece_size = std::nullopt) {
  make_torrent_options o;
  o.announce = "http://127.0.0.1:6969/announce";
  o.piece_size = piece_size;
  return o;
}

protocol::metainfo round_trip(const protocol::metainfo& m) {
  auto parsed = protocol::parse_torrent(protocol::encode_torrent(m));
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error());
  return std::move(parsed).get();
}

TEST(torrent_create, single_file_hashes_each_piece_and_parses_back) {
  scratch_dir dir;
  const auto content = random_bytes(100000, 1);
  write_file(dir / "data.bin", content);
  const auto m = make_torrent(dir / "data.bin", announce_only(32768));
  EXPECT_EQ(m.name, "data.bin");
  EXPECT_TRUE(m.single_file());
  EXPECT_EQ(m.total_size(), content.size());
  EXPECT_EQ(m.piece_length, 32768u);
  EXPECT_EQ(m.piece_hashes, protocol::piece_hashes(content, 32768));
  const auto back = round_trip(m);
  EXPECT_EQ(back, m);
  EXPECT_EQ(back.info_hash, protocol::compute_info_hash(m));
}

TEST(torrent_create, directory_lists_files_sorted_with_pieces_across_them) {
  scratch_dir dir;
  const auto a = random_bytes(30000, 2);
  const auto b = random_bytes(5, 3);
  const auto c = random_bytes(50001, 4);
  write_file(dir / "album" / "b" / "z.bin", c);
  write_file(dir / "album" / "a.bin", a);
  write_file(dir / "album" / "b" / "empty", {});
  write_file(dir / "album" / "ab.bin", b);
  std::filesystem::create_directories(dir / "album" / "nothing_here");
  const auto m = make_torrent(dir / "album", announce_only(16384));
  EXPECT_EQ(m.name, "album");
  ASSERT_EQ(m.files.size(), 4u);
  EXPECT_EQ(m.files[0], (protocol::file_entry{30000, {"a.bin"}}));
  EXPECT_EQ(m.files[1], (protocol::file_entry{5, {"ab.bin"}}));
  EXPECT_EQ(m.files[2], (protocol::file_entry{0, {"b", "empty"}}));
  EXPECT_EQ(m.files[3], (protocol::file_entry{50001, {"b", "z.bin"}}));
  std::vector<std::uint8_t> all(a);
  all.insert(all.end(), b.begin(), b.end());
  all.insert(all.end(), c.begin(), c.end());
  EXPECT_EQ(m.piece_hashes, protocol::piece_hashes(all, 16384));
  EXPECT_EQ(round_trip(m), m);
  // The data checks against its own torrent, whichever of the two paths is given.
  for (const auto& data : {dir / "album", dir.path()}) {
    file_storage store(m, locate_content(m, data), storage_mode::existing);
    EXPECT_TRUE(check_pieces(store, m).all()) << data;
  }
}

// A symlink keeps its own name: resolving it listed its target twice, and the
// two entries then overwrote each other's verified pieces when downloaded.
TEST(torrent_create, symlinks_keep_their_names) {
  scratch_dir dir;
  const auto a = random_bytes(20000, 6);
  write_file(dir / "album" / "a.bin", a);
  std::filesystem::create_symlink("a.bin", dir / "album" / "link.bin");
  const auto m = make_torrent(dir / "album", announce_only(16384));
  ASSERT_EQ(m.files.size(), 2u);
  EXPECT_EQ(m.files[0], (protocol::file_entry{20000, {"a.bin"}}));
  EXPECT_EQ(m.files[1], (protocol::file_entry{20000, {"link.bin"}}));
  EXPECT_EQ(round_trip(m), m);
}

TEST(torrent_create, written_file_reads_back_with_the_same_info_hash) {
  scratch_dir dir;
  write_file(dir / "x", random_bytes(70000, 5));
  auto o = announce_only();
  o.torrent.created_by = "test";
  o.torrent.creation_date = 1700000000;
  const auto m = make_torrent(dir / "x", o);
  write_torrent_file(dir / "x.torrent", m);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.torrent.tmp"));
  const auto back = read_torrent_file(dir / "x.torrent");
  ASSERT_TRUE(back) << back.error;
  EXPECT_EQ(back->info_hash, m.info_hash);
  EXPECT_EQ(*back, m);
  EXPECT_EQ(announce_url(*back), "http://127.0.0.1:6969/announce");
}

TEST(torrent_create, default_piece_size_is_the_smallest_power_of_two_within_the_target) {
  for (const std::uint64_t size : {1ull, 16384ull, 40000000ull, 500000000ull, 5000000000ull}) {
    const std::uint32_t p = default_piece_size(size);
    EXPECT_FALSE(check_piece_size(p)) << size;
    const std::uint64_t pieces = (size + p - 1) / p;
    if (p < max_default_piece_size) {
      EXPECT_LE(pieces, target_pieces) << size;
    }
    if (p > min_piece_size) {
      EXPECT_GT((size + p / 2 - 1) / (p / 2), target_pieces) << size;
    }
  }
  EXPECT_EQ(default_piece_size(std::uint64_t{1} << 50), max_default_piece_size);
}

TEST(torrent_create, refuses_bad_input_naming_the_problem) {
  scratch_dir dir;
  std::filesystem::create_directories(dir / "empty_dir");
  write_file(dir / "zero", {});
  write_file(dir / "ok", random_bytes(10, 6));
  const auto message = [](const std::filesystem::path& p, make_torrent_options o) {
    try {
      make_torrent(p, o);
    } catch (const torrent_maker_error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message(dir / "missing", announce_only()).find("not found"), std::string::npos);
  EXPECT_NE(message(dir / "empty_dir", announce_only()).find("no files"), std::string::npos);
  EXPECT_NE(message(dir / "zero", announce_only()).find("0 bytes"), std::string::npos);
  EXPECT_NE(message(dir / "ok", announce_only(20000)).find("power of two"), std::string::npos);
  EXPECT_NE(message(dir / "ok", announce_only(8192)).find("16 KiB"), std::string::npos);
}

TEST(torrent_file, errors_name_the_file_and_the_field) {
  scratch_dir dir;
  write_file(dir / "garbage.torrent", {'x', 'y'});
  const auto g = read_torrent_file(dir / "garbage.torrent");
  ASSERT_FALSE(g);
  EXPECT_NE(g.error.find("garbage.torrent"), std::string::npos) << g.error;
  const std::string no_length = "d4:infod4:name1:x12:piece lengthi16384e6:pieces0:ee";
  write_file(dir / "field.torrent", std::vector<std::uint8_t>(no_length.begin(), no_length.end()));
  const auto f = read_torrent_file(dir / "field.torrent");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error.find("field.torrent"), std::string::npos) << f.error;
  EXPECT_NE(f.error.find(": info"), std::string::npos) << f.error;
  const auto missing = read_torrent_file(dir / "nope.torrent");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error.find("not found"), std::string::npos) << missing.error;
}

}  // namespace
}  // namespace swarmsim::sim::real
