#include "sim/engine/population.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "sim/engine/rng.hpp"

namespace swarmsim::sim {

namespace {

using protocol::from_seconds;
using protocol::time_origin;
using protocol::to_seconds;

// One entry index per peer, `counts[i]` times i, shuffled with `random`.
std::vector<std::uint32_t> spread(std::span<const double> shares, std::uint32_t count,
                                  std::mt19937_64& random) {
  const auto counts = allocate_by_share(shares, count);
  std::vector<std::uint32_t> out;
  out.reserve(count);
  for (std::uint32_t i = 0; i < counts.size(); ++i)
    out.insert(out.end(), counts[i], i);
  std::shuffle(out.begin(), out.end(), random);
  return out;
}

// The churn draws of one peer, in a fixed order from its own stream.
void draw_churn(const group_spec& g, std::uint32_t pieces, std::uint64_t seed, std::uint32_t peer,
                planned_peer& p) {
  const bool abort = g.abort.probability > 0 || g.abort.rate > 0;
  const bool seed_draw = g.after_completion.kind == after_completion_kind::seed_for &&
                         g.after_completion.distribution != seed_time_kind::fixed;
  p.seed_time = g.after_completion.seed_time;
  if (!abort && !seed_draw) return;
  std::mt19937_64 r(split_seed(seed, stream::departures, peer));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (g.abort.probability > 0) {
    const double u = unit(r);
    const double f = unit(r);
    if (!p.initial_seed && u < g.abort.probability)
      p.abort_at_pieces = std::min(pieces - 1, static_cast<std::uint32_t>(std::floor(f * pieces)));
  }
  if (g.abort.rate > 0) {
    const double t = std::exponential_distribution<double>(g.abort.rate)(r);
    if (!p.initial_seed) p.abort_after = from_seconds(t);
  }
  if (seed_draw) {
    const double base = to_seconds(g.after_completion.seed_time);
    double t = base;
    if (g.after_completion.distribution == seed_time_kind::exponential)
      t = std::exponential_distribution<double>(1.0 / base)(r);
    else
      t = base * std::exp(g.after_completion.sigma * std::normal_distribution<double>(0, 1)(r));
    p.seed_time = from_seconds(std::min(t, 1e9));  // capped at ~30 years: stays in range
  }
}

}  // namespace

std::vector<std::uint32_t> allocate_by_share(std::span<const double> shares, std::uint32_t count) {
  std::vector<std::uint32_t> counts(shares.size(), 0);
  std::vector<double> remainder(shares.size(), 0);
  std::uint32_t given = 0;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const double exact = shares[i] * count;
    counts[i] = static_cast<std::uint32_t>(std::floor(exact));
    remainder[i] = exact - counts[i];
    given += counts[i];
  }
  std::vector<std::size_t> order(shares.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t k = 0; given < count && !order.empty(); k = (k + 1) % order.size()) {
    ++counts[order[k]];
    ++given;
  }
  return counts;
}

