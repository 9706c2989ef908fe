#include "sim/results/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace swarmsim::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

peer_record seed(std::uint32_t id) {
  peer_record p;
  p.id = protocol::peer_id{id};
  p.group = "seeds";
  p.role = peer_role::initial_seed;
  return p;
}

// A leecher that arrived at `arrival` and completed at `completion` (if given).
peer_record leecher(std::uint32_t id, duration arrival, std::optional<duration> completion) {
  peer_record p;
  p.id = protocol::peer_id{id};
  p.group = "leechers";
  p.role = peer_role::leecher;
  p.arrival = arrival;
  p.completion = completion;
  return p;
}

TEST(peer_role, names) {
  EXPECT_EQ(to_string(peer_role::initial_seed), "initial_seed");
  EXPECT_EQ(to_string(peer_role::leecher), "leecher");
}

TEST(peer_record, download_time_is_completion_minus_arrival) {
  EXPECT_EQ(leecher(1, seconds(10), seconds(25)).download_time(), duration(seconds(15)));
  EXPECT_EQ(leecher(1, seconds(10), std::nullopt).download_time(), std::nullopt);
}

TEST(peer_record, share_ratio_is_uploaded_over_downloaded) {
  peer_record p = leecher(1, {}, std::nullopt);
  EXPECT_EQ(p.share_ratio(), std::nullopt);  // nothing downloaded
  p.bytes_uploaded = 300;
  p.bytes_downloaded = 200;
  EXPECT_DOUBLE_EQ(*p.share_ratio(), 1.5);
}

TEST(quantile, interpolates_linearly_between_closest_ranks) {
  const std::vector<double> x{1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(quantile(x, 0.0), 1);
  EXPECT_DOUBLE_EQ(quantile(x, 0.5), 2.5);  // h = 1.5
  EXPECT_DOUBLE_EQ(quantile(x, 0.9), 3.7);  // h = 2.7: 3 + 0.7 (4 - 3)
  EXPECT_DOUBLE_EQ(quantile(x, 1.0), 4);
  const std::vector<double> five{10, 20, 30, 40, 50};
  EXPECT_DOUBLE_EQ(quantile(five, 0.5), 30);  // odd count: the middle value
  EXPECT_DOUBLE_EQ(quantile(five, 0.9), 46);  // h = 3.6: 40 + 0.6 (50 - 40)
  EXPECT_DOUBLE_EQ(quantile(five, 0.25), 20);
}

TEST(quantile, of_one_value_is_that_value) {
  const std::vector<double> x{7};
  EXPECT_DOUBLE_EQ(quantile(x, 0.0), 7);
  EXPECT_DOUBLE_EQ(quantile(x, 0.9), 7);
}

TEST(quantile, rejects_empty_input_and_q_outside_unit_interval) {
  const std::vector<double> x{1, 2};
  EXPECT_THROW(quantile(std::span<const double>{}, 0.5), std::invalid_argument);
  EXPECT_THROW(quantile(x, -0.1), std::invalid_argument);
  EXPECT_THROW(quantile(x, 1.1), std::invalid_argument);
  EXPECT_THROW(quantile(x, std::nan("")), std::invalid_argument);
}

TEST(describe, sorts_its_input) {
  const std::vector<double> x{30, 10, 20};
  const auto d = describe(x);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->count, 3u);
  EXPECT_DOUBLE_EQ(d->min, 10);
  EXPECT_DOUBLE_EQ(d->median, 20);
  EXPECT_DOUBLE_EQ(d->mean, 20);
  EXPECT_DOUBLE_EQ(d->p90, 28);  // h = 1.8: 20 + 0.8 (30 - 20)
  EXPECT_DOUBLE_EQ(d->max, 30);
}

TEST(describe, of_nothing_is_empty) {
  EXPECT_EQ(describe({}), std::nullopt);
}

TEST(piece_entropy, is_one_when_every_piece_has_as_many_copies) {
  const std::vector<std::uint32_t> even{2, 2, 2, 2};
  EXPECT_DOUBLE_EQ(piece_entropy(even), 1);
}

