#include "protocol/playback.hpp"

#include <algorithm>
#include <stdexcept>

namespace swarmsim::protocol {

namespace {

duration seconds_to_duration(double s) {
  return std::chrono::duration_cast<duration>(std::chrono::duration<double>(s));
}

}  // namespace

playback::playback(const torrent_geometry& geometry, playback_options options, time_point want_at)
    : geometry_(geometry), options_(options), want_at_(want_at) {
  if (!options_.enabled()) throw std::invalid_argument("playback: bitrate must be positive");
}

double playback::seconds_of(std::uint32_t p) const {
  return static_cast<double>(geometry_.piece_length(piece_index{p})) / options_.bitrate;
}

double playback::seconds_between(std::uint32_t from, std::uint32_t to) const {
  const std::uint32_t n = geometry_.num_pieces();
  to = std::min(to, n);
  if (from >= to) return 0;
  const std::uint32_t full = std::min(to, n - 1);
  double s = from < full ? (full - from) * seconds_of(0) : 0;
  if (to == n) s += seconds_of(n - 1);
  return s;
}

bool playback::can_start(const bitfield& have, std::uint32_t except) const {
  const std::uint32_t n = geometry_.num_pieces();
  const std::uint32_t need = options_.start_pieces > 0 ? std::min(options_.start_pieces, n) : n;
  std::uint32_t p = 0;
  while (p < need && p != except && have.test(p))
    ++p;
  if (p == need) return true;
  return options_.start_pieces == 0 && seconds_between(0, p) >= to_seconds(options_.start_buffer);
}

void playback::advance(time_point now, const bitfield& have) {
  play(now, have, none);
}

void playback::on_piece(std::uint32_t p, time_point now, const bitfield& have) {
  play(now, have, p);  // up to its arrival, without it
  play(now, have, none);
}

void playback::play(time_point now, const bitfield& have, std::uint32_t except) {
  const std::uint32_t n = geometry_.num_pieces();
  const auto has = [&](std::uint32_t q) { return q != except && have.test(q); };
  for (;;) {
    switch (phase_) {
      case phase::waiting: {
        if (!ready_at_ && can_start(have, except)) ready_at_ = now;
        if (!ready_at_) return;
        const time_point start = std::max(*ready_at_, want_at_);
        if (start > now) return;
        metrics_.startup_delay = start - want_at_;
        phase_ = phase::playing;
        reach_at_ = start;
        break;
      }
      case phase::playing:
        if (pos_ == n) {
          phase_ = phase::finished;
          metrics_.finished = true;
          return;
        }
        if (reach_at_ > now) return;  // judged when reached
        if (has(pos_)) {
          ++metrics_.on_time;
          reach_at_ += seconds_to_duration(seconds_of(pos_));
          ++pos_;
          break;
        }
        phase_ = phase::stalled;
        ++metrics_.stalls;
        ++metrics_.late;
        stall_began_ = reach_at_;
        waiting_since_ = reach_at_;
        break;
      case phase::stalled:
        if (has(pos_)) {  // arrived by now: resume now
          metrics_.stall_time += now - stall_began_;
          phase_ = phase::playing;
          reach_at_ = now + seconds_to_duration(seconds_of(pos_));
          ++pos_;
          break;
        }
        if (!options_.skip_after || now < waiting_since_ + *options_.skip_after) return;
        // Give up on pos_ (rule 4); the next piece is reached at once.
        ++metrics_.skipped;
        waiting_since_ += *options_.skip_after;
        ++pos_;
        if (pos_ == n || has(pos_)) {
          metrics_.stall_time += waiting_since_ - stall_began_;
          phase_ = phase::playing;
          reach_at_ = waiting_since_;
        } else {
          ++metrics_.late;
        }
        break;
      case phase::finished:
        return;
    }
  }
}

double playback::buffer_ahead(time_point now, const bitfield& have) const {
  const std::uint32_t n = geometry_.num_pieces();
  std::uint32_t q = pos_;
  while (q < n && have.test(q))
    ++q;
  switch (phase_) {
    case phase::waiting:
      return seconds_between(0, q);
    case phase::playing:
      return std::max(0.0, to_seconds(reach_at_ - now)) + seconds_between(pos_, q);
    case phase::stalled:
    case phase::finished:
      return 0;
  }
  return 0;
}

time_point playback::deadline(std::uint32_t p, time_point now) const {
  const auto ahead = [&](time_point from) {
    return from + seconds_to_duration(seconds_between(pos_, std::max(p, pos_)));
  };
  switch (phase_) {
    case phase::waiting:
      return ahead(std::max(now, want_at_));
    case phase::playing:
      return ahead(std::max(now, reach_at_));
    case phase::stalled:
      return ahead(now);
    case phase::finished:
      return reach_at_;
  }
  return now;
}

playback_metrics playback::metrics_at(time_point now) const {
  playback_metrics m = metrics_;
  if (phase_ == phase::stalled) m.stall_time += now - stall_began_;
  return m;
}

playback_metrics playback::outcome(time_point now, const bitfield& have) const {
  playback rest = *this;
  rest.advance(now, have);
  if (!have.all()) return rest.metrics_at(now);
  // Every piece is here: the player waits only for want_at, then plays through.
  rest.advance(
      std::max(now, want_at_) + seconds_to_duration(seconds_between(0, geometry_.num_pieces())),
      have);
  return rest.metrics_;
}

double playback::played(time_point now) const {
  switch (phase_) {
    case phase::waiting:
      return 0;
    case phase::playing:
      return std::max(0.0, seconds_between(0, pos_) - std::max(0.0, to_seconds(reach_at_ - now)));
    case phase::stalled:
      return seconds_between(0, pos_);
    case phase::finished:
      return seconds_between(0, geometry_.num_pieces());
  }
  return 0;
}

}  // namespace swarmsim::protocol
