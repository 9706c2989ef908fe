#pragma once
// The HTTP tracker's message formats: a request target to an announce (BEP 3) or
// scrape (BEP 48) request or to the reason it is refused, and tracker responses
// to bencoded bytes (BEP 3 dictionary peers, BEP 23 compact peers). Pure
// functions without I/O, so they can be unit-tested and fuzzed.
//
// Parsing rules, chosen to accept what real clients send:
// 1. The query is split on '&'; each part is name=value (a part without '=' has
//    an empty value). Names and values are percent-decoded: "%XX" with upper- or
//    lower-case hex digits is one byte; every other byte, including a '%' not
//    followed by two hex digits and raw bytes >= 0x80, stands for itself. '+' is
//    not a space: a client that sends a hash byte 0x2b unescaped means '+'.
// 2. Required: info_hash and peer_id, each exactly 20 bytes once decoded, and
//    port, a decimal in 1..65535. Anything wrong with them refuses the request.
// 3. uploaded, downloaded, left: decimal, 0 when absent; a negative value (some
//    clients send -1 for "unknown") counts as 0; any other text refuses.
// 4. event: "started", "completed" or "stopped"; absent, empty or anything else
//    (e.g. BEP 21 "paused") is a regular announce.
// 5. numwant: a decimal (clamped to 2^32-1); absent, negative or malformed means
//    the tracker's default.
// 6. compact=0 asks for the dictionary peer list; absent or any other value gives
//    the compact string. no_peer_id=1 leaves "peer id" out of the dictionaries.
// 7. A repeated name: the last one counts (scrape: every info_hash counts).
// 8. Other names (key, ip, corrupt, supportcrypto, requirepeerid, trackerid, ...)
//    are ignored: the peer's address is the connection's remote address.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/tracker.hpp"
#include "protocol/types.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::real {

enum class peer_list_form : std::uint8_t { compact, dictionary };
enum class peer_id_field : std::uint8_t { included, omitted };

// An announce as the client sent it; the server adds the peer's address.
struct announce_query {
  protocol::sha1_hash info_hash{};
  protocol::wire_peer_id peer{};
  std::uint16_t port = 0;
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint64_t left = 0;
  protocol::announce_event event = protocol::announce_event::none;
  std::optional<std::uint32_t> numwant;  // nullopt: the tracker's default
  peer_list_form form = peer_list_form::compact;
  peer_id_field peer_ids = peer_id_field::included;
  friend bool operator==(const announce_query&, const announce_query&) = default;
};

struct scrape_query {
  std::vector<protocol::sha1_hash> info_hashes;  // empty: every torrent
};

// A request target split at its first '?': "/announce?x=1" -> {"/announce", "x=1"}.
struct split_target_result {
  std::string_view path;
  std::string_view query;
};
split_target_result split_target(std::string_view target);

// Decodes %XX escapes (either case); every other byte stands for itself.
std::string percent_decode(std::string_view text);
// Escapes every byte except unreserved ones (A-Z a-z 0-9 - . _ ~) as %XX (upper case).
std::string percent_encode(std::string_view bytes);
std::string percent_encode(std::span<const std::uint8_t> bytes);

// The query's name=value pairs in order, both percent-decoded (rule 1).
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

// The error text names the parameter, e.g. "info_hash: 19 bytes, expected 20".
parsed<announce_query> parse_announce(std::string_view query);
parsed<scrape_query> parse_scrape(std::string_view query);

// The request the tracker logic takes, for a peer at `address` (port from the query).
protocol::announce_request to_tracker_request(const announce_query& q, std::uint32_t address);

// Bencoded response bodies.
std::string encode_failure(std::string_view reason);
std::string encode_announce_response(const protocol::announce_response& response,
                                     peer_list_form form, peer_id_field peer_ids);
// One entry per torrent, in the order given (the files dictionary sorts them).
std::string encode_scrape_response(
    std::span<const std::pair<protocol::sha1_hash, protocol::scrape_entry>> files);

}  // namespace swarmsim::sim::real