TEST(piece_entropy, is_zero_when_all_copies_are_of_one_piece) {
  const std::vector<std::uint32_t> one{4, 0, 0, 0};
  EXPECT_DOUBLE_EQ(piece_entropy(one), 0);
}

TEST(piece_entropy, of_a_skewed_spread_in_bits_over_log2_pieces) {
  // p = 1/4, 1/4, 1/2: H = 1.5 bits, normalised by log2(3) bits.
  const std::vector<std::uint32_t> skewed{1, 1, 2};
  EXPECT_NEAR(piece_entropy(skewed), 1.5 / std::log2(3.0), 1e-12);
}

TEST(piece_entropy, conventions_for_degenerate_input) {
  const std::vector<std::uint32_t> none{0, 0, 0};
  const std::vector<std::uint32_t> single{5};
  EXPECT_DOUBLE_EQ(piece_entropy(none), 0);
  EXPECT_DOUBLE_EQ(piece_entropy({}), 0);
  EXPECT_DOUBLE_EQ(piece_entropy(single), 1);
}

TEST(compute_availability, min_mean_and_entropy) {
  const std::vector<std::uint32_t> copies{3, 1, 2};
  const availability_stats a = compute_availability(copies);
  EXPECT_EQ(a.min, 1u);
  EXPECT_DOUBLE_EQ(a.mean, 2);
  EXPECT_DOUBLE_EQ(a.entropy, piece_entropy(copies));
  EXPECT_EQ(compute_availability({}).min, 0u);
}

TEST(summarize, counts_roles_completions_and_aborts) {
  std::vector<peer_record> peers{
      seed(0), leecher(1, seconds(0), seconds(100)), leecher(2, seconds(0), seconds(200)),
      leecher(3, seconds(10), std::nullopt), leecher(4, seconds(20), std::nullopt)};
  peers[3].departure = seconds(50);  // left without completing
  const run_summary s = summarize(peers, {}, run_info{});
  EXPECT_EQ(s.peers, 5u);
  EXPECT_EQ(s.initial_seeds, 1u);
  EXPECT_EQ(s.leechers, 4u);
  EXPECT_EQ(s.completed, 2u);
  EXPECT_EQ(s.aborted, 1u);  // peer 4 is still there
  ASSERT_TRUE(s.download_time);
  EXPECT_DOUBLE_EQ(s.download_time->min, 100);
  EXPECT_DOUBLE_EQ(s.download_time->median, 150);
  EXPECT_DOUBLE_EQ(s.download_time->max, 200);
  EXPECT_EQ(s.all_done, std::nullopt);  // not every leecher completed
  EXPECT_EQ(s.distribution_time, std::nullopt);
}

TEST(summarize, all_done_and_distribution_time_against_t_min) {
  const std::vector<peer_record> peers{seed(0), leecher(1, seconds(5), seconds(105)),
                                       leecher(2, seconds(10), seconds(60))};
  run_info info;
  info.t_min = seconds(80);
  const run_summary s = summarize(peers, {}, info);
  EXPECT_EQ(s.all_done, duration(seconds(105)));
  EXPECT_EQ(s.distribution_time, duration(seconds(100)));  // from the first arrival at 5 s
  ASSERT_TRUE(s.distribution_time_over_t_min);
  EXPECT_DOUBLE_EQ(*s.distribution_time_over_t_min, 1.25);
  EXPECT_DOUBLE_EQ(s.download_time->mean, 75);  // (100 + 50) / 2
}

TEST(summarize, run_facts_and_byte_totals) {
  std::vector<peer_record> peers{seed(0), leecher(1, {}, seconds(1))};
  peers[0].bytes_uploaded = 1000;
  peers[1].bytes_uploaded = 10;
  peers[1].bytes_downloaded = 1100;
  peers[1].bytes_wasted = 100;
  run_info info;
  info.scenario = "flash";
  info.seed = 42;
  info.simulated_end = milliseconds(1500);
  info.events = 1000;
  info.wall_seconds = 2;
  const run_summary s = summarize(peers, {}, info);
  EXPECT_EQ(s.scenario, "flash");
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.simulated_time, duration(milliseconds(1500)));
  EXPECT_EQ(s.events, 1000u);
  EXPECT_DOUBLE_EQ(*s.events_per_wall_second, 500);
  EXPECT_EQ(s.bytes_uploaded, 1010u);
  EXPECT_EQ(s.bytes_downloaded, 1100u);
  EXPECT_EQ(s.bytes_wasted, 100u);
  EXPECT_EQ(s.t_min, std::nullopt);
  EXPECT_EQ(s.distribution_time_over_t_min, std::nullopt);
}

