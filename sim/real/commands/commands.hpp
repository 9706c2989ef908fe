#pragma once
// The real-socket subcommands of the swarmsim command line (sim/cli/main.cpp
// registers them). Each registers its options and returns what to run, as in
// sim/command.hpp. `swarmsim run --real` is sim/real/real_run_command.hpp.

#include <CLI/CLI.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "protocol/choker.hpp"
#include "protocol/metainfo.hpp"
#include "protocol/mse_handshake.hpp"
#include "protocol/peer.hpp"
#include "protocol/types.hpp"

#include "sim/command.hpp"

namespace swarmsim::sim::real {

// `swarmsim tracker [--listen HOST:PORT] [--interval S] [--quiet] [--torrent FILE]...`
// (sim/real/commands/tracker_command.cpp).
command add_tracker_command(CLI::App& app);

// `swarmsim torrent create PATH --announce URL [--piece-size S] -o FILE.torrent` and
// `swarmsim torrent show FILE.torrent` (sim/real/commands/torrent_command.cpp).
command add_torrent_command(CLI::App& app);

// `swarmsim seed FILE.torrent --data PATH [--listen HOST:PORT] [--peer HOST:PORT]...
//  [--upload-rate R] [--for D]`
// (sim/real/commands/seed_command.cpp).
command add_seed_command(CLI::App& app);

// `swarmsim download FILE.torrent --out DIR [--listen HOST:PORT] [--peer HOST:PORT]...`
// (sim/real/commands/download_command.cpp).
command add_download_command(CLI::App& app);

// Adds option `name` taking a rate such as 10MiB/s (sim/scenario/units.hpp) into `into`,
// bytes per second. A bad value fails the parse with a message that names the
// option (exit 2). `into` must outlive the parse.
// What to do about a listening socket that could not be opened: for a port in
// use, how to pick another; "" otherwise.
std::string listen_hint(const boost::system::system_error& e);

CLI::Option* add_rate_option(CLI::App& sub, const std::string& name, double& into,
                             const std::string& help);
// The same for a duration such as 10min.
CLI::Option* add_duration_option(CLI::App& sub, const std::string& name,
                                 std::optional<std::chrono::milliseconds>& into,
                                 const std::string& help);

// Adds --encryption disabled|enabled|required (protocol/mse_handshake.hpp) into
// `into`; another value fails the parse with a message listing the choices.
CLI::Option* add_encryption_option(CLI::App& sub, protocol::encryption_policy& into);

// Adds --choker, --picker (download only) and --neighbours, each
// NAME[,KEY=VALUE...]: a strategy of that kind and its parameters
// (docs/STRATEGIES.md) into `into`; a bad one fails the parse naming it.
void add_strategy_options(CLI::App& sub, protocol::peer_options& into, bool picker);

// What `seed` and `download` both start from: the .torrent file, --listen and
// --peer. nullopt, after an error message on stderr naming the file or the bad
// value, if one of them cannot be used (the command then exits with 2).
struct peer_command_inputs {
  protocol::metainfo meta;
  boost::asio::ip::tcp::endpoint listen;
  std::vector<protocol::endpoint> peers;
};
std::optional<peer_command_inputs> read_peer_command_inputs(const std::filesystem::path& torrent,
                                                            const std::string& listen,
                                                            const std::vector<std::string>& peers);

// The --peer values of `seed` and `download` as endpoints; nullopt, after an
// error message on stderr naming the bad one, if one is not IPv4 HOST:PORT.
std::optional<std::vector<protocol::endpoint>> parse_peer_options(
    const std::vector<std::string>& texts);

}  // namespace swarmsim::sim::real
