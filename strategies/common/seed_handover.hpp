#pragma once
// The frame of the incentive strategies (BitTyrant, PropShare, FairTorrent):
// they rank remotes by what the remotes upload to us, which says nothing once
// we are a seed (nobody uploads to a seed). So while we leech, the derived
// strategy decides; once we are a seed, the mainline seed choker does
// (protocol/choker.hpp rules 5 to 7 and 10, with the peer's choker options),
// and the uplink serves its unchoked remotes in turn.
//
// A derived strategy implements the leech_* hooks; its rechoke runs every
// choker_options::rechoke_interval.

#include <algorithm>

#include "protocol/choker.hpp"
#include "protocol/upload_strategy.hpp"

namespace swarmsim::strategies {

class seed_handover : public protocol::upload_strategy {
 public:
  using connection_id = protocol::connection_id;
  using time_point = protocol::time_point;
  using candidates = std::span<const protocol::choke_candidate>;
  using unchoke_set = std::vector<connection_id>;

  void start(time_point now) final {
    seed_.start(now);
    next_ = now + interval_;
  }
  time_point next_deadline() const final { return seeding_ ? seed_.next_deadline() : next_; }

  const unchoke_set& rechoke(candidates c, bool we_are_seed, time_point now,
                             protocol::rng& random) final {
    if (we_are_seed) return seed_phase(true, c, now, random);
    next_ = now + interval_;
    return leech_rechoke(c, now, random);
  }
  const unchoke_set& reselect(candidates c, bool we_are_seed, time_point now,
                              protocol::rng& random) final {
    if (we_are_seed) return seed_phase(false, c, now, random);
    return leech_reselect(c, now, random);
  }
  void forget(connection_id c) final {
    seed_.forget(c);
    leech_forget(c);
  }
  std::uint32_t upload_slots() const final { return std::max(seed_.upload_slots(), leech_slots()); }
  bool is_optimistic(connection_id c) const final {
    return seeding_ ? seed_.is_optimistic(c) : leech_optimistic(c);
  }
  std::vector<connection_id> optimistic_unchokes() const final {
    return seeding_ ? seed_.optimistic_unchokes() : leech_optimistic_unchokes();
  }
  bool orders_blocks() const final { return true; }
  std::size_t next_to_serve(std::span<const protocol::serve_candidate> ready,
                            time_point now) final {
    return seeding_ ? 0 : leech_serve(ready, now);
  }
  void check_invariants() const final {
    seed_.check_invariants();
    leech_check();
  }

 protected:
  explicit seed_handover(const protocol::choker_options& options)
      : seed_(options), interval_(options.rechoke_interval) {}

  virtual const unchoke_set& leech_rechoke(candidates c, time_point now, protocol::rng& random) = 0;
  virtual const unchoke_set& leech_reselect(candidates c, time_point now,
                                            protocol::rng& random) = 0;
  virtual void leech_forget(connection_id c) = 0;
  virtual std::uint32_t leech_slots() const = 0;
  virtual std::size_t leech_serve(std::span<const protocol::serve_candidate> ready,
                                  time_point now) = 0;
  virtual bool leech_optimistic(connection_id) const { return false; }
  virtual std::vector<connection_id> leech_optimistic_unchokes() const { return {}; }
  virtual void leech_check() const {}

 private:
  const unchoke_set& seed_phase(bool rechoke, candidates c, time_point now, protocol::rng& random) {
    if (!seeding_) {  // the first call as a seed: the seed choker's round starts now
      seeding_ = true;
      rechoke = true;
    }
    return rechoke ? seed_.rechoke(c, true, now, random) : seed_.reselect(c, true, now, random);
  }

  protocol::choker seed_;
  protocol::duration interval_;
  time_point next_ = protocol::never;
  bool seeding_ = false;
};

}  // namespace swarmsim::strategies
