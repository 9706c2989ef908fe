// `swarmsim tracker`: the HTTP tracker as a long-running process, with a live
// view of its torrents when stdout is a terminal and one log line per announce
// otherwise. Ctrl-C (SIGINT) or SIGTERM stops it cleanly.

#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

#include <csignal>
#include <ctime>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "protocol/metainfo.hpp"
#include "sim/real/commands/commands.hpp"
#include "sim/real/tracker/http_tracker.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::real {

namespace {

namespace asio = boost::asio;

constexpr auto redraw_interval = std::chrono::milliseconds(500);

enum class output_mode : std::uint8_t { live_view, log_lines, quiet };

struct tracker_command_options {
  std::string listen = "127.0.0.1:6969";
  std::string interval = "30s";
  std::vector<std::string> torrents;
  bool whitelist = false;
  std::uint32_t max_torrents = protocol::tracker_options{}.max_torrents;
  std::size_t max_per_address = 32;
  bool no_full_scrape = false;
  bool quiet = false;
};

struct known_torrent {
  protocol::sha1_hash info_hash{};
  std::uint64_t size = 0;
  std::string name;
};

std::string wall_clock_text() {
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  return fmt::format("{:02}:{:02}:{:02}", local.tm_hour, local.tm_min, local.tm_sec);
}

std::string_view event_name(protocol::announce_event e) {
  switch (e) {
    case protocol::announce_event::none:
      return "none";
    case protocol::announce_event::started:
      return "started";
    case protocol::announce_event::completed:
      return "completed";
    case protocol::announce_event::stopped:
      return "stopped";
  }
  return "none";
}

void log_announce(const announce_record& r) {
  if (r.failure) {
    fmt::print("{} refused {}: {}\n", wall_clock_text(), protocol::to_string(r.from), *r.failure);
  } else {
    fmt::print(
        "{} announce {} from {} {} event={} left={} -> seeds {} leechers {}, {} peers sent\n",
        wall_clock_text(), protocol::to_hex(r.info_hash), protocol::to_string(r.from),
        client_tag(r.peer), event_name(r.event), r.left, r.complete, r.incomplete,
        r.peers_returned);
  }
  std::fflush(stdout);
}

struct terminal_size {
  std::size_t width = 100;
  std::size_t height = 30;
};

terminal_size stdout_size() {
  terminal_size s;
  winsize w{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0 && w.ws_row > 0) {
    s.width = w.ws_col;
    s.height = w.ws_row;
  }
  return s;
}

// Loads each .torrent for its info hash, size and name; an error names the file.
std::vector<known_torrent> load_torrents(const std::vector<std::string>& paths) {
  std::vector<known_torrent> out;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(fmt::format("--torrent {}: cannot read the file", path));
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                          std::istreambuf_iterator<char>()};
    auto m = protocol::parse_torrent(bytes);
    if (!m) throw std::runtime_error(fmt::format("--torrent {}: {}", path, m.error()));
    out.push_back({m.get().info_hash, m.get().total_size(), m.get().name});
  }
  return out;
}

// Redraws the live view every redraw_interval until stopped.
class view_loop {
 public:
  view_loop(asio::io_context& io, const http_tracker& tracker)
      : timer_(io), tracker_(tracker), view_(stdout) {}

  void start() { tick(); }
  void stop() {
    stopped_ = true;
    timer_.cancel();
    draw();
    view_.finish();
  }

 private:
  // Only while the process is in the terminal's foreground: `tracker &` draws
  // nothing over the commands that follow it, and starts a fresh frame when
  // brought back with `fg`.
  void draw() {
    if (!in_foreground()) {
      view_.forget();
      return;
    }
    const auto size = stdout_size();
    view_.draw(render_view(tracker_.snapshot(), size.width - 1, size.height - 1));
  }
  static bool in_foreground() {
    const pid_t group = ::tcgetpgrp(STDOUT_FILENO);
    return group != -1 && group == ::getpgrp();
  }
  void tick() {
    if (stopped_) return;
    draw();
    timer_.expires_after(redraw_interval);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) tick();
    });
  }

  asio::steady_timer timer_;
  const http_tracker& tracker_;
  live_view view_;
  bool stopped_ = false;
};

