#include "sim/real/tracker/announce_request.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "protocol/bencode.hpp"

namespace swarmsim::sim::real {

namespace {

namespace bencode = protocol::bencode;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Parameter text for an error message: printable ASCII kept, the rest as \xNN,
// cut short.
std::string printable(std::string_view s) {
  constexpr std::size_t max_shown = 24;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (s.size() > max_shown) out += "...";
  return out;
}

// A signed decimal; nullopt if the text is not one or does not fit in int64.
// Negative values are returned as they are; callers decide what they mean.
std::optional<std::int64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.front() == '+') return std::nullopt;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> to_bytes(std::string_view s) {
  if (s.size() != N) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  std::copy(s.begin(), s.end(), out.begin());
  return out;
}

std::string hash_error(std::string_view name, std::string_view decoded) {
  return fmt::format("{}: {} bytes after percent-decoding, expected 20", name, decoded.size());
}

std::string_view to_view(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

split_target_result split_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string percent_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c))
      out += ch;
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string percent_encode(std::span<const std::uint8_t> bytes) {
  return percent_encode(to_view(bytes));
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    const auto amp = std::min(query.find('&', start), query.size());
    const std::string_view part = query.substr(start, amp - start);
    if (!part.empty()) {
      const auto eq = part.find('=');
      if (eq == std::string_view::npos)
        out.emplace_back(percent_decode(part), std::string{});
      else
        out.emplace_back(percent_decode(part.substr(0, eq)), percent_decode(part.substr(eq + 1)));
    }
    start = amp + 1;
  }
  return out;
}

parsed<announce_query> parse_announce(std::string_view query) {
  using result = parsed<announce_query>;
  std::optional<std::string> info_hash, peer_id, port;
  announce_query q;
  // Last value of each counter, checked after the loop so the last one counts.
  std::optional<std::string> counters[3];
  static constexpr std::string_view counter_names[3] = {"uploaded", "downloaded", "left"};

  for (auto& [name, value] : parse_query(query)) {
    if (name == "info_hash") {
      info_hash = std::move(value);
    } else if (name == "peer_id") {
      peer_id = std::move(value);
    } else if (name == "port") {
      port = std::move(value);
    } else if (name == "uploaded") {
      counters[0] = std::move(value);
    } else if (name == "downloaded") {
      counters[1] = std::move(value);
    } else if (name == "left") {
      counters[2] = std::move(value);
    } else if (name == "event") {
      if (value == "started")
        q.event = protocol::announce_event::started;
      else if (value == "completed")
        q.event = protocol::announce_event::completed;
      else if (value == "stopped")
        q.event = protocol::announce_event::stopped;
      else
        q.event = protocol::announce_event::none;
    } else if (name == "numwant") {
      const auto n = parse_decimal(value);
      if (n && *n >= 0)
        q.numwant = static_cast<std::uint32_t>(
            std::min<std::int64_t>(*n, std::numeric_limits<std::uint32_t>::max()));
      else
        q.numwant.reset();
    } else if (name == "compact") {
      q.form = value == "0" ? peer_list_form::dictionary : peer_list_form::compact;
    } else if (name == "no_peer_id") {
      q.peer_ids = value == "1" ? peer_id_field::omitted : peer_id_field::included;
    }
  }

  if (!info_hash) return result::fail("info_hash: missing");
  const auto hash = to_bytes<20>(*info_hash);
  if (!hash) return result::fail(hash_error("info_hash", *info_hash));
  q.info_hash = *hash;

  if (!peer_id) return result::fail("peer_id: missing");
  const auto id = to_bytes<20>(*peer_id);
  if (!id) return result::fail(hash_error("peer_id", *peer_id));
  q.peer = *id;

  if (!port) return result::fail("port: missing");
  const auto p = parse_decimal(*port);
  if (!p || *p < 1 || *p > 65535)
    return result::fail(
        fmt::format("port: \"{}\" is not a port number (1-65535)", printable(*port)));
  q.port = static_cast<std::uint16_t>(*p);

  std::uint64_t* const fields[3] = {&q.uploaded, &q.downloaded, &q.left};
  for (int i = 0; i < 3; ++i) {
    if (!counters[i]) continue;
    const auto n = parse_decimal(*counters[i]);
    if (!n)
      return result::fail(fmt::format("{}: \"{}\" is not a number of bytes", counter_names[i],
                                      printable(*counters[i])));
    *fields[i] = *n < 0 ? 0 : static_cast<std::uint64_t>(*n);
  }
  return result::ok(q);
}

