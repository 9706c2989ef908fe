#pragma once
// Strategies: the decisions a BitTorrent peer may make its own way, each behind
// an interface with a written contract, registered by name with its parameters.
//
// 1. A kind of strategy is one decision: the choker (upload allocation: which
//    remotes to unchoke; protocol/upload_strategy.hpp), the picker (which
//    pieces to start; protocol/piece_strategy.hpp) and the neighbours (how many
//    connections, whom to ask for and whom to drop;
//    protocol/neighbour_strategy.hpp). A kind's strategies are
//    interchangeable: protocol::peer holds one of each kind and calls only the
//    interface.
// 2. A strategy is described by a strategy_info: its kind, a name unique within
//    the kind, a one-line summary, where it comes from (a paper, a client), its
//    parameters (name, type, range, default, meaning) and a factory.
// 3. Parameters are typed values (whole number, number, fraction, rate in
//    bytes/s, duration, boolean). strategy_params holds one value per parameter of the strategy,
//    defaults filled in (resolve() does it and checks types and ranges), so a
//    strategy reads its parameters without checking them again.
// 4. A strategy_ref names the strategy a peer uses and its parameter values; it
//    is plain data (compared by name and values) that the scenario and the
//    command line fill in and protocol::peer turns into an object. Infos live as
//    long as the program (function-local statics), so a ref holds a pointer.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::protocol {

enum class strategy_kind : std::uint8_t { choker, picker, neighbours };
std::string_view to_string(strategy_kind k);

enum class param_type : std::uint8_t { whole, number, fraction, rate, duration, boolean };
std::string_view to_string(param_type t);

using param_value = std::variant<std::uint64_t, double, duration, bool>;

// One parameter of a strategy (rule 3). Numbers and durations lie in
// [min, max] (durations in seconds); a fraction in [0, 1].
struct param_spec {
  std::string name;
  param_type type = param_type::number;
  param_value default_value = 0.0;
  std::string meaning;
  double min = 0;
  double max = 1e18;
};

// Parameter values by name (rule 3), sorted by name.
class strategy_params {
 public:
  void set(std::string_view name, param_value v);
  const param_value* find(std::string_view name) const;
  // The value of a parameter the strategy declared: resolve() put it there.
  // Throws std::logic_error for a name it did not declare, or another type.
  std::uint64_t whole(std::string_view name) const;
  double number(std::string_view name) const;  // number, fraction or rate
  duration span(std::string_view name) const;
  bool boolean(std::string_view name) const;
  const std::vector<std::pair<std::string, param_value>>& values() const { return values_; }
  bool empty() const { return values_.empty(); }

  friend bool operator==(const strategy_params&, const strategy_params&) = default;

 private:
  const param_value& get(std::string_view name) const;
  std::vector<std::pair<std::string, param_value>> values_;
};

struct choker_options;
class upload_strategy;
using upload_factory = std::unique_ptr<upload_strategy> (*)(const choker_options& options,
                                                            const strategy_params& params);
class piece_strategy;
using piece_factory = std::unique_ptr<piece_strategy> (*)(const strategy_params& params);
struct neighbour_options;
class neighbour_strategy;
using neighbour_factory = std::unique_ptr<neighbour_strategy> (*)(const neighbour_options& options,
                                                                  const strategy_params& params);

// Rule 2. A choker has make_upload set, a picker make_picker, a neighbour
// policy make_neighbours.
struct strategy_info {
  strategy_kind kind = strategy_kind::choker;
  std::string name;
  std::string summary;
  std::string source;
  std::vector<param_spec> params;
  upload_factory make_upload = nullptr;
  piece_factory make_picker = nullptr;
  neighbour_factory make_neighbours = nullptr;

  const param_spec* param(std::string_view n) const;
};

// Checks `given` against info's parameters and fills in the defaults. Returns
// the problem ("unknown parameter 'x' of choker 'mainline' (did you mean ...)"
// is the caller's: this names the parameter and the rule), or the values.
struct resolved_params {
  std::optional<strategy_params> params;
  std::string error;
};
resolved_params resolve(const strategy_info& info, const strategy_params& given);
// Why `v` does not fit `spec` (type, range), or nothing.
std::optional<std::string> check_param(const param_spec& spec, const param_value& v);

// Rule 4.
struct strategy_ref {
  const strategy_info* info = nullptr;  // never null once set up
  strategy_params params;

  std::string_view name() const { return info ? std::string_view(info->name) : ""; }
  friend bool operator==(const strategy_ref& a, const strategy_ref& b) {
    return a.name() == b.name() && a.params == b.params;
  }
};

}  // namespace swarmsim::protocol
