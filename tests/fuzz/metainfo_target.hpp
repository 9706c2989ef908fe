#pragma once
// Fuzz target: .torrent parsing (protocol/metainfo.hpp) on arbitrary bytes.
// Properties checked:
// 1. A parsed torrent meets validate() (the header's invariants): in
//    particular no two files share a path and none lies inside another.
// 2. Its info hash is the SHA-1 of the info dictionary as it appears in the input.
// 3. encode_torrent's bytes parse back to the same fields; when the input's
//    info dictionary was canonical, with the same info hash.
// 4. A refusal always has a reason.

#include <cstdint>
#include <span>

#include "fuzz/fuzz_check.hpp"
#include "protocol/bencode.hpp"
#include "protocol/metainfo.hpp"

namespace swarmsim::fuzz {

inline void metainfo_one(std::span<const std::uint8_t> input) {
  namespace p = protocol;
  const p::metainfo_result r = p::parse_torrent(input);
  if (!r) {
    check(!r.error().empty(), "a refusal has a reason");
    return;
  }
  const p::metainfo& m = r.get();
  check(!p::validate(m), "a parsed torrent meets its invariants");
  const p::bencode::decode_options lenient{.keys = p::bencode::key_order::lenient};
  const auto info = p::bencode::find_span(input, {"info"}, lenient);
  check(info.has_value(), "a parsed torrent has an info dictionary");
  check(p::sha1(input.subspan(info->offset, info->size)) == m.info_hash,
        "the info hash is the SHA-1 of the info bytes");
  const p::metainfo_result back = p::parse_torrent(p::encode_torrent(m));
  check(back.ok(), "an encoded torrent parses back");
  p::metainfo again = back.get();
  check(again.files == m.files && again.piece_hashes == m.piece_hashes && again.name == m.name &&
            again.piece_length == m.piece_length,
        "an encoded torrent keeps its fields");
  if (p::compute_info_hash(m) == m.info_hash)
    check(again.info_hash == m.info_hash, "a canonical info dictionary keeps its info hash");
}

}  // namespace swarmsim::fuzz
