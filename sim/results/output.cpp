#include "sim/results/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <optional>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "sim/results/output_format.hpp"
#include "sim/results/playback_results.hpp"
#include "sim/results/text_escape.hpp"
#include "sim/results/version.hpp"

namespace swarmsim::sim {
namespace fs = std::filesystem;
using namespace output_format;

namespace {

std::string errno_message(int error) {
  return std::error_code(error, std::generic_category()).message();
}

// Removes the directories between `first_created` and `dir` (inclusive) while empty.
void remove_created_directories(const fs::path& dir, const fs::path& first_created) noexcept {
  std::error_code ec;
  for (fs::path p = dir;; p = p.parent_path()) {
    if (!fs::remove(p, ec) || ec) return;
    if (p == first_created || !p.has_relative_path() || p.parent_path() == p) return;
  }
}

}  // namespace

std::string csv_number(double v, int decimals) {
  return fixed(v, decimals, "");
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  while (!text.empty()) {
    const std::size_t n = utf8_sequence_length(text);
    const char c = text.front();
    if (n == 0) {
      out += "\\ufffd";  // not UTF-8: the replacement character (JSON is Unicode text)
    } else if (n > 1) {
      out.append(text.substr(0, n));
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\b') {
      out += "\\b";
    } else if (c == '\f') {
      out += "\\f";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
    text.remove_prefix(n == 0 ? 1 : n);
  }
  out += '"';
  return out;
}

std::string format_seconds(duration d) {
  const std::int64_t ns = d.count();
  const bool negative = ns < 0;
  const std::uint64_t magnitude =
      negative ? std::uint64_t{0} - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  const std::uint64_t micros = magnitude / 1000 + (magnitude % 1000 >= 500 ? 1 : 0);
  if (micros == 0) return "0.000000";
  return fmt::format("{}{}.{:06}", negative ? "-" : "", micros / 1'000'000, micros % 1'000'000);
}

namespace {

fs::path temporary_name(const fs::path& path) {
  fs::path temp = path;
  temp += fmt::format(".tmp-{}", static_cast<long>(::getpid()));
  return temp;
}

// Writes `contents` to `temp` in full; on failure removes it and throws naming `path`.
void write_whole_file(const fs::path& temp, const fs::path& path, std::string_view contents) {
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (!f) {
    throw output_error(fmt::format("cannot write {}: {}", path.string(), errno_message(errno)));
  }
  const auto fail = [&](std::string_view what, const std::string& reason) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return output_error(fmt::format("cannot write {}: {}: {}", path.string(), what, reason));
  };
  const bool written = std::fwrite(contents.data(), 1, contents.size(), f) == contents.size();
  const int write_error = errno;
  const bool flushed = written && std::fflush(f) == 0;
  const int flush_error = errno;
  const bool closed = std::fclose(f) == 0;
  const int close_error = errno;
  if (!written) throw fail("write failed", errno_message(write_error));
  if (!flushed) throw fail("flush failed", errno_message(flush_error));
  if (!closed) throw fail("close failed", errno_message(close_error));
}

// Throws when something other than a regular file holds the name `path`: a
// rename over it would fail after other files were already replaced.
void check_replaceable(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(path, ec);
  if (st.type() == fs::file_type::not_found || st.type() == fs::file_type::regular) return;
  throw output_error(fmt::format(
      "cannot write {}: something other than a regular file is in the way", path.string()));
}

}  // namespace

void write_file_atomically(const fs::path& path, std::string_view contents) {
  check_replaceable(path);
  const fs::path temp = temporary_name(path);
  write_whole_file(temp, path, contents);
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw output_error(
        fmt::format("cannot write {}: rename failed: {}", path.string(), ec.message()));
  }
}

output_directory::output_directory(fs::path dir) : dir_(std::move(dir)) {}

output_directory::~output_directory() {
  discard();
}

void output_directory::discard() noexcept {
  std::error_code ignored;
  for (const auto& [temp, final_path] : staged_)
    fs::remove(temp, ignored);
  staged_.clear();
  if (first_created_ && committed_.empty()) remove_created_directories(absolute_, *first_created_);
  first_created_.reset();
}

fs::path output_directory::add(std::string_view name, std::string_view contents) {
  const fs::path file = dir_ / fs::path(name);
  if (!exists_) {
    std::error_code ec;
    absolute_ = fs::absolute(dir_, ec).lexically_normal();
    if (!absolute_.has_filename()) absolute_ = absolute_.parent_path();  // "a/b/" -> "a/b"
    for (fs::path p = absolute_; !ec && !p.empty(); p = p.parent_path()) {
      std::error_code status_error;
      // Stop at anything that exists or cannot be examined: it is not ours to remove.
      if (fs::status(p, status_error).type() != fs::file_type::not_found) break;
      first_created_ = p;
      if (p.parent_path() == p) break;
    }
    fs::create_directories(dir_, ec);
    if (ec) {
      if (first_created_) remove_created_directories(absolute_, *first_created_);
      first_created_.reset();
      throw output_error(
          fmt::format("cannot create directory {}: {}", dir_.string(), ec.message()));
    }
    exists_ = true;
  }
  try {
    check_replaceable(file);
    const fs::path temp = temporary_name(file);
    write_whole_file(temp, file, contents);
    staged_.emplace_back(temp, file);
  } catch (...) {
    if (staged_.empty() && committed_.empty()) {
      if (first_created_) remove_created_directories(absolute_, *first_created_);
      first_created_.reset();
      exists_ = false;
    }
    throw;
  }
  names_.emplace_back(name);
  return file;
}

