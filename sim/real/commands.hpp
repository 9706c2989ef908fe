#pragma once
// The real-socket subcommands of the swarmsim command line (built only with the
// swarmsim_real target; main() registers them under SWARMSIM_HAVE_REAL). Each
// registers its options and returns what to run, as in sim/command.hpp.

#include <CLI/CLI.hpp>

#include "sim/command.hpp"

namespace swarmsim::sim::real {

// `swarmsim tracker [--listen HOST:PORT] [--interval S] [--quiet] [--torrent FILE]...`
// (sim/real/tracker_command.cpp).
command add_tracker_command(CLI::App& app);

// `swarmsim torrent create PATH --announce URL [--piece-size S] -o FILE.torrent` and
// `swarmsim torrent show FILE.torrent` (sim/real/torrent_command.cpp).
command add_torrent_command(CLI::App& app);

// `swarmsim seed FILE.torrent --data PATH [--listen HOST:PORT] [--upload-rate R] [--for D]`
// (sim/real/seed_command.cpp).
command add_seed_command(CLI::App& app);

// `swarmsim download FILE.torrent --out DIR [--listen HOST:PORT] [--peer HOST:PORT]...`
// (sim/real/download_command.cpp).
command add_download_command(CLI::App& app);

// Makes `swarmsim run --real` and `--compare` work (sim/real/real_run_command.hpp)
// by installing the handler sim/real/real_run_hook.hpp holds.
void install_real_run_mode();

}  // namespace swarmsim::sim::real