// The tracker's settings from the flags (already checked).
http_tracker_options http_options_of(const tracker_command_options& o, protocol::duration interval,
                                     const std::vector<known_torrent>& torrents) {
  http_tracker_options options;
  options.tracker.interval = interval;
  options.tracker.min_interval = std::min<protocol::duration>(interval, std::chrono::seconds(60));
  options.tracker.expire_after = 3 * interval;
  options.tracker.max_torrents = o.max_torrents;
  if (o.whitelist) {
    options.tracker.allowed_torrents.emplace();
    for (const auto& t : torrents)
      options.tracker.allowed_torrents->push_back(t.info_hash);
  }
  options.max_connections_per_address = o.max_per_address;
  options.scrape_all = o.no_full_scrape ? full_scrape::refused : full_scrape::allowed;
  options.seed =
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return options;
}

int run_tracker(const tracker_command_options& o) {
  const auto listen = parse_listen_endpoint(o.listen);
  if (!listen) {
    fmt::print(stderr, "swarmsim: error: --listen: \"{}\" is not IPV4:PORT (e.g. 127.0.0.1:6969)\n",
               o.listen);
    return 2;
  }
  const auto interval = parse_duration(o.interval);
  if (!interval || *interval < std::chrono::seconds(1)) {
    fmt::print(stderr, "swarmsim: error: --interval: \"{}\": {}\n", o.interval,
               interval ? "must be at least 1 s" : interval.error);
    return 2;
  }
  std::vector<known_torrent> torrents;
  try {
    torrents = load_torrents(o.torrents);
  } catch (const std::exception& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 2;
  }

  if (o.whitelist && torrents.empty()) {
    fmt::print(stderr, "swarmsim: error: --whitelist: give the allowed torrents with --torrent\n");
    return 2;
  }

  const http_tracker_options options = http_options_of(o, *interval, torrents);
  const output_mode mode = o.quiet                   ? output_mode::quiet
                           : ::isatty(STDOUT_FILENO) ? output_mode::live_view
                                                     : output_mode::log_lines;
  asio::io_context io;
  std::unique_ptr<http_tracker> tracker;
  try {
    tracker = std::make_unique<http_tracker>(io, *listen, options);
  } catch (const boost::system::system_error& e) {
    fmt::print(stderr, "swarmsim: error: cannot listen on {}: {}{}\n", o.listen, e.code().message(),
               listen_hint(e));
    return 1;
  }
  try {
    for (const auto& t : torrents)
      tracker->add_torrent_info(t.info_hash, t.size, t.name);
    if (mode != output_mode::quiet)
      fmt::print(stderr, "swarmsim tracker: listening on {} (interval {}), Ctrl-C stops\n",
                 tracker->announce_url(), format_duration(*interval));
    if (mode == output_mode::log_lines) tracker->on_announce(log_announce);

    std::unique_ptr<view_loop> view;
    if (mode == output_mode::live_view) {
      view = std::make_unique<view_loop>(io, *tracker);
      view->start();
    }
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      tracker->stop();
      if (view) view->stop();
      io.stop();
    });
    io.run();
    if (mode != output_mode::quiet) fmt::print(stderr, "swarmsim tracker: stopped\n");
  } catch (const std::exception& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

command add_tracker_command(CLI::App& app) {
  auto o = std::make_shared<tracker_command_options>();
  auto* sub = app.add_subcommand(
      "tracker", "Run the HTTP BitTorrent tracker (BEP 3/23/48) on real sockets, with a live view");
  sub->add_option("--listen", o->listen, "IPv4 address and port to listen on")
      ->capture_default_str()
      ->type_name("HOST:PORT");
  sub->add_option("--interval", o->interval,
                  "Re-announce interval sent to peers (peers silent for 3 intervals expire)")
      ->capture_default_str()
      ->type_name("DURATION");
  sub->add_option("--torrent", o->torrents,
                  "A .torrent file whose size and name the live view should show (repeatable)")
      ->type_name("FILE");
  sub->add_flag("--whitelist", o->whitelist,
                "Track only the --torrent files; announces for other torrents are refused");
  sub->add_option("--max-torrents", o->max_torrents,
                  "Most torrents tracked at once; announces for new ones past it are refused")
      ->capture_default_str()
      ->check(CLI::Range(std::uint32_t{1}, std::numeric_limits<std::uint32_t>::max()));
  sub->add_option("--max-connections-per-address", o->max_per_address,
                  "Most open connections from one IP address (512 in all)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{512}));
  sub->add_flag("--no-full-scrape", o->no_full_scrape,
                "Refuse /scrape without info_hash (a full scrape lists up to 10000 torrents)");
  sub->add_flag("--quiet,-q", o->quiet, "Print nothing (no live view, no log lines)");
  return {sub, [o] { return run_tracker(*o); }};
}

}  // namespace swarmsim::sim::real
