#pragma once
// The data records of a run and the summary computed from them.
//
// The swarm driver fills one peer_record per peer that ever joined and one sample
// per sampling interval; summarize() turns them into a run_summary. Writing them
// to files lives in sim/output.hpp.
//
// 1. Every time is a protocol::duration since simulation start (integer ns).
// 2. An optional time is empty when the event never happened (a seed never
//    completes; a peer still present at the end never departs).
// 3. Byte counters are payload bytes (piece data), not wire overhead, except
//    where a field says otherwise.
// 4. summarize() is a pure function of its arguments: the same records give the
//    same summary, field for field.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/playback.hpp"
#include "protocol/types.hpp"

namespace swarmsim::sim {

using protocol::duration;

enum class peer_role : std::uint8_t {
  initial_seed,  // held the whole file when it joined
  leecher,       // joined without the whole file (possibly with some pieces)
};

std::string_view to_string(peer_role r);

// What happened to one peer over the run.
struct peer_record {
  protocol::peer_id id;
  std::string group;  // scenario group name
  peer_role role = peer_role::leecher;
  std::string site;              // network site name
  double upload_capacity = 0;    // bytes/s, access link
  double download_capacity = 0;  // bytes/s, access link
  duration arrival{};
  std::optional<duration> first_piece;            // first piece completed (and hash-checked)
  std::optional<duration> completion;             // last piece completed; empty for initial seeds
  std::optional<duration> departure;              // left the swarm; empty if present at the end
  std::uint64_t bytes_uploaded = 0;               // payload sent to other peers
  std::uint64_t bytes_downloaded = 0;             // payload received, duplicates included
  std::uint64_t bytes_downloaded_from_seeds = 0;  // part of bytes_downloaded sent by seeds
  std::uint64_t bytes_wasted = 0;                 // duplicate blocks received (endgame)
  std::uint32_t pieces_at_start = 0;
  std::uint32_t pieces_at_end = 0;      // at departure, or at the end of the run
  std::uint32_t connections_max = 0;    // most connections open at once
  std::uint32_t connections_total = 0;  // connections established over the lifetime
  // The viewer's outcome (peers of a group with playback): as of departure or
  // the end of the run, played on to the end when the peer held every piece
  // (protocol::playback::outcome).
  std::optional<protocol::playback_metrics> playback;

