#include "sim/real/run/real_run.hpp"

#include <sys/resource.h>
#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <list>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>

#include "protocol/torrent_geometry.hpp"
#include "sim/engine/choreography.hpp"
#include "sim/engine/population.hpp"
#include "sim/engine/rng.hpp"
#include "sim/engine/topology.hpp"
#include "sim/real/network/peer_host.hpp"
#include "sim/real/storage/file_storage.hpp"
#include "sim/real/storage/torrent_maker.hpp"
#include "sim/real/tracker/http_tracker.hpp"
#include "sim/results/playback_results.hpp"
#include "sim/results/theory.hpp"

namespace swarmsim::sim::real {

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

constexpr auto poll_interval = std::chrono::milliseconds(100);
constexpr auto loop_slice = std::chrono::milliseconds(20);
constexpr std::string_view content_name = "content.bin";

// A directory removed with everything in it when this goes away.
class scratch_directory {
 public:
  explicit scratch_directory(const fs::path& parent) {
    std::random_device rd;
    path_ = (parent.empty() ? fs::temp_directory_path() : parent) /
            fmt::format("swarmsim-real-{}-{:08x}", ::getpid(), rd());
    fs::create_directories(path_);
  }
  ~scratch_directory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  scratch_directory(const scratch_directory&) = delete;
  scratch_directory& operator=(const scratch_directory&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// `size` pseudo-random bytes (splitmix64 of `seed`), so no two pieces match.
void generate_content(const fs::path& file, std::uint64_t size, std::uint64_t seed) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(fmt::format("{}: cannot create", file.string()));
  std::vector<std::uint64_t> chunk(1 << 17);  // 1 MiB
  std::uint64_t state = seed;
  for (std::uint64_t done = 0; done < size;) {
    for (auto& w : chunk)
      w = splitmix64(state++);
    const std::uint64_t n = std::min<std::uint64_t>(size - done, chunk.size() * 8);
    out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(n));
    done += n;
  }
  out.close();
  if (!out) throw std::runtime_error(fmt::format("{}: cannot write", file.string()));
}

// Raises the soft descriptor limit towards the hard one if `need` exceeds it.
void ensure_descriptors(std::uint64_t need) {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= need) return;
  rlimit raised = r;
  raised.rlim_cur = std::min<rlim_t>(r.rlim_max, std::max<rlim_t>(need, r.rlim_cur));
  ::setrlimit(RLIMIT_NOFILE, &raised);
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < need)
    throw std::runtime_error(
        fmt::format("real mode needs about {} file descriptors; the limit is {} (ulimit -n)", need,
                    static_cast<std::uint64_t>(r.rlim_cur)));
}

struct real_peer {
  planned_peer plan;
  std::unique_ptr<file_storage> own_store;  // peers that do not start as seeds
  piece_store* store = nullptr;
  std::unique_ptr<peer_host> host;
  std::uint64_t uploaded_at_sample = 0;
  std::uint64_t from_seeds = 0;
  std::uint32_t connections_max = 0;
  std::uint32_t connections_total = 0;
  // Open sessions by connection id: when they connected, payload received so far.
  std::map<protocol::connection_id, std::pair<protocol::time_point, std::uint64_t>> sessions;
};

class driver {
 public:
  driver(const scenario& s, const real_run_options& options)
      : spec_(s),
        options_(options),
        geometry_(s.torrent.size, s.torrent.piece_size, s.torrent.block_size),
        scratch_(options.work_dir) {}