void output_directory::publish() {
  for (std::size_t i = 0; i < staged_.size(); ++i) {
    std::error_code ec;
    fs::rename(staged_[i].first, staged_[i].second, ec);
    if (ec) {
      const std::string message = fmt::format("cannot write {}: rename failed: {}",
                                              staged_[i].second.string(), ec.message());
      staged_.erase(staged_.begin(), staged_.begin() + static_cast<std::ptrdiff_t>(i));
      throw output_error(message);
    }
    committed_.push_back(names_[i]);
  }
  staged_.clear();
  names_.clear();
}

std::string format_peers_csv(std::span<const peer_record> peers) {
  const bool viewers = std::any_of(peers.begin(), peers.end(),
                                   [](const peer_record& p) { return p.playback.has_value(); });
  std::string out;
  std::vector<std::string> row{"id",
                               "group",
                               "role",
                               "site",
                               "upload_capacity_bytes_per_s",
                               "download_capacity_bytes_per_s",
                               "arrival_s",
                               "first_piece_s",
                               "completion_s",
                               "departure_s",
                               "download_time_s",
                               "time_to_first_piece_s",
                               "bytes_uploaded",
                               "bytes_downloaded",
                               "bytes_downloaded_from_seeds",
                               "bytes_wasted",
                               "share_ratio",
                               "pieces_at_start",
                               "pieces_at_end",
                               "connections_max",
                               "connections_total"};
  if (viewers) append_range(row, playback_peer_header());
  append_row(out, row);
  for (const peer_record& p : peers) {
    row = {fmt::format("{}", p.id.value()),
           csv_field(p.group),
           std::string(to_string(p.role)),
           csv_field(p.site),
           csv_fixed(p.upload_capacity, 3),
           csv_fixed(p.download_capacity, 3),
           format_seconds(p.arrival),
           csv_seconds(p.first_piece),
           csv_seconds(p.completion),
           csv_seconds(p.departure),
           csv_seconds(p.download_time()),
           csv_seconds(p.time_to_first_piece()),
           fmt::format("{}", p.bytes_uploaded),
           fmt::format("{}", p.bytes_downloaded),
           fmt::format("{}", p.bytes_downloaded_from_seeds),
           fmt::format("{}", p.bytes_wasted),
           csv_fixed(p.share_ratio(), 6),
           fmt::format("{}", p.pieces_at_start),
           fmt::format("{}", p.pieces_at_end),
           fmt::format("{}", p.connections_max),
           fmt::format("{}", p.connections_total)};
    if (viewers) append_range(row, playback_peer_fields(p));
    append_row(out, row);
  }
  return out;
}

std::string format_timeseries_csv(std::span<const sample> samples) {
  const bool viewers = !samples.empty() && samples.front().playback.has_value();
  std::string out;
  std::vector<std::string> row{"time_s",
                               "leechers",
                               "seeds",
                               "arrived",
                               "completed",
                               "departed",
                               "connections",
                               "upload_rate_bytes_per_s",
                               "seed_upload_rate_bytes_per_s",
                               "upload_utilisation",
                               "availability_min",
                               "availability_mean",
                               "entropy",
                               "pieces_only_at_seeds",
                               "peer_availability",
                               "events"};
  if (viewers) append_range(row, playback_sample_header());
  append_row(out, row);
  for (const sample& x : samples) {
    row = {format_seconds(x.time),
           fmt::format("{}", x.leechers),
           fmt::format("{}", x.seeds),
           fmt::format("{}", x.arrived),
           fmt::format("{}", x.completed),
           fmt::format("{}", x.departed),
           fmt::format("{}", x.connections),
           csv_fixed(x.upload_rate, 3),
           csv_fixed(x.seed_upload_rate, 3),
           csv_fixed(x.upload_utilisation, 6),
           fmt::format("{}", x.availability_min),
           csv_fixed(x.availability_mean, 6),
           csv_fixed(x.entropy, 6),
           fmt::format("{}", x.pieces_only_at_seeds),
           csv_fixed(x.peer_availability, 6),
           fmt::format("{}", x.events)};
    if (viewers) append_range(row, playback_sample_fields(x.playback.value_or(playback_sample{})));
    append_row(out, row);
  }
  return out;
}

