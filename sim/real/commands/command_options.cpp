#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

#include "sim/real/commands/commands.hpp"
#include "sim/real/storage/torrent_file.hpp"
#include "sim/real/tracker/http_tracker.hpp"
#include "sim/results/text_escape.hpp"
#include "sim/scenario/strategy_schema.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::real {

std::string listen_hint(const boost::system::system_error& e) {
  if (e.code() != boost::asio::error::address_in_use) return "";
  return " (another program listens on that port: give another, or port 0 for any free one)";
}

CLI::Option* add_rate_option(CLI::App& sub, const std::string& name, double& into,
                             const std::string& help) {
  return sub.add_option_function<std::string>(
      name,
      [name, &into](const std::string& text) {
        const auto r = parse_rate(text);
        if (!r) throw CLI::ValidationError(fmt::format("{}: {}", name, r.error));
        if (*r > 0)
          if (auto why = check_rate_floor(*r))
            throw CLI::ValidationError(fmt::format("{}: {} (0 means no limit)", name, *why));
        into = *r;
      },
      help);
}

CLI::Option* add_duration_option(CLI::App& sub, const std::string& name,
                                 std::optional<std::chrono::milliseconds>& into,
                                 const std::string& help) {
  return sub.add_option_function<std::string>(
      name,
      [name, &into](const std::string& text) {
        const auto d = parse_duration(text);
        if (!d) throw CLI::ValidationError(fmt::format("{}: {}", name, d.error));
        into = std::chrono::duration_cast<std::chrono::milliseconds>(*d.value);
      },
      help);
}

CLI::Option* add_encryption_option(CLI::App& sub, protocol::encryption_policy& into) {
  return sub.add_option_function<std::string>(
      "--encryption",
      [&into](const std::string& text) {
        const auto p = protocol::parse_encryption_policy(text);
        if (!p)
          throw CLI::ValidationError(
              fmt::format("--encryption: '{}' is not one of disabled, enabled, required", text));
        into = *p;
      },
      "Message stream encryption (MSE/PE): disabled, enabled (offer and accept it, "
      "prefer plaintext; the default) or required (RC4 only, refuse plaintext peers)");
}

namespace {

CLI::Option* add_policy_option(CLI::App& sub, protocol::strategy_kind kind,
                               protocol::strategy_ref& into, const std::string& help) {
  const std::string name = fmt::format("--{}", protocol::to_string(kind));
  return sub.add_option_function<std::string>(
      name,
      [name, kind, &into](const std::string& text) {
        auto p = scenario_yaml::parse_policy(kind, text);
        if (!p.ref) throw CLI::ValidationError(fmt::format("{}: {}", name, p.error));
        into = std::move(*p.ref);
      },
      help);
}

}  // namespace

void add_strategy_options(CLI::App& sub, protocol::peer_options& into, bool picker) {
  add_policy_option(sub, protocol::strategy_kind::choker, into.choker.policy,
                    "Upload strategy: NAME or NAME,KEY=VALUE,... (default mainline; `swarmsim "
                    "strategies` lists them)");
  if (picker)
    add_policy_option(sub, protocol::strategy_kind::picker, into.picker.policy,
                      "Piece selection strategy: NAME or NAME,KEY=VALUE,... (default "
                      "rarest_first)");
  add_policy_option(sub, protocol::strategy_kind::neighbours, into.neighbours,
                    "Neighbour strategy: NAME or NAME,KEY=VALUE,... (default mainline)");
}

std::optional<std::vector<protocol::endpoint>> parse_peer_options(
    const std::vector<std::string>& texts) {
  std::vector<protocol::endpoint> peers;
  for (const auto& text : texts) {
    const auto e = parse_listen_endpoint(text);
    if (!e || e->port() == 0) {
      fmt::print(stderr, "error: --peer: '{}' is not HOST:PORT (IPv4)\n", text);
      return std::nullopt;
    }
    peers.push_back(protocol::endpoint{e->address().to_v4().to_uint(), e->port()});
  }
  return peers;
}

std::optional<peer_command_inputs> read_peer_command_inputs(const std::filesystem::path& torrent,
                                                            const std::string& listen,
                                                            const std::vector<std::string>& peers) {
  auto m = read_torrent_file(torrent);
  if (!m) {
    fmt::print(stderr, "error: {}\n", printable(m.error));
    return std::nullopt;
  }
  const auto endpoint = parse_listen_endpoint(listen);
  if (!endpoint) {
    fmt::print(stderr, "error: --listen: '{}' is not HOST:PORT (IPv4) or a port\n", listen);
    return std::nullopt;
  }
  auto parsed = parse_peer_options(peers);
  if (!parsed) return std::nullopt;
  return peer_command_inputs{std::move(*m.value), *endpoint, std::move(*parsed)};
}

}  // namespace swarmsim::sim::real