  real_run_result run() {
    const auto wall_start = steady::now();
    prepare();
    origin_ = steady::now();
    for (std::uint32_t i = 0; i < peers_.size(); ++i) {
      const duration t = peers_[i].plan.arrival - protocol::time_origin;
      if (t <= duration{})
        arrive(i);  // before the first sample, as in the simulator
      else
        at(t, [this, i] { arrive(i); });
    }
    sample_tick();
    poll_tick();

    const duration scenario_end = spec_.simulation.time_limit;
    const duration end = std::min(scenario_end, options_.limits.max_duration);
    bool finished = false;
    while (!finished) {
      io_.restart();
      handlers_ += io_.run_for(loop_slice);
      const duration t = now();
      if (options_.progress)
        options_.progress(
            run_progress{t, script_->completed(), script_->total_leechers(), handlers_});
      if (spec_.simulation.stop == stop_kind::all_complete && script_->all_done())
        finished = true;
      else if (t >= end)
        finished = true;
    }
    const duration stop_time = now();
    real_run_result result;
    result.cut_short = spec_.simulation.stop == stop_kind::all_complete && !script_->all_done() &&
                       options_.limits.max_duration < scenario_end;
    if (result.cut_short)
      log(fmt::format("stopped after {} s of wall-clock time with {} leechers still downloading",
                      protocol::to_seconds(stop_time),
                      script_->live_leechers() + script_->pending()));
    take_sample();
    for (std::uint32_t i = 0; i < peers_.size(); ++i) {
      real_peer& p = peers_[i];
      if (script_->is_live(i)) finish_record(p);
      if (p.host) {
        const host_status st = p.host->status();
        result.hash_failures += st.hash_failures;
        result.protocol_errors += st.protocol_errors;
        result.dropped += st.dropped;
      }
      result.peers.push_back(p.plan.record);
    }
    for (auto& p : peers_)
      p.host.reset();
    timers_.clear();
    poll_timer_.cancel();
    sample_timer_.cancel();
    tracker_->stop();
    result.samples = script_->take_samples();
    result.info.scenario = spec_.name;
    result.info.seed = spec_.simulation.seed;
    result.info.simulated_end = stop_time;
    result.info.events = handlers_;
    result.info.wall_seconds = std::chrono::duration<double>(steady::now() - wall_start).count();
    result.info.t_min = t_min_;
    return result;
  }

 private:
  // ---- set-up ----

  void prepare() {
    const topology topo = topology::build(spec_.network);
    auto plan = plan_peers(spec_, topo, geometry_);
    t_min_ = t_min_at_start(plan, geometry_.total_size());
    script_.emplace(spec_, plan, geometry_.num_pieces());
    std::uint64_t need = 64;
    for (const auto& p : plan) {
      const group_spec& g = spec_.groups[p.group];
      need += std::min<std::uint64_t>(g.peer.max_connections, plan.size()) + 4;
    }
    ensure_descriptors(need);

    http_tracker_options topt;
    topt.tracker = protocol::tracker_options{
        spec_.tracker.announce_interval, spec_.tracker.min_interval, spec_.tracker.expire_after,
        spec_.tracker.numwant, std::max(200u, spec_.tracker.numwant)};
    topt.seed = split_seed(spec_.simulation.seed, stream::tracker);
    tracker_ = std::make_unique<http_tracker>(
        io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0), topt);
    client_ = std::make_unique<http_tracker_client>(io_, tracker_->announce_url());

    const fs::path source_dir = scratch_.path() / "source";
    fs::create_directories(source_dir);
    const fs::path source = source_dir / content_name;
    generate_content(source, spec_.torrent.size, spec_.simulation.seed);
    make_torrent_options mo;
    mo.announce = tracker_->announce_url();
    mo.piece_size = spec_.torrent.piece_size;
    meta_ = make_torrent(source, mo);
    source_store_ = std::make_unique<file_storage>(meta_, source, storage_mode::existing);

    for (const auto& g : spec_.groups)
      group_options_.push_back(peer_options_of(g, spec_.tracker, real_peer_options()));

