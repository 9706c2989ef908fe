#include "sim/real/tracker/tracker_view.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <string_view>

namespace swarmsim::sim::real {

namespace {

constexpr std::size_t bar_width = 24;

std::string hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes)
    out += fmt::format("{:02x}", b);
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
  out += '"';
}

std::string_view to_string(size_source s) {
  switch (s) {
    case size_source::unknown:
      return "unknown";
    case size_source::estimated:
      return "estimated";
    case size_source::torrent_file:
      return "torrent_file";
  }
  return "unknown";
}

// 1536 -> "1.5 KiB".
std::string human_size(std::uint64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string human_age(double seconds) {
  const auto s = static_cast<std::int64_t>(std::max(0.0, seconds));
  if (s < 120) return fmt::format("{}s ago", s);
  if (s < 7200) return fmt::format("{}m ago", s / 60);
  return fmt::format("{}h ago", s / 3600);
}

std::string clock_text(double seconds) {
  const auto s = static_cast<std::int64_t>(std::max(0.0, seconds));
  return fmt::format("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

// A torrent name for the terminal: printable ASCII kept, other bytes as '?', cut short.
std::string ascii_name(std::string_view name) {
  constexpr std::size_t max_shown = 40;
  std::string out;
  for (std::size_t i = 0; i < name.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  }
  if (name.size() > max_shown) out += "...";
  return out;
}

std::string cut(std::string line, std::size_t width) {
  if (line.size() > width) line.resize(width);
  return line;
}

std::string peer_line(const peer_snapshot& p) {
  std::string bar;
  std::string percent;
  if (p.progress) {
    const auto filled = static_cast<std::size_t>(std::floor(*p.progress * bar_width));
    bar = std::string(filled, '#') + std::string(bar_width - filled, '-');
    percent = fmt::format("{:5.1f}%", *p.progress * 100);
  } else {
    bar = std::string(bar_width, '?');
    percent = "    ?%";
  }
  return fmt::format("  {:<21} {:<8} [{}] {}  up {:>10}  down {:>10}  left {:>10}  {}",
                     protocol::to_string(p.address), client_tag(p.peer), bar, percent,
                     human_size(p.uploaded), human_size(p.downloaded), human_size(p.left),
                     human_age(p.seconds_since_announce));
}

std::string torrent_line(const torrent_snapshot& t) {
  std::string size = "size ?";
  if (t.size_from == size_source::torrent_file) size = fmt::format("size {}", human_size(t.size));
  if (t.size_from == size_source::estimated) size = fmt::format("size ~{}", human_size(t.size));
  return fmt::format("{} {}  {}  seeds {}  leechers {}  completed {}", hex(t.info_hash),
                     t.name.empty() ? std::string{} : fmt::format("\"{}\"", ascii_name(t.name)),
                     size, t.complete, t.incomplete, t.downloaded);
}

}  // namespace

std::optional<double> peer_progress(std::uint64_t left, std::uint64_t size, size_source from) {
  if (left == 0) return 1.0;
  if (from == size_source::unknown || size == 0) return std::nullopt;
  if (left >= size) return 0.0;
  return 1.0 - static_cast<double>(left) / static_cast<double>(size);
}

std::string client_tag(const protocol::wire_peer_id& id, std::size_t length) {
  std::string out;
  for (std::size_t i = 0; i < id.size() && i < length; ++i) {
    const auto c = id[i];
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
  }
  return out;
}

std::string to_json(const tracker_snapshot& s) {
  std::string out = "{\"announce_url\":";
  append_json_string(out, s.announce_url);
  const tracker_counters& c = s.counters;
  out += fmt::format(",\"uptime_seconds\":{:.3f},\"announces\":{},\"scrapes\":{},\"refused\":{}",
                     s.uptime_seconds, c.announces, c.scrapes, c.refused);
  out += fmt::format(
      ",\"connections\":{},\"evicted_connections\":{},\"refused_connections\":{}"
      ",\"torrent_count\":{},\"peer_count\":{}",
      c.connections, c.evicted_connections, c.refused_connections, s.torrent_count, s.peer_count);
  out += ",\"torrents\":[";
  for (std::size_t i = 0; i < s.torrents.size(); ++i) {
    const auto& t = s.torrents[i];
    if (i > 0) out += ',';
    out += fmt::format("{{\"info_hash\":\"{}\",\"name\":", hex(t.info_hash));
    append_json_string(out, t.name);
    out += fmt::format(
        ",\"size\":{},\"size_source\":\"{}\",\"complete\":{},\"incomplete\":{},\"downloaded\":{}",
        t.size, to_string(t.size_from), t.complete, t.incomplete, t.downloaded);
    out += ",\"peers\":[";
    for (std::size_t j = 0; j < t.peers.size(); ++j) {
      const auto& p = t.peers[j];
      if (j > 0) out += ',';
      out += fmt::format("{{\"peer_id\":\"{}\",\"client\":", hex(p.peer));
      append_json_string(out, client_tag(p.peer));
      out += ",\"address\":";
      append_json_string(out, protocol::to_string(p.address));
      out += fmt::format(
          ",\"uploaded\":{},\"downloaded\":{},\"left\":{},\"seconds_since_announce\":{:.3f}",
          p.uploaded, p.downloaded, p.left, p.seconds_since_announce);
      out += ",\"progress\":";
      out += p.progress ? fmt::format("{:.6f}", *p.progress) : std::string("null");
      out += '}';
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

std::vector<std::string> render_view(const tracker_snapshot& s, std::size_t width,
                                     std::size_t max_lines) {
  std::vector<std::string> lines;
  lines.push_back(cut(fmt::format("swarmsim tracker  {}  up {}  torrents {}  announces {}  "
                                  "scrapes {}  refused {}",
                                  s.announce_url, clock_text(s.uptime_seconds), s.torrent_count,
                                  s.counters.announces, s.counters.scrapes, s.counters.refused),
                      width));
  if (s.torrents.empty()) {
    lines.push_back(cut("  (no torrents yet: waiting for announces)", width));
    return lines;
  }
  // Each torrent gets its summary line and an equal share of what is left.
  const std::size_t n = s.torrents.size();
  const std::size_t fixed = 1 + n;
  const std::size_t share = max_lines > fixed ? (max_lines - fixed) / n : 0;
  for (const auto& t : s.torrents) {
    if (lines.size() >= max_lines) break;
    lines.push_back(cut(torrent_line(t), width));
    std::vector<const peer_snapshot*> order;
    order.reserve(t.peers.size());
    for (const auto& p : t.peers)
      order.push_back(&p);
    std::sort(order.begin(), order.end(), [](const peer_snapshot* a, const peer_snapshot* b) {
      const double pa = a->progress.value_or(-1);
      const double pb = b->progress.value_or(-1);
      if (pa != pb) return pa > pb;
      return a->address < b->address;
    });
    const std::size_t shown = order.size() <= share ? order.size() : (share > 0 ? share - 1 : 0);
    for (std::size_t i = 0; i < shown; ++i)
      lines.push_back(cut(peer_line(*order[i]), width));
    if (shown < order.size() && share > 0)
      lines.push_back(cut(fmt::format("  ... {} more peers", order.size() - shown), width));
  }
  if (lines.size() > max_lines) lines.resize(max_lines);
  return lines;
}

live_view::live_view(std::FILE* out) : out_(out) {}

live_view::~live_view() {
  finish();
}

void live_view::draw(const std::vector<std::string>& lines) {
  if (finished_) return;
  std::string frame;
  if (drawn_lines_ > 0) frame += fmt::format("\x1b[{}F", drawn_lines_);
  for (const auto& line : lines) {
    frame += line;
    frame += "\x1b[K\n";
  }
  frame += "\x1b[J";
  std::fputs(frame.c_str(), out_);
  std::fflush(out_);
  drawn_lines_ = lines.size();
}

void live_view::finish() {
  finished_ = true;
}

}  // namespace swarmsim::sim::real