TEST(summarize, sample_statistics_skip_samples_without_leechers) {
  std::vector<sample> samples(3);
  samples[0].leechers = 2;
  samples[0].upload_utilisation = 0.5;
  samples[1].leechers = 1;
  samples[1].upload_utilisation = 1.0;
  samples[2].leechers = 0;  // swarm done: utilisation 0 is not a lack of efficiency
  const run_summary s = summarize({}, samples, run_info{});
  EXPECT_EQ(s.peak_leechers, 2u);
  EXPECT_DOUBLE_EQ(*s.mean_upload_utilisation, 0.75);
}

TEST(summarize, with_no_completed_leecher_leaves_statistics_empty) {
  const std::vector<peer_record> peers{seed(0), leecher(1, {}, std::nullopt)};
  const run_summary s = summarize(peers, {}, run_info{});
  EXPECT_EQ(s.completed, 0u);
  EXPECT_EQ(s.download_time, std::nullopt);
  EXPECT_EQ(s.all_done, std::nullopt);
  EXPECT_EQ(s.events_per_wall_second, std::nullopt);   // wall time 0
  EXPECT_EQ(s.mean_upload_utilisation, std::nullopt);  // no samples
}

TEST(summarize, with_no_peers_at_all) {
  const run_summary s = summarize({}, {}, run_info{});
  EXPECT_EQ(s.peers, 0u);
  EXPECT_EQ(s.leechers, 0u);
  EXPECT_EQ(s.all_done, std::nullopt);  // no leecher: nothing was distributed
}

TEST(peer_record, time_to_first_piece_is_first_piece_minus_arrival) {
  peer_record p = leecher(1, seconds(10), std::nullopt);
  EXPECT_EQ(p.time_to_first_piece(), std::nullopt);
  p.first_piece = milliseconds(10'400);
  EXPECT_EQ(p.time_to_first_piece(), duration(milliseconds(400)));
}

TEST(summarize, per_peer_distributions_and_completed_fraction) {
  std::vector<peer_record> peers{seed(0), leecher(1, seconds(0), seconds(50)),
                                 leecher(2, seconds(10), std::nullopt),
                                 leecher(3, seconds(20), std::nullopt)};
  peers[0].bytes_uploaded = 500;  // a seed downloads nothing: no share ratio
  peers[1].first_piece = seconds(2);
  peers[2].first_piece = seconds(14);
  peers[1].bytes_uploaded = 300;
  peers[1].bytes_downloaded = 100;
  peers[2].bytes_uploaded = 100;
  peers[2].bytes_downloaded = 100;
  const run_summary s = summarize(peers, {}, run_info{});
  ASSERT_TRUE(s.completed_fraction);
  EXPECT_DOUBLE_EQ(*s.completed_fraction, 1.0 / 3);
  ASSERT_TRUE(s.time_to_first_piece);
  EXPECT_EQ(s.time_to_first_piece->count, 2u);  // peer 3 never got a piece
  EXPECT_DOUBLE_EQ(s.time_to_first_piece->min, 2);
  EXPECT_DOUBLE_EQ(s.time_to_first_piece->max, 4);
  ASSERT_TRUE(s.share_ratio);
  EXPECT_EQ(s.share_ratio->count, 2u);       // peer 3 downloaded nothing
  EXPECT_DOUBLE_EQ(s.share_ratio->mean, 2);  // (3 + 1) / 2
  const std::vector<peer_record> only_seed{seed(0)};
  EXPECT_EQ(summarize(only_seed, {}, run_info{}).completed_fraction, std::nullopt);
}

TEST(summarize, availability_entropy_and_seed_only_pieces_over_the_samples_with_demand) {
  std::vector<sample> samples(4);
  const std::uint32_t leechers[] = {3, 3, 1, 0};
  const std::uint32_t min[] = {1, 2, 4, 0};
  const double mean[] = {1.5, 2.5, 5.0, 9.0};
  const double entropy[] = {0.6, 0.9, 1.0, 0.1};
  const std::uint32_t only[] = {8, 2, 0, 30};
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i].time = seconds(static_cast<long>(i));
    samples[i].leechers = leechers[i];
    samples[i].availability_min = min[i];
    samples[i].availability_mean = mean[i];
    samples[i].entropy = entropy[i];
    samples[i].pieces_only_at_seeds = only[i];
  }
  // The last sample has no leecher: it does not count.
  const run_summary s = summarize({}, samples, run_info{});
  EXPECT_EQ(s.availability_min, 1u);
  EXPECT_DOUBLE_EQ(*s.availability_mean, 3);
  EXPECT_DOUBLE_EQ(*s.entropy_min, 0.6);
  EXPECT_NEAR(*s.entropy_mean, 2.5 / 3, 1e-12);
  EXPECT_EQ(s.pieces_only_at_seeds_max, 8u);
  EXPECT_NEAR(*s.pieces_only_at_seeds_mean, 10.0 / 3, 1e-12);
  const run_summary none = summarize({}, {}, run_info{});
  EXPECT_EQ(none.availability_min, std::nullopt);
  EXPECT_EQ(none.entropy_mean, std::nullopt);
}