std::vector<planned_peer> plan_peers(const scenario& s, const topology& topo,
                                     const protocol::torrent_geometry& geometry) {
  const std::uint32_t pieces = geometry.num_pieces();
  std::uint32_t total = 0;
  for (const auto& g : s.groups)
    total += g.count;
  std::vector<planned_peer> peers(total);
  protocol::bitfield covered(pieces);
  std::uint32_t next = 0;
  for (std::uint32_t gi = 0; gi < s.groups.size(); ++gi) {
    const group_spec& g = s.groups[gi];
    std::mt19937_64 arrivals(split_seed(s.simulation.seed, stream::arrivals, gi));
    std::mt19937_64 content(split_seed(s.simulation.seed, stream::content, gi));

    std::vector<std::uint32_t> class_of;
    if (!g.classes.empty()) {
      std::vector<double> shares;
      for (const auto& c : g.classes)
        shares.push_back(c.share);
      class_of = spread(shares, g.count, content);
    }
    std::vector<std::uint32_t> site_of;
    std::vector<std::uint32_t> site_ids;
    if (!g.sites.empty()) {
      std::vector<double> shares;
      for (const auto& x : g.sites) {
        shares.push_back(x.share);
        site_ids.push_back(topo.site_index(x.site));
      }
      site_of = spread(shares, g.count, content);
    }
    const std::uint32_t group_site = g.sites.empty() ? topo.site_index(g.site) : 0;

    const std::uint32_t first = next;
    double poisson_t = to_seconds(g.arrival.start);
    for (std::uint32_t k = 0; k < g.count; ++k, ++next) {
      planned_peer& p = peers[next];
      p.group = gi;
      p.site = site_of.empty() ? group_site : site_ids[site_of[k]];
      const bandwidth_class* cls = class_of.empty() ? nullptr : &g.classes[class_of[k]];
      p.upload = cls ? cls->upload : g.upload;
      p.download = cls ? cls->download : g.download;
      if (g.upload_cap) p.upload = std::min(p.upload, *g.upload_cap);
      switch (g.arrival.kind) {
        case arrival_kind::at:
          p.arrival = time_origin + g.arrival.start;
          break;
        case arrival_kind::uniform: {
          std::uniform_real_distribution<double> u(0.0, to_seconds(g.arrival.window));
          p.arrival = time_origin + g.arrival.start + from_seconds(u(arrivals));
          break;
        }
        case arrival_kind::poisson: {
          std::exponential_distribution<double> e(g.arrival.rate);
          poisson_t += e(arrivals);
          p.arrival = time_origin + from_seconds(poisson_t);
          break;
        }
      }
      p.initial = protocol::bitfield(pieces);
      switch (g.content.kind) {
        case content_kind::none:
          break;
        case content_kind::all:
          p.initial.set_all();
          break;
        case content_kind::fraction: {
          std::vector<std::uint32_t> order(pieces);
          for (std::uint32_t i = 0; i < pieces; ++i)
            order[i] = i;
          std::shuffle(order.begin(), order.end(), content);
          const auto n = static_cast<std::uint32_t>(g.content.fraction * pieces + 0.5);
          for (std::uint32_t i = 0; i < n && i < pieces; ++i)
            p.initial.set(order[i]);
          break;
        }
        case content_kind::partition:
          break;  // below
      }
      p.record.group = cls ? fmt::format("{}/{}", g.name, cls->name) : g.name;
    }
    if (g.content.kind == content_kind::partition && g.count > 0) {
      std::uniform_int_distribution<std::uint32_t> pick(0, g.count - 1);
      for (std::uint32_t i = 0; i < pieces; ++i)
        peers[first + pick(content)].initial.set(i);
    }
    for (std::uint32_t k = first; k < next; ++k) {
      planned_peer& p = peers[k];
      p.initial_seed = p.initial.all();
      p.initial.for_each_set([&](std::uint32_t i) { covered.set(i); });
      draw_churn(g, pieces, s.simulation.seed, k, p);
      p.record.id = protocol::peer_id{k};
      p.record.role = p.initial_seed ? peer_role::initial_seed : peer_role::leecher;
      p.record.site = topo.site_name(p.site);
      p.record.upload_capacity = p.upload;
      p.record.download_capacity = p.download;
      p.record.arrival = p.arrival - time_origin;
      p.record.pieces_at_start = p.initial.count();
    }
  }
  if (!covered.all()) {
    std::uint32_t missing = 0;
    for (std::uint32_t i = 0; i < pieces; ++i)
      if (!covered.test(i)) {
        missing = i;
        break;
      }
    throw scenario_error(fmt::format(
        "groups: {} of {} pieces (first: piece {}) are held by no peer at the start; add a "
        "group with `content: all` (a seed) or `content: partition`",
        pieces - covered.count(), pieces, missing));
  }
  return peers;
}

}  // namespace swarmsim::sim
