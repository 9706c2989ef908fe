// `swarmsim download FILE.torrent --out DIR [--listen HOST:PORT] [--peer HOST:PORT]...`

#include "sim/real/commands/download_command.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

#include <csignal>
#include <memory>

#include "sim/real/commands/commands.hpp"
#include "sim/real/commands/transfer_progress.hpp"
#include "sim/real/network/peer_host.hpp"
#include "sim/real/storage/file_storage.hpp"
#include "sim/real/storage/torrent_file.hpp"
#include "sim/real/tracker/http_tracker.hpp"
#include "sim/results/text_escape.hpp"
#include "sim/scenario/strategy_catalog.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::real {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr auto poll_interval = std::chrono::milliseconds(200);

// Stands in for a tracker when the torrent has none usable and peers are given
// on the command line: every announce succeeds with no peers.
class no_tracker final : public tracker_client {
 public:
  explicit no_tracker(asio::io_context& io) : io_(io) {}
  void announce(const protocol::announce_request&, handler done) override {
    asio::post(io_, [done = std::move(done)] {
      protocol::announce_response r;
      r.interval = std::chrono::hours(1);
      done(parsed<protocol::announce_response>::ok(std::move(r)));
    });
  }

 private:
  asio::io_context& io_;
};

enum class outcome : std::uint8_t { running, complete, interrupted, timed_out, failed };

// Whether DIR/NAME already holds the complete, verified content.
bool already_complete(const protocol::metainfo& meta, const fs::path& path) {
  try {
    file_storage existing(meta, path, storage_mode::existing);
    return check_pieces(existing, meta).all();
  } catch (const storage_error&) {
    return false;
  }
}

}  // namespace

fs::path download_path(const fs::path& out, const std::string& name) {
  return out / name;
}

fs::path partial_path(const fs::path& out, const std::string& name) {
  return out / (name + ".part");
}

std::string playback_report(const protocol::playback_metrics& m) {
  const auto secs = [](protocol::duration d) { return protocol::to_seconds(d); };
  if (!m.startup_delay) return "playback: never started";
  std::string out =
      fmt::format("playback: started after {:.1f} s, {} stall{} ({:.1f} s)", secs(*m.startup_delay),
                  m.stalls, m.stalls == 1 ? "" : "s", secs(m.stall_time));
  if (m.on_time + m.late > 0) out += fmt::format(", continuity {:.3f}", m.continuity());
  if (m.skipped > 0) out += fmt::format(", {} pieces skipped", m.skipped);
  return out;
}

