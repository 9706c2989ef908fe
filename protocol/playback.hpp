#pragma once
// A viewer playing the torrent's content in piece order while it downloads:
// when playback can start, where it is, when it stalls, what arrived in time.
//
// The model:
// 1. The content plays at `bitrate` bytes/s, piece after piece by index; piece
//    p lasts size(p) / bitrate.
// 2. The viewer wants to start at `want_at` (the peer's arrival, or later by
//    an offset). Playback starts at the first time >= want_at at which the
//    pieces from 0 on that the peer has without a gap hold `start_buffer` of
//    playback (or the whole content), or, with start_pieces > 0, at which it
//    has pieces 0 .. start_pieces - 1. The startup delay is that time minus
//    want_at.
// 3. Playing, the position reaches piece p at a time (its deadline). If the
//    peer has p by then, p is on time and plays; otherwise playback stalls
//    until p arrives, and resumes at once when it does (no rebuffering
//    threshold), p counting as late. One stall is one such interruption.
// 4. With skip_after set, a stall that has lasted skip_after gives up on the
//    piece (skipped, late) and moves on to the next; if that one is missing
//    too the same stall goes on, with a new skip_after for it.
// 5. The continuity index is the share of the pieces played or skipped that
//    were on time (1 when none has been reached yet).
//
// How it is kept: nothing runs on a timer. on_piece(p, now, have) tells it
// that p completed at `now`; advance(now, have) plays the model forward to
// `now` with the pieces the peer has held since the previous call, to read
// the state at a time. Times passed never go back.

#include <cstdint>
#include <optional>

#include "protocol/bitfield.hpp"
#include "protocol/torrent_geometry.hpp"
#include "protocol/types.hpp"

namespace swarmsim::protocol {

struct playback_options {
  double bitrate = 0;  // bytes/s of content played; 0: no playback
  duration start_buffer = std::chrono::seconds(10);
  std::uint32_t start_pieces = 0;  // > 0: start on the first pieces instead of start_buffer
  std::optional<duration> skip_after;
  duration start_offset{};  // the viewer wants to start this long after the peer arrives

  bool enabled() const { return bitrate > 0; }
  friend bool operator==(const playback_options&, const playback_options&) = default;
};

struct playback_metrics {
  std::optional<duration> startup_delay;  // until playback started, if it did
  std::uint32_t stalls = 0;
  duration stall_time{};  // stalls so far, the one in progress included
  std::uint32_t on_time = 0;
  std::uint32_t late = 0;     // reached while missing (stalled on or skipped)
  std::uint32_t skipped = 0;  // of those, given up on
  bool finished = false;      // every piece played or skipped
  double continuity() const {
    const std::uint32_t reached = on_time + late;
    return reached == 0 ? 1.0 : static_cast<double>(on_time) / reached;
  }
};

class playback {
 public:
  enum class phase : std::uint8_t { waiting, playing, stalled, finished };

  playback(const torrent_geometry& geometry, playback_options options, time_point want_at);

  // Plays forward to `now` (rules 2-4); `have` is what the peer has held
  // since the previous call.
  void advance(time_point now, const bitfield& have);
  // Piece p completed at `now`; `have` includes it.
  void on_piece(std::uint32_t p, time_point now, const bitfield& have);

  phase state() const { return phase_; }
  // The next piece the player needs: the one after the piece playing, or the
  // one stalled on (0 while waiting; num_pieces once finished).
  std::uint32_t position() const { return pos_; }
  // Seconds of content the peer holds without a gap from the playback point on
  // (as of the last advance): what the player could play before stalling.
  double buffer_ahead(time_point now, const bitfield& have) const;
  // When the player will reach piece p >= position() if nothing stalls from
  // `now` on (before the start: if it started at `now`, or at want_at).
  time_point deadline(std::uint32_t p, time_point now) const;
  // Seconds of content piece p plays for.
  double seconds_of(std::uint32_t p) const;
  const playback_metrics& metrics() const { return metrics_; }
  playback_metrics metrics_at(time_point now) const;
  // What the viewer ends up with, as of `now`: this playback advanced to `now`
  // (a copy: this one is left as it is), and when `have` holds every piece,
  // played on to the end, since nothing can stall any more.
  playback_metrics outcome(time_point now, const bitfield& have) const;
  // Seconds of content played by `now` (as of the last advance): the playback
  // point on the content's timeline, skipped pieces included.
  double played(time_point now) const;
  const playback_options& options() const { return options_; }

 private:
  static constexpr std::uint32_t none = 0xffffffffu;
  bool can_start(const bitfield& have, std::uint32_t except) const;
  // advance() with piece `except` counted as missing.
  void play(time_point now, const bitfield& have, std::uint32_t except);
  // Seconds of pieces [from, to).
  double seconds_between(std::uint32_t from, std::uint32_t to) const;

  torrent_geometry geometry_;
  playback_options options_;
  time_point want_at_;
  phase phase_ = phase::waiting;
  std::uint32_t pos_ = 0;
  // playing: when the player reaches pos_; finished: when it ended.
  time_point reach_at_{};
  std::optional<time_point> ready_at_;  // waiting: when the start rule first held
  time_point stall_began_{};            // stalled: the interruption's start
  time_point waiting_since_{};          // stalled: when pos_ was reached (skip_after)
  playback_metrics metrics_;
};

}  // namespace swarmsim::protocol