parsed<scrape_query> parse_scrape(std::string_view query) {
  using result = parsed<scrape_query>;
  scrape_query q;
  for (const auto& [name, value] : parse_query(query)) {
    if (name != "info_hash") continue;
    const auto hash = to_bytes<20>(value);
    if (!hash) return result::fail(hash_error("info_hash", value));
    q.info_hashes.push_back(*hash);
  }
  return result::ok(std::move(q));
}

protocol::announce_request to_tracker_request(const announce_query& q, std::uint32_t address) {
  protocol::announce_request r;
  r.info_hash = q.info_hash;
  r.peer = q.peer;
  r.address = protocol::endpoint{address, q.port};
  r.uploaded = q.uploaded;
  r.downloaded = q.downloaded;
  r.left = q.left;
  r.event = q.event;
  r.numwant = q.numwant;
  return r;
}

std::string encode_failure(std::string_view reason) {
  const auto bytes = bencode::encode(bencode::value::dict{{"failure reason", reason}});
  return std::string(bytes.begin(), bytes.end());
}

std::string encode_announce_response(const protocol::announce_response& response,
                                     peer_list_form form, peer_id_field peer_ids) {
  if (response.failure) return encode_failure(*response.failure);
  const auto seconds = [](protocol::duration d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d).count();
  };
  bencode::value::dict d{
      {"complete", response.complete},
      {"incomplete", response.incomplete},
      {"interval", seconds(response.interval)},
      {"min interval", seconds(response.min_interval)},
  };
  if (form == peer_list_form::compact) {
    std::string peers;
    peers.reserve(response.peers.size() * 6);
    for (const auto& p : response.peers) {
      const std::uint32_t a = p.address.address;
      const char six[6] = {static_cast<char>(a >> 24),
                           static_cast<char>(a >> 16),
                           static_cast<char>(a >> 8),
                           static_cast<char>(a),
                           static_cast<char>(p.address.port >> 8),
                           static_cast<char>(p.address.port)};
      peers.append(six, 6);
    }
    d.emplace("peers", std::move(peers));
  } else {
    bencode::value::list peers;
    peers.reserve(response.peers.size());
    for (const auto& p : response.peers) {
      const std::uint32_t a = p.address.address;
      bencode::value::dict entry{
          {"ip", fmt::format("{}.{}.{}.{}", (a >> 24) & 0xff, (a >> 16) & 0xff, (a >> 8) & 0xff,
                             a & 0xff)},
          {"port", p.address.port},
      };
      if (peer_ids == peer_id_field::included) entry.emplace("peer id", to_view(p.peer));
      peers.emplace_back(std::move(entry));
    }
    d.emplace("peers", std::move(peers));
  }
  const auto bytes = bencode::encode(bencode::value(std::move(d)));
  return std::string(bytes.begin(), bytes.end());
}

std::string encode_scrape_response(
    std::span<const std::pair<protocol::sha1_hash, protocol::scrape_entry>> files) {
  bencode::value::dict by_hash;
  for (const auto& [hash, entry] : files) {
    by_hash.insert_or_assign(std::string(to_view(hash)),
                             bencode::value::dict{{"complete", entry.complete},
                                                  {"downloaded", entry.downloaded},
                                                  {"incomplete", entry.incomplete}});
  }
  const auto bytes = bencode::encode(bencode::value::dict{{"files", std::move(by_hash)}});
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace swarmsim::sim::real
