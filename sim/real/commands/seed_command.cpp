// `swarmsim seed FILE.torrent --data PATH [--listen HOST:PORT] [--peer HOST:PORT]...
//  [--upload-rate R] [--for D]`

#include "sim/real/commands/seed_command.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

#include <csignal>
#include <memory>

#include "sim/real/commands/commands.hpp"
#include "sim/real/commands/transfer_progress.hpp"
#include "sim/real/storage/file_storage.hpp"
#include "sim/real/storage/torrent_file.hpp"
#include "sim/real/tracker/http_tracker.hpp"
#include "sim/results/text_escape.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::real {

namespace asio = boost::asio;

namespace {
constexpr auto poll_interval = std::chrono::milliseconds(200);
}

int run_seed(const seed_settings& s) {
  const auto inputs = read_peer_command_inputs(s.torrent, s.listen, s.peers);
  if (!inputs) return 2;
  const protocol::metainfo& meta = inputs->meta;
  const std::vector<protocol::endpoint>& peers = inputs->peers;
  const std::string url = announce_url(meta);
  std::unique_ptr<http_tracker_client> tracker;
  asio::io_context io;
  try {
    tracker = std::make_unique<http_tracker_client>(io, url);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "error: {}: announce: {}\n", s.torrent.string(), e.what());
    return 2;
  }

  const auto content = locate_content(meta, s.data);
  std::unique_ptr<file_storage> store;
  try {
    store = std::make_unique<file_storage>(meta, content, storage_mode::existing);
  } catch (const storage_error& e) {
    fmt::print(stderr, "error: --data {} does not match {}: {}\n", s.data.string(),
               s.torrent.string(), e.what());
    return 2;
  }
  const bool tty = !s.quiet && ::isatty(STDERR_FILENO);
  protocol::bitfield have;
  try {
    have = check_pieces(*store, meta, [&](std::uint32_t done) {
      if (tty && (done % 64 == 0 || done == meta.num_pieces()))
        fmt::print(stderr, "\rchecking {} / {} pieces\x1b[K", done, meta.num_pieces());
    });
  } catch (const storage_error& e) {
    fmt::print(stderr, "\nerror: {}\n", printable(e.what()));
    return 1;
  }
  if (tty) fmt::print(stderr, "\r\x1b[K");
  if (!have.all()) {
    std::uint32_t first = 0;
    while (have.test(first))
      ++first;
    fmt::print(stderr,
               "error: --data {} does not match {}: {} of {} pieces fail their SHA-1 check "
               "(first: piece {} at byte {})\n",
               content.string(), s.torrent.string(), meta.num_pieces() - have.count(),
               meta.num_pieces(), first, std::uint64_t{first} * meta.piece_length);
    return 2;
  }

  peer_host_options o;
  o.peer = s.peer;
  o.listen = inputs->listen;
  o.upload_rate = s.upload_rate;
  o.encryption = s.encryption;
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
  host->start(have);
  // A client that ignores tracker peers on 127.x (Transmission) would otherwise
  // wait up to an announce interval for us.
  if (!peers.empty()) host->add_peers(peers);
  if (!s.quiet)
    fmt::print(stderr, "seeding {} ({}, info hash {}) on {}:{} via {}\n", printable(meta.name),
               human_bytes(static_cast<double>(meta.total_size())),
               protocol::to_hex(meta.info_hash), host->local_endpoint().address().to_string(),
               host->port(), url);
  if (s.on_listening) s.on_listening(host->port());

  bool stopping = false;
  const auto stop = [&] {
    if (stopping) return;
    stopping = true;
    progress.finish();
    host->stop([&io] { io.stop(); });
  };
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  const auto started = std::chrono::steady_clock::now();
  asio::steady_timer poll(io);
  std::function<void()> tick = [&] {
    poll.expires_after(poll_interval);
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      const auto st = host->status();
      progress.update(transfer_sample{st.bytes_had, st.total_bytes, st.downloaded, st.uploaded,
                                      st.connections});
      const bool expired = s.run_for && std::chrono::steady_clock::now() - started >= *s.run_for;
      if (!st.fatal_error.empty() || expired || (s.should_stop && s.should_stop())) {
        stop();
        return;
      }
      tick();
    });
  };
  tick();
  io.run();
  progress.finish();
  const auto st = host->status();
  if (!s.quiet)
    fmt::print(stderr, "stopped seeding {}: uploaded {}\n", printable(meta.name),
               human_bytes(static_cast<double>(st.uploaded)));
  return st.fatal_error.empty() ? 0 : 1;
}

command add_seed_command(CLI::App& app) {
  auto settings = std::make_shared<seed_settings>();
  auto* sub = app.add_subcommand("seed", "Serve a torrent's data over TCP (real-socket mode)");
  sub->add_option("torrent", settings->torrent, "The .torrent file")->required();
  sub->add_option("--data", settings->data,
                  "The content: the file (or its directory) of a single-file torrent, the "
                  "directory of a multi-file one")
      ->required();
  sub->add_option("--listen", settings->listen, "HOST:PORT to accept peers on (port 0: any)")
      ->capture_default_str();
  sub->add_option("--peer", settings->peers, "Also connect to this HOST:PORT (repeatable)");
  add_rate_option(*sub, "--upload-rate", settings->upload_rate,
                  "Upload limit, e.g. 10MiB/s (default: none)");
  add_encryption_option(*sub, settings->encryption);
  add_strategy_options(*sub, settings->peer, false);
  add_duration_option(*sub, "--for", settings->run_for,
                      "Stop after this long, e.g. 10min (default: until Ctrl-C)");
  sub->add_flag("-q,--quiet", settings->quiet, "No status line or log messages");
  return command{sub, [settings]() -> int { return run_seed(*settings); }};
}

}  // namespace swarmsim::sim::real
