#pragma once
// Reading and writing .torrent files on disk, with errors that name the file and
// the field, and the paths a torrent's content takes on disk.

#include <filesystem>
#include <string>

#include "protocol/metainfo.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::real {

// Reads and parses a .torrent; the error reads "FILE: info.piece length: missing"
// (or "FILE: cannot read: ...").
parsed<protocol::metainfo> read_torrent_file(const std::filesystem::path& file);

// Writes encode_torrent(meta) to a temporary name beside `file`, then renames it,
// so a failed write leaves no half-written file. Throws std::runtime_error naming
// the file.
void write_torrent_file(const std::filesystem::path& file, const protocol::metainfo& meta);

// The announce URL a peer uses: `announce`, else the first URL of announce-list.
std::string announce_url(const protocol::metainfo& meta);

// Where the content of `meta` lies for `swarmsim seed --data PATH`: a single-file
// torrent's file is PATH itself, or PATH/name if PATH is a directory; a
// multi-file torrent's directory is PATH if its first file is there, else
// PATH/name if that is a directory, else PATH.
std::filesystem::path locate_content(const protocol::metainfo& meta,
                                     const std::filesystem::path& data);

}  // namespace swarmsim::sim::real