    peers_.resize(plan.size());
    std::vector<std::uint8_t> buffer;
    for (std::uint32_t i = 0; i < plan.size(); ++i) {
      real_peer& p = peers_[i];
      p.plan = std::move(plan[i]);
      if (p.plan.initial_seed) {
        p.store = source_store_.get();
        continue;
      }
      p.own_store = std::make_unique<file_storage>(
          meta_, scratch_.path() / fmt::format("peer-{}", i) / content_name, storage_mode::create);
      p.store = p.own_store.get();
      p.plan.initial.for_each_set([&](std::uint32_t piece) {
        const protocol::piece_index x{piece};
        buffer.resize(geometry_.piece_length(x));
        source_store_->read(geometry_.piece_offset(x), buffer);
        p.store->write(geometry_.piece_offset(x), buffer);
      });
    }
  }

  // ---- clock and timers ----

  duration now() const { return steady::now() - origin_; }
  protocol::time_point clock() const { return protocol::time_origin + now(); }

  void at(duration t, std::function<void()> fn) {
    auto& timer = timers_.emplace_back(io_);
    timer.expires_at(origin_ + t);
    timer.async_wait([fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  }

  void log(std::string_view text) {
    if (options_.log) options_.log(text);
  }

  // ---- lifecycle ----

  void arrive(std::uint32_t i) {
    real_peer& p = peers_[i];
    const cue_list next = script_->on_arrive(i);
    peer_host_options o;
    o.peer = group_options_[p.plan.group];
    o.peer.max_connections_per_address = 0;  // every peer is on 127.0.0.1
    o.upload_rate = p.plan.upload;
    o.download_rate = p.plan.download;
    o.seed = split_seed(spec_.simulation.seed, stream::peer, i) | 1;
    o.origin = origin_;
    o.announce_retry = std::chrono::milliseconds(1000);
    o.stop_wait = std::chrono::milliseconds(1000);
    p.host = std::make_unique<peer_host>(io_, meta_, *p.store, *client_, o);
    p.host->on_complete([this, i] { on_complete(i); });
    p.host->on_piece([this, i](protocol::piece_index piece) { on_piece(i, piece); });
    p.host->on_log([this, i](std::string_view text) { log(fmt::format("peer {}: {}", i, text)); });
    if (p.plan.initial_seed)
      p.host->start(protocol::bitfield(geometry_.num_pieces(), true));
    else
      p.host->start(p.plan.initial);
    for (const cue& c : next)
      follow(c);
  }

  // Carries out what the choreography asked for: at once if its time has come.
  void follow(const cue& c) {
    if (c.at <= clock()) {
      if (script_->applies(c)) depart(c.peer);
      return;
    }
    at(c.at - protocol::time_origin, [this, c] {
      if (script_->applies(c)) depart(c.peer);
    });
  }

  void on_piece(std::uint32_t i, protocol::piece_index piece) {
    if (const auto next = script_->on_piece(i, piece, clock())) follow(*next);
  }

  void on_complete(std::uint32_t i) {
    real_peer& p = peers_[i];
    if (!script_->is_live(i) || script_->is_complete(i)) return;
    const auto& done = p.host->logic().stats().completed;
    p.plan.record.completion = done ? *done - protocol::time_origin : now();
    if (const auto next = script_->on_complete(i, clock())) follow(*next);
  }

  void depart(std::uint32_t i) {
    real_peer& p = peers_[i];
    if (!script_->is_live(i)) return;
    poll(p);
    script_->on_depart(i);
    p.plan.record.departure = now();
    finish_record(p);
    p.host->stop({});
  }

  void finish_record(real_peer& p) {
    poll(p);
    const protocol::peer_stats& st = p.host->logic().stats();
    peer_record& r = p.plan.record;
    if (st.first_piece) r.first_piece = *st.first_piece - protocol::time_origin;
    r.bytes_uploaded = st.uploaded;
    r.bytes_downloaded = st.downloaded + st.wasted;
    r.bytes_wasted = st.wasted;
    r.bytes_downloaded_from_seeds = p.from_seeds;
    r.pieces_at_end = p.host->logic().have().count();
    r.connections_max = p.connections_max;
    r.connections_total = p.connections_total;
    r.playback = viewer_outcome(p.host->logic(), clock());
  }

  // ---- polling and samples ----

  // Counts new connections and payload from seeds since the last poll.
  static void poll(real_peer& p) {
    if (!p.host) return;
    const protocol::peer& logic = p.host->logic();
    p.connections_max =
        std::max(p.connections_max, static_cast<std::uint32_t>(logic.num_connections()));
    std::map<protocol::connection_id, std::pair<protocol::time_point, std::uint64_t>> seen;
    logic.for_each_session([&](const protocol::session& s) {
      if (s.state != protocol::session_state::active) return;
      const auto old = p.sessions.find(s.id);
      std::uint64_t before = 0;
      if (old != p.sessions.end() && old->second.first == s.connected_at)
        before = old->second.second;
      else
        ++p.connections_total;
      if (s.remote_is_seed) p.from_seeds += s.payload_down - std::min(before, s.payload_down);
      seen[s.id] = {s.connected_at, s.payload_down};
    });
    p.sessions = std::move(seen);
  }

  void poll_tick() {
    for (std::uint32_t i = 0; i < peers_.size(); ++i)
      if (script_->is_live(i)) poll(peers_[i]);
    poll_timer_.expires_after(poll_interval);
    poll_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) poll_tick();
    });
  }

  void sample_tick() {
    take_sample();
    ++samples_taken_;
    sample_timer_.expires_at(origin_ + spec_.simulation.sample_interval * samples_taken_);
    sample_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) sample_tick();
    });
  }

  // The choreography's sample, with the uploads and connections only the hosts know.
  void take_sample() {
    sample_inputs in;
    std::uint64_t connection_ends = 0;
    for (std::uint32_t i = 0; i < peers_.size(); ++i) {
      real_peer& p = peers_[i];
      if (!p.host) continue;
      const std::uint64_t up = p.host->logic().stats().uploaded;
      const std::uint64_t delta = up - std::min(up, p.uploaded_at_sample);
      p.uploaded_at_sample = up;
      uploaded_ += delta;
      if (script_->is_complete(i)) uploaded_by_seeds_ += delta;
      if (script_->is_live(i)) connection_ends += p.host->logic().num_connections();
    }
    in.connections = static_cast<std::uint32_t>(connection_ends / 2);
    in.uploaded = uploaded_;
    in.uploaded_by_seeds = uploaded_by_seeds_;
    in.events = handlers_;
    script_->take_sample(clock(), in, [&](std::uint32_t i) -> const protocol::peer& {
      return peers_[i].host->logic();
    });
  }

  // Declared first: destroyed last, after everything whose handlers it holds.
  asio::io_context io_;
  const scenario& spec_;
  const real_run_options& options_;
  protocol::torrent_geometry geometry_;
  scratch_directory scratch_;
  std::unique_ptr<http_tracker> tracker_;
  std::unique_ptr<http_tracker_client> client_;
  protocol::metainfo meta_;
  std::unique_ptr<file_storage> source_store_;
  std::vector<protocol::peer_options> group_options_;
  std::vector<real_peer> peers_;
  std::list<asio::steady_timer> timers_;  // arrivals and departures
  asio::steady_timer poll_timer_{io_};
  asio::steady_timer sample_timer_{io_};
  steady::time_point origin_{};
  // Arrivals, departures, the swarm-wide counts and the samples (sim/engine/choreography.hpp).
  std::optional<choreography> script_;
  std::uint64_t uploaded_ = 0;           // payload sent by every peer, as of the last sample
  std::uint64_t uploaded_by_seeds_ = 0;  // the part sent by complete peers
  std::uint64_t handlers_ = 0;
  std::uint64_t samples_taken_ = 0;
  std::optional<duration> t_min_;  // of the planned peers, as the simulator's
};

}  // namespace

real_run_result run_real(const scenario& s, const real_run_options& options) {
  if (auto why = check_real_scenario(s, options.limits)) throw scenario_error(*why);
  driver d(s, options);
  return d.run();
}

}  // namespace swarmsim::sim::real
