#pragma once
// Makes a .torrent's metainfo from a file or a whole directory on disk: lists the
// files, streams their bytes through SHA-1 piece by piece, and builds the info
// dictionary with protocol::make_metainfo (so the info hash is that of the exact
// bencoded info dict encode_torrent writes).
//
// Rules:
// 1. A regular file gives a single-file torrent named after the file. A directory
//    gives a multi-file torrent named after the directory, with every regular file
//    below it (symlinks to files followed, symlinked directories not entered),
//    sorted by path; empty files are kept, empty directories are not. A symlink
//    is listed under its own name with its target's bytes, so a link beside its
//    target gives two files with the same content, never one path twice.
// 2. The piece size is a power of two of at least 16 KiB; by default the smallest
//    one that keeps the torrent at most target_pieces pieces, capped at 16 MiB.
// 3. A file that changes size while it is hashed, an unreadable file, or content of
//    0 bytes in all is an error (torrent_maker_error naming the path).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "protocol/metainfo.hpp"

namespace swarmsim::sim::real {

class torrent_maker_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr std::uint32_t min_piece_size = 16 * 1024;
constexpr std::uint32_t max_default_piece_size = 16 * 1024 * 1024;
constexpr std::uint32_t target_pieces = 2000;

// Rule 2's default for content of `total_size` bytes.
std::uint32_t default_piece_size(std::uint64_t total_size);

// Whether `size` is a piece size make_torrent accepts (a power of two >= 16 KiB,
// at most 1 GiB); the reason if not.
std::optional<std::string> check_piece_size(std::uint64_t size);

struct make_torrent_options {
  std::string announce;
  std::optional<std::uint32_t> piece_size;  // nullopt: default_piece_size
  protocol::torrent_options torrent{};
  // Called with the bytes hashed so far and the total (for a progress display).
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

protocol::metainfo make_torrent(const std::filesystem::path& content,
                                const make_torrent_options& options);

}  // namespace swarmsim::sim::real