// A peer with 1000 bytes/s of upload capacity live from 0 to 10 s and another
// from 5 s on; samples every 5 s.
std::vector<peer_record> two_uploaders() {
  std::vector<peer_record> peers{seed(0), leecher(1, seconds(5), std::nullopt)};
  peers[0].upload_capacity = 1000;
  peers[0].departure = seconds(10);
  peers[1].upload_capacity = 1000;
  return peers;
}

sample at(long s, std::uint32_t leechers, double upload_rate) {
  sample x;
  x.time = seconds(s);
  x.leechers = leechers;
  x.upload_rate = upload_rate;
  return x;
}

TEST(upload_utilisation_over_demand, is_bytes_uploaded_over_capacity_time_while_leechers_wait) {
  // Capacity: 1000 B/s over (0, 5], 2000 B/s over (5, 10], 1000 B/s over (10, 15].
  const std::vector<sample> samples{at(0, 1, 0), at(5, 1, 500), at(10, 1, 1000), at(15, 0, 1000)};
  // Uploaded: 2500 + 5000 + 5000 bytes; available: 5000 + 10000 + 5000 byte-seconds.
  EXPECT_DOUBLE_EQ(*upload_utilisation_over_demand(two_uploaders(), samples), 12500.0 / 20000);
}

TEST(upload_utilisation_over_demand, skips_intervals_that_start_without_leechers) {
  const std::vector<sample> samples{at(0, 1, 0), at(5, 0, 500), at(10, 0, 2000), at(15, 1, 0)};
  // Only (0, 5] starts with a leecher: 2500 bytes of 5000.
  EXPECT_DOUBLE_EQ(*upload_utilisation_over_demand(two_uploaders(), samples), 0.5);
}

TEST(upload_utilisation_over_demand, is_empty_without_demand_or_capacity_and_at_most_1) {
  EXPECT_EQ(upload_utilisation_over_demand(two_uploaders(), {}), std::nullopt);
  const std::vector<sample> idle{at(0, 0, 0), at(5, 0, 0)};
  EXPECT_EQ(upload_utilisation_over_demand(two_uploaders(), idle), std::nullopt);
  const std::vector<sample> busy{at(0, 1, 0), at(5, 1, 1e9)};
  EXPECT_EQ(upload_utilisation_over_demand({}, busy), std::nullopt);  // no capacity
  EXPECT_DOUBLE_EQ(*upload_utilisation_over_demand(two_uploaders(), busy), 1.0);
}

TEST(summarize, carries_the_upload_utilisation_over_demand) {
  const std::vector<sample> samples{at(0, 1, 0), at(5, 1, 500)};
  const run_summary s = summarize(two_uploaders(), samples, run_info{});
  ASSERT_TRUE(s.upload_utilisation);
  EXPECT_DOUBLE_EQ(*s.upload_utilisation, 0.5);
}

}  // namespace
}  // namespace swarmsim::sim
