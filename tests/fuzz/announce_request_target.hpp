#pragma once
// Fuzz target: the HTTP tracker's query parsing and response encoding
// (sim/real/tracker/announce_request.hpp), input = a query string or request target.
// Properties checked:
// 1. percent_decode(percent_encode(x)) == x, and decoding never grows the text.
// 2. An accepted announce has a port in 1..65535, and a response built for it
//    (in the form it asked for) is canonical bencode with one entry per peer.
// 3. An accepted scrape's response is canonical bencode with an entry per
//    distinct info hash; a refusal always has a reason.

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "protocol/bencode.hpp"
#include "sim/real/tracker/announce_request.hpp"

namespace swarmsim::fuzz {

inline void announce_request_one(std::span<const std::uint8_t> data) {
  namespace real = sim::real;
  namespace b = protocol::bencode;
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());

  check(real::percent_decode(real::percent_encode(text)) == text, "percent coding round-trips");
  check(real::percent_decode(text).size() <= text.size(), "decoding never grows the text");
  const auto [path, query] = real::split_target(text);
  check(path.size() + (query.size() + 1) * (path.size() < text.size()) == text.size(),
        "split_target splits without losing bytes");

  const auto announce = real::parse_announce(query);
  if (announce) {
    check(announce->port >= 1, "an accepted announce has a port");
    protocol::announce_response r;
    r.interval = std::chrono::seconds(announce->left % 5000);
    r.complete = static_cast<std::uint32_t>(announce->uploaded);
    r.incomplete = static_cast<std::uint32_t>(announce->downloaded);
    const std::size_t n = announce->numwant.value_or(3) % 8;
    for (std::size_t i = 0; i < n; ++i)
      r.peers.push_back({announce->peer,
                         {static_cast<std::uint32_t>(i * 0x01010101u),
                          static_cast<std::uint16_t>(announce->port + i)}});
    const std::string body = real::encode_announce_response(r, announce->form, announce->peer_ids);
    const auto v = b::decode(body);
    check(v.ok(), "an announce response is canonical bencode");
    const auto* peers = v.get().find("peers");
    check(peers != nullptr, "an announce response has peers");
    if (announce->form == real::peer_list_form::compact)
      check(peers->as_string() && peers->as_string()->size() == 6 * n, "6 bytes per peer");
    else
      check(peers->as_list() && peers->as_list()->size() == n, "one dictionary per peer");
  } else {
    check(!announce.error.empty(), "a refused announce has a reason");
    check(b::decode(real::encode_failure(announce.error)).ok(), "a failure is bencode");
  }

  const auto scrape = real::parse_scrape(query);
  if (scrape) {
    std::vector<std::pair<protocol::sha1_hash, protocol::scrape_entry>> files;
    for (const auto& h : scrape->info_hashes)
      files.push_back({h, {1, 2, 3}});
    const auto v = b::decode(real::encode_scrape_response(files));
    check(v.ok() && v.get().find("files") && v.get().find("files")->as_dict(),
          "a scrape response is canonical bencode");
    const std::set<protocol::sha1_hash> distinct(scrape->info_hashes.begin(),
                                                 scrape->info_hashes.end());
    check(v.get().find("files")->as_dict()->size() == distinct.size(),
          "one scrape entry per distinct info hash");
  } else {
    check(!scrape.error.empty(), "a refused scrape has a reason");
  }
}

}  // namespace swarmsim::fuzz