std::string format_summary_json(const run_summary& s, wall_clock_fields wall) {
  const auto distribution = [](const std::optional<distribution_stats>& d) {
    return distribution_object(d, 2).str();
  };
  const auto count = [](const std::optional<std::uint32_t>& v) {
    return v ? fmt::format("{}", *v) : std::string("null");
  };
  json_object o(0);
  o.string("swarmsim_version", version())
      .string("scenario", s.scenario)
      .integer("seed", s.seed)
      .integer("peers", s.peers)
      .integer("initial_seeds", s.initial_seeds)
      .integer("leechers", s.leechers)
      .integer("completed", s.completed)
      .integer("aborted", s.aborted)
      .number("completed_fraction", s.completed_fraction, 6)
      .raw("download_time_s", distribution(s.download_time))
      .raw("time_to_first_piece_s", distribution(s.time_to_first_piece))
      .raw("share_ratio", distribution(s.share_ratio))
      .seconds("all_done_s", s.all_done)
      .seconds("distribution_time_s", s.distribution_time)
      .seconds("t_min_s", s.t_min)
      .number("distribution_time_over_t_min", s.distribution_time_over_t_min, 6)
      .seconds("simulated_time_s", s.simulated_time)
      .integer("events", s.events)
      .integer("bytes_uploaded", s.bytes_uploaded)
      .integer("bytes_downloaded", s.bytes_downloaded)
      .integer("bytes_wasted", s.bytes_wasted)
      .integer("peak_leechers", s.peak_leechers)
      .number("upload_utilisation", s.upload_utilisation, 6)
      .number("mean_upload_utilisation", s.mean_upload_utilisation, 6)
      .raw("availability_min", count(s.availability_min))
      .number("availability_mean", s.availability_mean, 6)
      .number("entropy_min", s.entropy_min, 6)
      .number("entropy_mean", s.entropy_mean, 6)
      .raw("pieces_only_at_seeds_max", count(s.pieces_only_at_seeds_max))
      .number("pieces_only_at_seeds_mean", s.pieces_only_at_seeds_mean, 6);
  if (s.playback) o.raw("playback", playback_summary_json(*s.playback));
  if (wall == wall_clock_fields::include) {
    o.number("wall_time_s", s.wall_seconds, 3)
        .number("events_per_wall_second", s.events_per_wall_second, 1);
  }
  return o.str() + "\n";
}

fs::path write_peers_csv(output_directory& dir, std::span<const peer_record> peers) {
  return dir.add(peers_csv_name, format_peers_csv(peers));
}

fs::path write_timeseries_csv(output_directory& dir, std::span<const sample> samples) {
  return dir.add(timeseries_csv_name, format_timeseries_csv(samples));
}

fs::path write_summary_json(output_directory& dir, const run_summary& s, wall_clock_fields wall) {
  return dir.add(summary_json_name, format_summary_json(s, wall));
}

void print_summary(std::FILE* out, const run_summary& s) {
  const auto secs = [](duration d) { return fixed(protocol::to_seconds(d), 3, "-"); };
  fmt::print(out, "scenario {}, seed {}\n", s.scenario, s.seed);
  fmt::print(out, "leechers completed: {}/{}", s.completed, s.leechers);
  if (s.aborted > 0) fmt::print(out, " ({} left without completing)", s.aborted);
  fmt::print(out, "\n");
  if (s.download_time) {
    const distribution_stats& d = *s.download_time;
    fmt::print(out, "download time: min {} s, median {} s, p90 {} s, max {} s (mean {} s)\n",
               fixed(d.min, 3, "-"), fixed(d.median, 3, "-"), fixed(d.p90, 3, "-"),
               fixed(d.max, 3, "-"), fixed(d.mean, 3, "-"));
  } else {
    fmt::print(out, "download time: no leecher completed\n");
  }
  if (s.all_done) {
    fmt::print(out, "all done at: {} s (distribution time {} s", secs(*s.all_done),
               secs(*s.distribution_time));
    if (s.distribution_time_over_t_min) {
      fmt::print(out, " = {} x T_min {} s", fixed(*s.distribution_time_over_t_min, 3, "-"),
                 secs(*s.t_min));
    }
    fmt::print(out, ")\n");
  } else if (s.leechers > 0) {
    fmt::print(out, "all done at: not every leecher completed\n");
  }
  if (s.playback) fmt::print(out, "{}", playback_summary_text(*s.playback));
  fmt::print(out, "simulated time: {} s, {} events\n", secs(s.simulated_time), s.events);
  fmt::print(out, "wall time: {} s", fixed(s.wall_seconds, 3, "-"));
  if (s.events_per_wall_second) {
    fmt::print(out, ", {} events/s", fixed(*s.events_per_wall_second, 0, "-"));
  }
  fmt::print(out, "\n");
}

}  // namespace swarmsim::sim
