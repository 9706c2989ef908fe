// `swarmsim torrent create PATH --announce URL [--piece-size S] -o FILE.torrent`
// and `swarmsim torrent show FILE.torrent`.

#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "protocol/types.hpp"
#include "sim/real/commands/commands.hpp"
#include "sim/real/commands/transfer_progress.hpp"
#include "sim/real/storage/torrent_file.hpp"
#include "sim/real/storage/torrent_maker.hpp"
#include "sim/real/tracker/tracker_client.hpp"
#include "sim/results/text_escape.hpp"
#include "sim/results/version.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::real {

namespace {

struct create_settings {
  std::string path;
  std::string announce;
  std::string piece_size;
  std::string output;
  bool private_torrent = false;
  bool no_date = false;
  bool any_tracker = false;  // --any-tracker: keep a URL our clients cannot announce to
};

int create_torrent(const create_settings& s) {
  if (s.announce.find("://") == std::string::npos) {
    fmt::print(stderr,
               "error: --announce: '{}' is not a URL (e.g. http://127.0.0.1:6969/announce)\n",
               s.announce);
    return 2;
  }
  // A torrent swarmsim's own seed and download could not announce with is
  // refused here rather than at the download, unless it is meant for others.
  if (const auto url = parse_http_url(s.announce); !url && !s.any_tracker) {
    fmt::print(stderr,
               "error: --announce: {}: swarmsim's seed and download announce over HTTP only; "
               "give http://HOST:PORT/announce (`swarmsim tracker` prints its own), or add "
               "--any-tracker to make the torrent for other clients anyway\n",
               url.error);
    return 2;
  }
  make_torrent_options o;
  o.announce = s.announce;
  if (!s.piece_size.empty()) {
    const auto size = parse_size(s.piece_size);
    if (!size) {
      fmt::print(stderr, "error: --piece-size: {}\n", size.error);
      return 2;
    }
    if (auto why = check_piece_size(*size)) {
      fmt::print(stderr, "error: --piece-size: {}\n", *why);
      return 2;
    }
    o.piece_size = static_cast<std::uint32_t>(*size);
  }
  o.torrent.private_torrent = s.private_torrent;
  o.torrent.created_by = fmt::format("swarmsim {}", version());
  if (!s.no_date)
    o.torrent.creation_date = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  const bool tty = ::isatty(STDERR_FILENO);
  auto last = std::chrono::steady_clock::now();
  if (tty)
    o.progress = [&](std::uint64_t done, std::uint64_t total) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(200) && done != total) return;
      last = now;
      fmt::print(stderr, "\rhashing {} / {}\x1b[K", human_bytes(static_cast<double>(done)),
                 human_bytes(static_cast<double>(total)));
    };
  protocol::metainfo meta;
  try {
    meta = make_torrent(s.path, o);
  } catch (const torrent_maker_error& e) {
    if (tty) fmt::print(stderr, "\r\x1b[K");
    fmt::print(stderr, "error: {}\n", printable(e.what()));
    return 2;
  }
  if (tty) fmt::print(stderr, "\r\x1b[K");
  try {
    write_torrent_file(s.output, meta);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  fmt::print("{}: {} ({} in {} file{}, {} pieces of {}), info hash {}\n", s.output,
             printable(meta.name), human_bytes(static_cast<double>(meta.total_size())),
             meta.files.size(), meta.files.size() == 1 ? "" : "s", meta.num_pieces(),
             format_size(meta.piece_length), protocol::to_hex(meta.info_hash));
  return 0;
}

std::string file_path_text(const protocol::file_entry& f, const std::string& name) {
  if (f.path.empty()) return name;
  std::string out = name;
  for (const auto& c : f.path)
    out += "/" + c;
  return out;
}

int show_torrent(const std::string& file) {
  const auto m = read_torrent_file(file);
  if (!m) {
    fmt::print(stderr, "error: {}\n", printable(m.error));
    return 2;
  }
  const auto& meta = *m;
  fmt::print("name:       {}\n", printable(meta.name));
  fmt::print("info hash:  {}\n", protocol::to_hex(meta.info_hash));
  const std::string url = announce_url(meta);
  fmt::print("announce:   {}\n", url.empty() ? "(none)" : printable(url));
  fmt::print("size:       {} bytes ({})\n", meta.total_size(),
             human_bytes(static_cast<double>(meta.total_size())));
  fmt::print("pieces:     {} of {}\n", meta.num_pieces(), format_size(meta.piece_length));
  if (meta.private_torrent) fmt::print("private:    yes\n");
  if (meta.created_by) fmt::print("created by: {}\n", printable(*meta.created_by));
  fmt::print("files:      {}\n", meta.files.size());
  for (const auto& f : meta.files)
    fmt::print("  {:>14}  {}\n", f.length, printable(file_path_text(f, meta.name)));
  return 0;
}

}  // namespace

command add_torrent_command(CLI::App& app) {
  auto* torrent = app.add_subcommand("torrent", "Create or inspect .torrent files");
  torrent->require_subcommand(1);

  auto create = std::make_shared<create_settings>();
  auto* c = torrent->add_subcommand("create", "Make a .torrent from a file or a directory");
  c->add_option("path", create->path, "File or directory to share")->required();
  c->add_option("--announce", create->announce, "Tracker announce URL (http://HOST:PORT/announce)")
      ->required();
  c->add_option("--piece-size", create->piece_size,
                "Piece size, a power of two >= 16KiB (default: at most 2000 pieces)");
  c->add_option("-o,--output", create->output, "The .torrent file to write")->required();
  c->add_flag("--private", create->private_torrent, "Mark the torrent private (BEP 27)");
  c->add_flag("--no-date", create->no_date, "Leave out the creation date (reproducible output)");
  c->add_flag("--any-tracker", create->any_tracker,
              "Accept an announce URL swarmsim's clients cannot use (udp://, https://), for a "
              "torrent meant for other clients");

  auto show_file = std::make_shared<std::string>();
  auto* s =
      torrent->add_subcommand("show", "Print a .torrent's name, size, pieces, info hash, files");
  s->add_option("file", *show_file, "The .torrent file")->required();

  return command{torrent, [c, s, create, show_file]() -> int {
                   if (c->parsed()) return create_torrent(*create);
                   if (s->parsed()) return show_torrent(*show_file);
                   return 2;
                 }};
}

}  // namespace swarmsim::sim::real