int run_download(const download_settings& s) {
  const auto inputs = read_peer_command_inputs(s.torrent, s.listen, s.peers);
  if (!inputs) return 2;
  const protocol::metainfo& meta = inputs->meta;
  const std::vector<protocol::endpoint>& peers = inputs->peers;
  asio::io_context io;
  std::unique_ptr<tracker_client> tracker;
  const std::string url = announce_url(meta);
  try {
    tracker = std::make_unique<http_tracker_client>(io, url);
  } catch (const std::invalid_argument& e) {
    if (peers.empty()) {
      fmt::print(stderr, "error: {}: announce: {}\n", s.torrent.string(),
                 url.empty() ? std::string("missing (and no --peer given)") : e.what());
      return 2;
    }
    tracker = std::make_unique<no_tracker>(io);
  }

  const fs::path final_path = download_path(s.out, meta.name);
  const fs::path part_path = partial_path(s.out, meta.name);
  std::error_code ec;
  const bool out_existed = fs::exists(s.out, ec);
  fs::create_directories(s.out, ec);
  if (ec) {
    fmt::print(stderr, "error: --out {}: {}\n", s.out.string(), ec.message());
    return 1;
  }
  if (fs::exists(final_path, ec)) {
    if (already_complete(meta, final_path)) {
      if (!s.quiet)
        fmt::print(stderr, "{} is already complete and verified\n", printable(final_path.string()));
      return 0;
    }
    fmt::print(stderr, "error: {} exists and does not match {}; move it away first\n",
               printable(final_path.string()), printable(s.torrent.string()));
    return 1;
  }

  const bool tty = !s.quiet && ::isatty(STDERR_FILENO);
  std::unique_ptr<file_storage> store;
  protocol::bitfield have;
  try {
    store = std::make_unique<file_storage>(meta, part_path, storage_mode::create);
    have = store->created_fresh()
               ? protocol::bitfield(meta.num_pieces())
               : check_pieces(*store, meta, [&](std::uint32_t done) {
                   if (tty && (done % 64 == 0 || done == meta.num_pieces()))
                     fmt::print(stderr, "\rchecking {} / {} pieces on disk\x1b[K", done,
                                meta.num_pieces());
                 });
  } catch (const storage_error& e) {
    if (!out_existed) fs::remove(s.out, ec);  // only if file_storage left it empty
    fmt::print(stderr, "error: {}\n", printable(e.what()));
    return 1;
  }
  if (tty) fmt::print(stderr, "\r\x1b[K");
  if (have.count() > 0 && !s.quiet)
    fmt::print(stderr, "resuming {}: {} of {} pieces already verified on disk\n",
               printable(meta.name), have.count(), meta.num_pieces());

  peer_host_options o;
  o.peer = s.peer;
  o.listen = inputs->listen;
  o.upload_rate = s.upload_rate;
  o.encryption = s.encryption;
  o.download_rate = s.download_rate;
  std::unique_ptr<peer_host> host;
  try {
    host = std::make_unique<peer_host>(io, meta, *store, *tracker, o);
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "error: --listen {}: {}{}\n", s.listen, e.what(), listen_hint(e));
    return 1;
  }
  transfer_progress progress(stderr, tty ? progress_display::on : progress_display::off);
  host->on_log([&](std::string_view text) {
    if (s.quiet) return;
    if (progress.on()) fmt::print(stderr, "\r\x1b[K");
    fmt::print(stderr, "{}\n", printable(text));
  });

  outcome result = outcome::running;
  std::string failure;
  const auto started = std::chrono::steady_clock::now();
  const auto finish = [&](outcome o2) {
    if (result != outcome::running) return;
    result = o2;
    progress.finish();
    host->stop([&io] { io.stop(); });
  };
  host->on_complete([&] {
    if (result != outcome::running) return;
    result = outcome::complete;
    progress.finish();
    host->stop([&io] { io.stop(); });
    try {
      store->flush();
      store->close();
      fs::rename(part_path, final_path);
    } catch (const std::exception& e) {
      result = outcome::failed;
      failure = e.what();
    }
  });
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& e, int) {
    if (!e) finish(outcome::interrupted);
  });
  asio::steady_timer poll(io);
  std::function<void()> tick = [&] {
    poll.expires_after(poll_interval);
    poll.async_wait([&](const boost::system::error_code& e) {
      if (e || result != outcome::running) return;
      const auto st = host->status();
      progress.update(transfer_sample{st.bytes_had, st.total_bytes, st.downloaded, st.uploaded,
                                      st.connections});
      if (!st.fatal_error.empty()) {
        failure = st.fatal_error;
        finish(outcome::failed);
      } else if (s.timeout && std::chrono::steady_clock::now() - started >= *s.timeout) {
        finish(outcome::timed_out);
      } else if (s.should_stop && s.should_stop()) {
        finish(outcome::interrupted);
      } else {
        tick();
      }
    });
  };

  try {
    host->start(have);
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  if (!peers.empty()) host->add_peers(peers);
  if (!s.quiet && result == outcome::running)
    fmt::print(stderr, "downloading {} ({}) into {} via {}\n", printable(meta.name),
               human_bytes(static_cast<double>(meta.total_size())), s.out.string(),
               url.empty() ? std::string("--peer") : url);
  tick();
  io.run();
  progress.finish();
  if (const protocol::playback* pb = host->logic().playback_state(); pb && !s.quiet)
    fmt::print(stderr, "{}\n", playback_report(pb->outcome(host->now(), host->logic().have())));

  const auto st = host->status();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  switch (result) {
    case outcome::complete:
      if (!s.quiet) {
        // A resumed download names what moved in this run apart from the whole.
        const std::string moved =
            have.count() == 0
                ? human_bytes(static_cast<double>(st.total_bytes))
                : fmt::format("{} of {} ({} pieces were on disk already)",
                              human_bytes(static_cast<double>(st.downloaded)),
                              human_bytes(static_cast<double>(st.total_bytes)), have.count());
        fmt::print(stderr,
                   "downloaded {}: {} in {:.1f} s ({}/s), all {} pieces verified ({} failed a "
                   "check and were fetched again)\n",
                   printable(final_path.string()), moved, seconds,
                   human_bytes(static_cast<double>(st.downloaded) / std::max(seconds, 1e-3)),
                   st.num_pieces, st.hash_failures);
      }
      return 0;
    case outcome::interrupted:
      fmt::print(stderr, "interrupted with {} of {} pieces; run again to resume\n", st.pieces_had,
                 st.num_pieces);
      return 1;
    case outcome::timed_out:
      fmt::print(stderr, "error: timed out with {} of {} pieces; run again to resume\n",
                 st.pieces_had, st.num_pieces);
      return 1;
    case outcome::failed:
    case outcome::running:
      break;
  }
  fmt::print(stderr, "error: {}\n",
             failure.empty() ? std::string("download failed") : printable(failure));
  return 1;
}