  // completion - arrival; empty if the peer never completed.
  std::optional<duration> download_time() const;
  // first_piece - arrival; empty if the peer never completed a piece.
  std::optional<duration> time_to_first_piece() const;
  // bytes_uploaded / bytes_downloaded; empty if nothing was downloaded.
  std::optional<double> share_ratio() const;
};

// Where the viewers are at one instant (runs with playback): over the live
// peers whose playback has started or waits to start and has not finished.
struct playback_sample {
  std::uint32_t viewers = 0;
  std::uint32_t waiting = 0;  // not started yet
  std::uint32_t stalled = 0;  // stalled now
  // Over the viewers, NaN when there are none: seconds of content played, and
  // seconds the player can play before it stalls (sim/results/playback_results.hpp).
  double position_mean = 0;
  double buffer_mean = 0;
  double buffer_p10 = 0;
  double buffer_median = 0;
};

// The state of the swarm at one instant, taken every sampling interval.
struct sample {
  duration time{};
  std::uint32_t leechers = 0;          // live peers without the whole file
  std::uint32_t seeds = 0;             // live peers with the whole file (initial or completed)
  std::uint32_t arrived = 0;           // cumulative peers that joined
  std::uint32_t completed = 0;         // cumulative leechers that completed
  std::uint32_t departed = 0;          // cumulative peers that left
  std::uint32_t connections = 0;       // connections open now (each counted once)
  double upload_rate = 0;              // aggregate payload bytes/s over the last interval
  double seed_upload_rate = 0;         // part of upload_rate sent by seeds
  double upload_utilisation = 0;       // [0, 1]: upload_rate over the live peers' upload capacity
  std::uint32_t availability_min = 0;  // copies of the rarest piece among live peers
  double availability_mean = 0;        // mean copies per piece among live peers
  double entropy = 0;                  // piece_entropy() of the live peers' piece counts
  std::uint32_t pieces_only_at_seeds = 0;  // pieces that no live leecher holds
  // Peer availability (Legout et al., IMC 2006): over every live leecher's
  // established connections, the fraction on which the leecher is interested in
  // the remote. 1: every neighbour has something it lacks. NaN: no such
  // connection.
  double peer_availability = 0;
  std::uint64_t events = 0;                 // events processed so far
  std::optional<playback_sample> playback;  // set in every sample of a run with playback
};

// Normalised Shannon entropy of how the copies of the pieces are spread: with
// c_i copies of piece i and p_i = c_i / sum(c), H = -sum(p_i ln p_i) / ln(P).
// 1 when every piece has the same number of copies, 0 when all copies are of one
// piece. Conventions: 0 when there are no copies at all; 1 for a single piece
// that has copies (P = 1 is trivially uniform).
double piece_entropy(std::span<const std::uint32_t> copies_per_piece);

struct availability_stats {
  std::uint32_t min = 0;  // 0 for no pieces
  double mean = 0;        // 0 for no pieces
  double entropy = 0;     // piece_entropy()
};
availability_stats compute_availability(std::span<const std::uint32_t> copies_per_piece);

// The q-quantile of sorted values by linear interpolation between closest ranks
// (numpy's default, Hyndman & Fan type 7): h = (n - 1) q, result
// x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
// Throws std::invalid_argument if `sorted` is empty or q is outside [0, 1].
double quantile(std::span<const double> sorted, double q);

// Run facts the records do not hold.
struct run_info {
  std::string scenario;
  std::uint64_t seed = 0;
  duration simulated_end{};       // virtual time when the run stopped
  std::uint64_t events = 0;       // events processed
  double wall_seconds = 0;        // wall-clock time the run took
  std::optional<duration> t_min;  // theoretical minimum distribution time (sim/results/theory.hpp)
};

struct distribution_stats {  // of a non-empty set of values
  std::size_t count = 0;
  double min = 0;
  double median = 0;
  double mean = 0;
  double p90 = 0;
  double max = 0;
};

// Builds the stats of `values` (any order); empty if there are none.
std::optional<distribution_stats> describe(std::span<const double> values);

// A viewer metric over peers: the distribution and the 95 % confidence
// interval of its mean (sim/results/statistics.hpp; empty for one value).
struct viewer_stats {
  distribution_stats values;
  std::optional<double> ci_low;
  std::optional<double> ci_high;
};

// The viewers of a run (peer_record::playback), sim/results/playback_results.hpp.
struct playback_summary {
  std::uint32_t viewers = 0;   // peers with a viewer
  std::uint32_t started = 0;   // of them, playback started
  std::uint32_t finished = 0;  // of them, every piece played or skipped
  // Over the viewers that started (empty if none did):
  std::optional<viewer_stats> startup_delay;  // seconds
  std::optional<viewer_stats> stalls;
  std::optional<viewer_stats> stall_time;  // seconds
  std::optional<viewer_stats> continuity;
  std::optional<viewer_stats> skipped;  // pieces
};

struct run_summary {
  std::string scenario;
  std::uint64_t seed = 0;
  std::uint32_t peers = 0;  // records, every role
  std::uint32_t initial_seeds = 0;
  std::uint32_t leechers = 0;                       // peers that joined as leechers
  std::uint32_t completed = 0;                      // leechers that completed
  std::uint32_t aborted = 0;                        // leechers that departed without completing
  std::optional<distribution_stats> download_time;  // seconds, over completed leechers
  // Absolute time the last leecher completed; empty unless every leecher completed
  // (and there was at least one).
  std::optional<duration> all_done;
  // all_done - earliest leecher arrival: the time the swarm took to distribute the file.
  std::optional<duration> distribution_time;
  std::optional<duration> t_min;
  std::optional<double> distribution_time_over_t_min;
  duration simulated_time{};
  std::uint64_t events = 0;
  double wall_seconds = 0;
  std::optional<double> events_per_wall_second;  // empty if wall_seconds is 0
  std::uint64_t bytes_uploaded = 0;
  std::uint64_t bytes_downloaded = 0;
  std::uint64_t bytes_wasted = 0;
  std::uint32_t peak_leechers = 0;  // most live leechers in any sample
  // Mean of upload_utilisation over the samples with at least one live leecher.
  std::optional<double> mean_upload_utilisation;
  // completed / leechers; empty without leechers.
  std::optional<double> completed_fraction;
  // Seconds, over the leechers that completed a piece.
  std::optional<distribution_stats> time_to_first_piece;
  // Over the leechers that downloaded anything.
  std::optional<distribution_stats> share_ratio;
  // upload_utilisation_over_demand() of the run.
  std::optional<double> upload_utilisation;
  // Over the samples with at least one live leecher (empty if there are none):
  std::optional<std::uint32_t> availability_min;  // lowest availability_min
  std::optional<double> availability_mean;        // mean of availability_mean
  std::optional<double> entropy_min;              // lowest entropy
  std::optional<double> entropy_mean;             // mean entropy
  std::optional<std::uint32_t> pieces_only_at_seeds_max;
  std::optional<double> pieces_only_at_seeds_mean;
  std::optional<playback_summary> playback;  // runs with a viewer
};

// Payload bytes uploaded over the upload capacity available while there was
// demand: sum(upload_rate x dt) / integral of the live peers' upload capacity,
// both over the sampling intervals that start with at least one live leecher (the
// first interval, from time 0, counts when the first sample has a leecher). A peer
// is live from arrival until departure (or forever). Capped at 1; empty when no
// interval has demand or the capacity is 0.
std::optional<double> upload_utilisation_over_demand(std::span<const peer_record> peers,
                                                     std::span<const sample> samples);

run_summary summarize(std::span<const peer_record> peers, std::span<const sample> samples,
                      const run_info& info);

}  // namespace swarmsim::sim
