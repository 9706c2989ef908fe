// protocol::peer around a plug-in choker: it checks every answer against the
// contract of upload_strategy.hpp, and keeps its own upkeep whatever the
// strategy's timer.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "peer_pipe.hpp"
#include "protocol/peer.hpp"
#include "protocol/upload_strategy.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

enum class fault { none, unsorted, stranger, too_many, stuck_timer, no_timer, bad_serve };

fault current_fault = fault::none;  // read by the factory below

// Unchokes every interested candidate at each rechoke (reselects leave it to
// the next rechoke), with one fault injected.
class faulty final : public upload_strategy {
 public:
  explicit faulty(fault f) : fault_(f) {}
  void start(time_point now) override {
    next_ = fault_ == fault::no_timer ? never : now + seconds(10);
  }
  time_point next_deadline() const override { return next_; }
  std::uint32_t upload_slots() const override { return fault_ == fault::too_many ? 1 : 50; }
  const std::vector<connection_id>& rechoke(std::span<const choke_candidate> c, bool,
                                            time_point now, rng&) override {
    if (fault_ != fault::stuck_timer) next_ = now + seconds(10);
    out_.clear();
    for (const auto& x : c)
      if (x.peer_interested) out_.push_back(x.conn);
    if (fault_ == fault::unsorted) std::reverse(out_.begin(), out_.end());
    if (fault_ == fault::stranger) out_.push_back(connection_id{0xffffffffffull});
    return out_;
  }
  const std::vector<connection_id>& reselect(std::span<const choke_candidate>, bool, time_point,
                                             rng&) override {
    return kept_;
  }
  bool orders_blocks() const override { return fault_ == fault::bad_serve; }
  std::size_t next_to_serve(std::span<const serve_candidate> ready, time_point) override {
    return ready.size();  // one past the end
  }

 private:
  fault fault_;
  time_point next_ = never;
  std::vector<connection_id> out_;
  std::vector<connection_id> kept_;
};

const strategy_info& faulty_info() {
  static const strategy_info info{
      strategy_kind::choker,
      "faulty",
      "for tests",
      "here",
      {},
      [](const choker_options&, const strategy_params&) -> std::unique_ptr<upload_strategy> {
        return std::make_unique<faulty>(current_fault);
      }};
  return info;
}

// A seed with `f`'s choker and three interested leechers; returns the pipe
// after the leechers' interest has arrived.
testing::peer_pipe swarm_with(fault f) {
  current_fault = f;
  peer_options seed_options;
  seed_options.choker.policy = {&faulty_info(), {}};
  testing::peer_pipe pipe(torrent_geometry(8 * 16384, 16384, 16384), seed_options);
  pipe.add_peer(true);
  current_fault = fault::none;
  for (int i = 0; i < 3; ++i) {
    pipe.add_peer(false);
    pipe.connect(static_cast<std::size_t>(i + 1), 0);
  }
  for (int i = 0; i < 5; ++i)
    pipe.step();
  return pipe;
}

std::string rechoke_error(fault f) {
  auto pipe = swarm_with(f);
  pipe.advance(seconds(10));
  try {
    pipe[0].on_deadline(pipe.now());
  } catch (const std::logic_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(peer_strategy, a_well_behaved_strategy_unchokes_what_it_says) {
  auto pipe = swarm_with(fault::none);
  pipe.advance(seconds(10));
  pipe[0].on_deadline(pipe.now());
  EXPECT_EQ(pipe[0].num_unchoked(), 3u);
  EXPECT_NO_THROW(pipe[0].check_invariants());
}

TEST(peer_strategy, an_answer_that_breaks_the_contract_stops_the_peer_naming_it) {
  EXPECT_THAT(rechoke_error(fault::unsorted), HasSubstr("choker 'faulty' broke its contract: "
                                                        "its unchoke set is not sorted"));
  EXPECT_THAT(rechoke_error(fault::stranger), HasSubstr("not a candidate"));
  EXPECT_THAT(rechoke_error(fault::too_many), HasSubstr("3 unchoked, more than its 1 upload"));
  EXPECT_THAT(rechoke_error(fault::stuck_timer), HasSubstr("next deadline is not after"));
}

// Rule 6: the peer asks a strategy that orders blocks which ready connection
// sends next, checks the answer, and asks nothing when there is no choice.
TEST(peer_strategy, a_block_order_out_of_range_stops_the_peer) {
  const std::vector<connection_id> ready{connection_id{1}, connection_id{2}};
  auto plain = swarm_with(fault::none);
  EXPECT_FALSE(plain[0].orders_uploads());
  EXPECT_EQ(plain[0].choose_upload(ready, plain.now()), 0u);
  auto pipe = swarm_with(fault::bad_serve);
  EXPECT_TRUE(pipe[0].orders_uploads());
  std::string error = "no error";
  try {
    pipe[0].choose_upload(ready, pipe.now());
  } catch (const std::logic_error& e) {
    error = e.what();
  }
  EXPECT_THAT(error, HasSubstr("choker 'faulty' broke its contract: it chose block 2 of 2 ready"));
  EXPECT_EQ(pipe[0].choose_upload(std::span(ready).first(1), pipe.now()), 0u);
}

// A strategy that never asks for a rechoke does not stop the peer's upkeep:
// keep-alives still go out every 2 minutes.
TEST(peer_strategy, upkeep_runs_whatever_the_strategy_timer) {
  auto pipe = swarm_with(fault::no_timer);
  for (int i = 0; i < 30 && pipe[0].next_deadline() < pipe.now() + seconds(200); ++i) {
    pipe.advance(pipe[0].next_deadline() - pipe.now());
    pipe[0].on_deadline(pipe.now());
    pipe.flush(0);
  }
  const auto& log = pipe.log();
  EXPECT_TRUE(std::any_of(log.begin(), log.end(),
                          [](const auto& r) { return r.from == 0 && r.what == "keep-alive"; }));
}

}  // namespace
}  // namespace swarmsim::protocol