command add_download_command(CLI::App& app) {
  auto settings = std::make_shared<download_settings>();
  auto* sub = app.add_subcommand("download", "Download a torrent over TCP (real-socket mode)");
  sub->add_option("torrent", settings->torrent, "The .torrent file")->required();
  sub->add_option("--out", settings->out, "Directory to download into")->required();
  sub->add_option("--listen", settings->listen, "HOST:PORT to accept peers on (port 0: any)")
      ->capture_default_str();
  sub->add_option("--peer", settings->peers, "Also connect to this HOST:PORT (repeatable)");
  add_rate_option(*sub, "--upload-rate", settings->upload_rate,
                  "Upload limit, e.g. 1MiB/s (default: none)");
  add_rate_option(*sub, "--download-rate", settings->download_rate,
                  "Download limit (default: none)");
  add_encryption_option(*sub, settings->encryption);
  add_strategy_options(*sub, settings->peer, true);
  add_duration_option(*sub, "--timeout", settings->timeout,
                      "Give up after this long, e.g. 10min (default: never)");
  add_rate_option(*sub, "--bitrate", settings->peer.playback.bitrate,
                  "Play along while downloading at this rate, e.g. 2Mbit/s, and report the "
                  "startup delay, stalls and continuity at the end");
  auto* start = add_duration_option(*sub, "--start-buffer", settings->start_buffer,
                                    "With --bitrate: start playing once this much is buffered "
                                    "(default 10s)");
  auto* stream = sub->add_flag("--stream", settings->stream,
                               "Download for playback: needs --bitrate; the picker is bitos "
                               "unless --picker names another");
  sub->add_flag("-q,--quiet", settings->quiet, "No progress bar or messages");
  return command{sub, [settings, sub, start, stream]() -> int {
                   download_settings& s = *settings;
                   if ((stream->count() > 0 || start->count() > 0) && !s.peer.playback.enabled()) {
                     fmt::print(stderr,
                                "error: {} needs --bitrate (the rate the content "
                                "plays at, e.g. 2Mbit/s)\n",
                                stream->count() > 0 ? "--stream" : "--start-buffer");
                     return 2;
                   }
                   if (s.start_buffer) s.peer.playback.start_buffer = *s.start_buffer;
                   if (s.stream && sub->count("--picker") == 0) {
                     const protocol::strategy_info* bitos =
                         strategy_catalog().find(protocol::strategy_kind::picker, "bitos");
                     s.peer.picker.policy = {bitos, *protocol::resolve(*bitos, {}).params};
                   }
                   return run_download(s);
                 }};
}

}  // namespace swarmsim::sim::real
