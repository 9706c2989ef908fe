#include "protocol/metainfo.hpp"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace swarmsim::protocol {
namespace {

using bencode::value;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string text_of(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// SHA-1 straight from OpenSSL, independent of the code under test.
sha1_hash openssl_sha1(std::string_view s) {
  sha1_hash h{};
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), h.data());
  return h;
}

// Deterministic content of n bytes.
std::vector<std::uint8_t> content(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::uint8_t>((i * 7919) >> 3);
  return out;
}

metainfo single_file_torrent() {
  const auto data = content(40'000);  // 3 pieces of 16 KiB, the last 7232 bytes
  return make_metainfo("movie.mkv", {{40'000, {}}}, 16384, piece_hashes(data, 16384),
                       "http://tracker.example/announce",
                       {.creation_date = 1'700'000'000, .created_by = "swarmsim test"});
}

metainfo multi_file_torrent() {
  const auto data = content(100'000 + 0 + 70'000 + 5);
  return make_metainfo("album",
                       {{100'000, {"cd1", "01 intro.flac"}},
                        {0, {"empty.txt"}},
                        {70'000, {"cd2", "02.flac"}},
                        {5, {"notes.txt"}}},
                       32768, piece_hashes(data, 32768), "http://a.example/announce",
                       {.announce_list = {{"http://a.example/announce"},
                                          {"udp://b.example:80", "http://c.example/x"}},
                        .private_torrent = true});
}

TEST(sha1, matches_the_fips_test_vectors) {
  EXPECT_EQ(to_hex(sha1(bytes_of("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(to_hex(sha1(bytes_of(""))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(to_hex(sha1(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(sha1, hasher_fed_in_parts_equals_one_shot_and_starts_over) {
  sha1_hasher h;
  h.update(bytes_of("a"));
  h.update(bytes_of(""));
  h.update(bytes_of("bc"));
  EXPECT_EQ(to_hex(h.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
  h.update(bytes_of("abc"));
  sha1_hasher moved = std::move(h);
  EXPECT_EQ(to_hex(moved.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(sha1, piece_hashes_cover_each_slice) {
  const auto data = content(50);
  const auto hashes = piece_hashes(data, 16);
  ASSERT_EQ(hashes.size(), 4u);
  EXPECT_EQ(hashes[0], sha1(std::span(data).first(16)));
  EXPECT_EQ(hashes[3], sha1(std::span(data).last(2)));
}

TEST(metainfo, single_file_round_trip_keeps_fields_and_info_hash) {
  const metainfo m = single_file_torrent();
  EXPECT_TRUE(m.single_file());
  const metainfo_result parsed = parse_torrent(encode_torrent(m));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed.get(), m);
  EXPECT_EQ(parsed.get().info_hash, m.info_hash);
}

TEST(metainfo, multi_file_round_trip_keeps_fields_and_info_hash) {
  const metainfo m = multi_file_torrent();
  EXPECT_FALSE(m.single_file());
  const metainfo_result parsed = parse_torrent(encode_torrent(m));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed.get(), m);
  EXPECT_TRUE(parsed.get().private_torrent);
  EXPECT_EQ(parsed.get().announce_list.size(), 2u);
}

TEST(metainfo, info_hash_is_sha1_of_the_info_bytes_in_the_file) {
  for (const metainfo& m : {single_file_torrent(), multi_file_torrent()}) {
    const std::string file = text_of(encode_torrent(m));
    // "info" sorts last among the top-level keys: its value runs to the final 'e'.
    const std::size_t start = file.find("4:infod") + 6;
    const std::string info = file.substr(start, file.size() - 1 - start);
    EXPECT_EQ(m.info_hash, openssl_sha1(info));
    EXPECT_EQ(parse_torrent(bytes_of(file)).get().info_hash, openssl_sha1(info));
  }
}

TEST(metainfo, encodes_the_keys_real_clients_read) {
  const auto keys = [](const value& d) {
    std::set<std::string> out;
    for (const auto& [k, v] : *d.as_dict())
      out.insert(k);
    return out;
  };
  const value single = bencode::decode(encode_torrent(single_file_torrent())).get();
  EXPECT_EQ(keys(single),
            (std::set<std::string>{"announce", "created by", "creation date", "info"}));
  EXPECT_EQ(keys(*single.find("info")),
            (std::set<std::string>{"length", "name", "piece length", "pieces"}));
  EXPECT_EQ(*single.find("info")->find("length")->as_integer(), 40'000);
  EXPECT_EQ(single.find("info")->find("pieces")->as_string()->size(), 3u * 20u);

  const value multi = bencode::decode(encode_torrent(multi_file_torrent())).get();
  EXPECT_EQ(keys(multi), (std::set<std::string>{"announce", "announce-list", "info"}));
  const value& info = *multi.find("info");
  EXPECT_EQ(keys(info),
            (std::set<std::string>{"files", "name", "piece length", "pieces", "private"}));
  const value& first = info.find("files")->as_list()->front();
  EXPECT_EQ(first,
            (value::dict{{"length", 100'000}, {"path", value::list{"cd1", "01 intro.flac"}}}));
}

TEST(metainfo, geometry_splits_pieces_into_16_kib_blocks) {
  const metainfo m = multi_file_torrent();
  EXPECT_EQ(m.total_size(), 170'005u);
  const torrent_geometry g = m.geometry();
  EXPECT_EQ(g.total_size(), 170'005u);
  EXPECT_EQ(g.num_pieces(), 6u);  // ceil(170005 / 32768)
  EXPECT_EQ(g.num_pieces(), m.num_pieces());
  EXPECT_EQ(g.block_size(), 16384u);
  EXPECT_EQ(g.piece_length(piece_index{5}), 170'005u - 5u * 32768u);
}

TEST(metainfo, parses_a_hand_written_file_with_unsorted_keys_and_unknown_info_keys) {
  const std::string hashes(40, 'h');
  const std::string info =
      "d4:name5:a.txt12:piece lengthi16384e6:pieces40:" + hashes + "6:lengthi20000e6:source4:teste";
  const std::string file = "d4:info" + info + "8:announce5:http:7:comment2:hie";
  const metainfo_result r = parse_torrent(bytes_of(file));
  ASSERT_TRUE(r) << r.error();
  const metainfo& m = r.get();
  EXPECT_EQ(m.announce, "http:");
  EXPECT_EQ(m.name, "a.txt");
  EXPECT_EQ(m.piece_length, 16384u);
  EXPECT_EQ(m.total_size(), 20'000u);
  EXPECT_EQ(m.num_pieces(), 2u);
  EXPECT_EQ(m.info_hash, openssl_sha1(info));
  EXPECT_EQ(m.info_extra, (value::dict{{"source", "test"}}));
  // Re-encoded sorted, the info dictionary hashes the same as its canonical form.
  EXPECT_EQ(compute_info_hash(m),
            openssl_sha1("d6:lengthi20000e4:name5:a.txt12:piece lengthi16384e6:pieces40:" + hashes +
                         "6:source4:teste"));
}

TEST(metainfo, canonical_file_with_unknown_info_keys_keeps_its_info_hash) {
  metainfo m = single_file_torrent();
  m.info_extra["source"] = "swarmsim";
  m.info_hash = compute_info_hash(m);
  const std::vector<std::uint8_t> file = encode_torrent(m);
  const metainfo_result parsed = parse_torrent(file);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed.get().info_hash, m.info_hash);
  EXPECT_EQ(encode_torrent(parsed.get()), file);
}

TEST(metainfo, single_file_differs_from_a_one_file_directory) {
  const auto data = content(1000);
  const metainfo single = make_metainfo("x", {{1000, {}}}, 16384, piece_hashes(data, 16384), "a");
  const metainfo dir = make_metainfo("x", {{1000, {"x"}}}, 16384, piece_hashes(data, 16384), "a");
  EXPECT_NE(single.info_hash, dir.info_hash);
  EXPECT_FALSE(parse_torrent(encode_torrent(dir)).get().single_file());
  EXPECT_TRUE(parse_torrent(encode_torrent(single)).get().single_file());
}

// The error of parsing single_file_torrent() (or multi_file_torrent()) after
// `edit` changes its decoded form.
std::string error_after(const std::function<void(value::dict& top, value::dict& info)>& edit,
                        bool multi = false) {
  value top =
      bencode::decode(encode_torrent(multi ? multi_file_torrent() : single_file_torrent())).get();
  value::dict& d = *top.as_dict();
  value info_copy = d["info"];
  edit(d, *info_copy.as_dict());
  if (d.contains("info")) d["info"] = info_copy;
  const metainfo_result r = parse_torrent(bencode::encode(top));
  return r ? "parsed fine" : r.error();
}

TEST(metainfo, errors_name_the_field) {
  EXPECT_EQ(error_after([](auto&, auto& info) { info.erase("piece length"); }),
            "info.piece length: missing");
  EXPECT_EQ(error_after([](auto&, auto& info) { info["pieces"] = std::string(41, 'p'); }),
            "info.pieces: length 41 is not a multiple of 20");
  EXPECT_EQ(error_after(
                [](auto&, auto& info) {
                  (*info["files"].as_list())[2].as_dict()->at("path") = value::list{};
                },
                true),
            "info.files[2].path: empty");
  EXPECT_EQ(error_after([](auto& top, auto&) { top.erase("info"); }), "info: missing");
  EXPECT_EQ(error_after([](auto&, auto& info) { info.erase("name"); }), "info.name: missing");
  EXPECT_EQ(error_after([](auto&, auto& info) { info["name"] = 5; }), "info.name: not a string");
  EXPECT_EQ(error_after([](auto&, auto& info) { info["length"] = -1; }),
            "info.length: -1 is negative");
  EXPECT_EQ(error_after([](auto&, auto& info) { info.erase("length"); }),
            "info: has neither length nor files");
  EXPECT_EQ(error_after([](auto&, auto& info) { info["files"] = value::list{}; }),
            "info: has both length and files");
  EXPECT_EQ(error_after([](auto&, auto& info) { info["piece length"] = 20000; }),
            "info.piece length: 20000 is not a multiple of 16384");
  EXPECT_EQ(error_after([](auto&, auto& info) { info["piece length"] = 0; }),
            "info.piece length: 0 is not positive");
  EXPECT_EQ(error_after([](auto&, auto& info) { info["private"] = "yes"; }),
            "info.private: not an integer");
  EXPECT_EQ(error_after([](auto& top, auto&) { top["announce-list"] = value::list{"x"}; }),
            "announce-list[0]: not a list");
}

TEST(metainfo, errors_name_the_field_in_multi_file_torrents) {
  const auto nth = [](value::dict& info, std::size_t i) -> value::dict& {
    return *(*info["files"].as_list())[i].as_dict();
  };
  EXPECT_EQ(
      error_after([&](auto&, auto& info) { nth(info, 1).at("path") = value::list{".."}; }, true),
      "info.files[1].path[0]: \".\" and \"..\" are not allowed");
  EXPECT_EQ(error_after(
                [&](auto&, auto& info) {
                  nth(info, 3).at("path") = value::list{"a", "b/c"};
                },
                true),
            "info.files[3].path[1]: contains '/'");
  EXPECT_EQ(error_after([&](auto&, auto& info) { nth(info, 0).erase("length"); }, true),
            "info.files[0].length: missing");
  EXPECT_EQ(error_after([&](auto&, auto& info) { nth(info, 2).at("path") = value::list{7}; }, true),
            "info.files[2].path[0]: not a string");
  EXPECT_EQ(error_after([&](auto&, auto& info) { nth(info, 0)["length"] = 1; }, true),
            "info.pieces: 6 hashes for 3 pieces of 32768 bytes");
  EXPECT_EQ(error_after([&](auto&, auto& info) { info["files"] = value::list{}; }, true),
            "info.files: empty");
}

TEST(metainfo, a_v2_only_torrent_is_named_as_such) {
  EXPECT_EQ(error_after([](auto&, auto& info) {
              info.erase("pieces");
              info["meta version"] = 2;
              info["file tree"] = value::dict{};
            }),
            "v2-only torrents are not supported");
  EXPECT_EQ(error_after([](auto&, auto& info) { info.erase("pieces"); }), "info.pieces: missing");
}

// BEP 47: a hybrid torrent's pad files keep their "attr" through a round trip
// (the info hash depends on it), and only "p" marks a pad file.
TEST(metainfo, pad_file_attributes_survive_a_round_trip) {
  const auto data = content(32768 + 16384);
  const metainfo m = make_metainfo(
      "hybrid", {{10000, {"a.bin"}, "x"}, {22768, {".pad", "22768"}, "p"}, {16384, {"b.bin"}, ""}},
      32768, piece_hashes(data, 32768), "http://a.example/announce");
  EXPECT_FALSE(m.files[0].is_pad());
  EXPECT_TRUE(m.files[1].is_pad());
  EXPECT_FALSE(m.files[2].is_pad());
  const metainfo_result back = parse_torrent(encode_torrent(m));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back.get().files, m.files);
  EXPECT_EQ(back.get().info_hash, m.info_hash);
}

// Two entries writing one file would overwrite each other's verified bytes; a
// file where another needs a directory cannot be written at all.
TEST(metainfo, refuses_duplicate_and_nested_file_paths) {
  const auto nth = [](value::dict& info, std::size_t i) -> value::dict& {
    return *(*info["files"].as_list())[i].as_dict();
  };
  EXPECT_EQ(error_after(
                [&](auto&, auto& info) {
                  nth(info, 3).at("path") = value::list{"cd2", "02.flac"};
                },
                true),
            "info.files[3].path: the same path as info.files[2]");
  EXPECT_EQ(error_after(
                [&](auto&, auto& info) {
                  nth(info, 3).at("path") = value::list{"empty.txt", "notes.txt"};
                },
                true),
            "info.files[3].path: lies inside info.files[1], which is a file");
  EXPECT_EQ(error_after(
                [&](auto&, auto& info) {
                  nth(info, 0).at("path") = value::list{"cd2", "02.flac", "x"};
                },
                true),
            "info.files[0].path: lies inside info.files[2], which is a file");
  const auto data = content(40'000);
  EXPECT_THROW(
      make_metainfo("d", {{20'000, {"a"}}, {20'000, {"a"}}}, 16384, piece_hashes(data, 16384), "a"),
      std::invalid_argument);
}

// BEP 47 pad files are never written, so several may share a name.
TEST(metainfo, pad_files_may_share_a_path) {
  const auto data = content(3 * 16384);
  const metainfo m = make_metainfo("hybrid",
                                   {{10000, {"a.bin"}},
                                    {6384, {".pad", "6384"}, "p"},
                                    {10000, {"b.bin"}},
                                    {6384, {".pad", "6384"}, "p"},
                                    {16384, {"c.bin"}}},
                                   16384, piece_hashes(data, 16384), "http://a.example/announce");
  EXPECT_TRUE(parse_torrent(encode_torrent(m)));
}

TEST(metainfo, rejects_files_that_are_not_bencode) {
  const metainfo_result r = parse_torrent(bytes_of("d8:announcei03ee"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "torrent: byte 12: leading zero in integer");
  EXPECT_EQ(parse_torrent(bytes_of("le")).error(), "torrent: not a dictionary");
}

TEST(metainfo, make_metainfo_refuses_inconsistent_input) {
  const auto data = content(40'000);
  const auto two_hashes = piece_hashes(std::span(data).first(20'000), 16384);
  try {
    make_metainfo("f", {{40'000, {}}}, 16384, two_hashes, "a");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "info.pieces: 2 hashes for 3 pieces of 16384 bytes");
  }
  EXPECT_THROW(make_metainfo("", {{40'000, {}}}, 16384, piece_hashes(data, 16384), "a"),
               std::invalid_argument);
  EXPECT_THROW(make_metainfo("f", {{0, {}}}, 16384, {}, "a"), std::invalid_argument);
}

}  // namespace
}  // namespace swarmsim::protocol
