#pragma once
// A .torrent file (BEP 3 metainfo, BEP 12 announce-list, BEP 27 private flag):
// parsing, validation, creation and encoding; and SHA-1, which names torrents and
// checks pieces.
//
// metainfo keeps the announce URLs, the info dictionary's fields and the torrent's
// info hash. Invariants of a metainfo from parse_torrent or make_metainfo:
// 1. files is never empty. A single-file torrent has exactly one entry, with an
//    empty path: the file is called `name`. Otherwise every file's path is a
//    non-empty list of components relative to the directory `name`; no component
//    (nor name) is empty, ".", ".." or contains '/' or '\0'. No two files but
//    pad files (BEP 47, never written) share a path, and none lies inside
//    another (a/b and a/b/c): each byte of the content has one place on disk.
// 2. total_size() > 0, and piece_hashes holds exactly one hash per piece of
//    piece_length bytes (the last piece holds the remainder).
// 3. piece_length is below 16 KiB or a multiple of it, so geometry() is valid.
// 4. info_hash is the SHA-1 of the info dictionary's bytes: as they appear in the
//    file for parse_torrent, as encode_torrent writes them for make_metainfo.
//    info_extra keeps info keys this type does not model, so a canonically encoded
//    file re-encodes to the same info hash.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "protocol/bencode.hpp"
#include "protocol/torrent_geometry.hpp"
#include "protocol/types.hpp"

struct evp_md_ctx_st;

namespace swarmsim::protocol {

sha1_hash sha1(std::span<const std::uint8_t> bytes);

// SHA-1 fed in parts, e.g. a piece read file by file.
class sha1_hasher {
 public:
  sha1_hasher();
  ~sha1_hasher();
  sha1_hasher(sha1_hasher&& other) noexcept;
  sha1_hasher& operator=(sha1_hasher&& other) noexcept;
  sha1_hasher(const sha1_hasher&) = delete;
  sha1_hasher& operator=(const sha1_hasher&) = delete;

  void update(std::span<const std::uint8_t> bytes);
  // The hash of everything fed since construction or the last finish(); the
  // hasher then starts over.
  sha1_hash finish();

 private:
  evp_md_ctx_st* ctx_;
};

// SHA-1 of each piece_length slice of content (the last may be shorter).
std::vector<sha1_hash> piece_hashes(std::span<const std::uint8_t> content,
                                    std::uint32_t piece_length);

struct file_entry {
  std::uint64_t length = 0;
  std::vector<std::string> path;  // empty only for the file of a single-file torrent
  // BEP 47 attributes, as in the file ("p": padding, "x", "h", "l"); empty if none.
  std::string attr{};
  // A pad file (BEP 47) only aligns the next file to a piece: its bytes are
  // zeros, and no client writes it to disk.
  bool is_pad() const { return attr.find('p') != std::string::npos; }
  friend bool operator==(const file_entry&, const file_entry&) = default;
};

struct metainfo {
  std::string announce;
  std::vector<std::vector<std::string>> announce_list;  // tiers; empty if absent
  std::optional<std::int64_t> creation_date;            // seconds since the Unix epoch
  std::optional<std::string> created_by;

  std::string name;
  std::uint32_t piece_length = 0;
  std::vector<sha1_hash> piece_hashes;
  std::vector<file_entry> files;
  bool private_torrent = false;     // BEP 27 "private": 1; other values stay in info_extra
  bencode::value::dict info_extra;  // info keys not modelled above (e.g. "source")

  sha1_hash info_hash{};

  bool single_file() const { return files.size() == 1 && files.front().path.empty(); }
  std::uint64_t total_size() const;
  std::uint32_t num_pieces() const { return static_cast<std::uint32_t>(piece_hashes.size()); }
  // Pieces of piece_length split into 16 KiB blocks (one block per piece when
  // pieces are smaller than that).
  torrent_geometry geometry() const;

  friend bool operator==(const metainfo&, const metainfo&) = default;
};

// The first broken rule of the invariants above (info_hash aside), naming the
// field as in the file, e.g. "info.files[2].path: empty"; nullopt if valid.
std::optional<std::string> validate(const metainfo& m);

// The SHA-1 of the info dictionary encode_torrent writes for m.
sha1_hash compute_info_hash(const metainfo& m);

struct torrent_options {
  std::vector<std::vector<std::string>> announce_list{};
  std::optional<std::int64_t> creation_date{};
  std::optional<std::string> created_by{};
  bool private_torrent = false;
};

// A new torrent, info_hash included. files as in metainfo: one entry with an empty
// path for a single-file torrent. Throws std::invalid_argument with validate()'s
// text if the result would break the invariants.
metainfo make_metainfo(std::string name, std::vector<file_entry> files, std::uint32_t piece_length,
                       std::vector<sha1_hash> piece_hashes, std::string announce,
                       torrent_options options = {});

// The .torrent bytes: announce, announce-list, created by, creation date and info
// {files | length, name, piece length, pieces, private}, canonically encoded.
std::vector<std::uint8_t> encode_torrent(const metainfo& m);

class metainfo_result {
 public:
  metainfo_result(metainfo&& m) : v_(std::in_place_type<metainfo>, std::move(m)) {}
  metainfo_result(std::string error) : v_(std::in_place_type<std::string>, std::move(error)) {}

  bool ok() const { return std::holds_alternative<metainfo>(v_); }
  explicit operator bool() const { return ok(); }
  // Preconditions: ok() / !ok() respectively.
  const metainfo& get() const& { return std::get<metainfo>(v_); }
  metainfo&& get() && { return std::get<metainfo>(std::move(v_)); }
  const std::string& error() const { return std::get<std::string>(v_); }

 private:
  std::variant<metainfo, std::string> v_;
};

// Parses a .torrent file. Dictionary keys may be unsorted (some tools write them
// so); everything else must be valid bencoding. Unknown top-level keys are
// ignored. The error text names the field, e.g. "info.piece length: missing".
metainfo_result parse_torrent(std::span<const std::uint8_t> bytes);

}  // namespace swarmsim::protocol
