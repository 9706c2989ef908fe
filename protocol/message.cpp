#include "protocol/message.hpp"

namespace swarmsim::protocol {

namespace {
struct namer {
  std::string_view operator()(const msg::handshake&) const { return "handshake"; }
  std::string_view operator()(const msg::keep_alive&) const { return "keep-alive"; }
  std::string_view operator()(const msg::choke&) const { return "choke"; }
  std::string_view operator()(const msg::unchoke&) const { return "unchoke"; }
  std::string_view operator()(const msg::interested&) const { return "interested"; }
  std::string_view operator()(const msg::not_interested&) const { return "not-interested"; }
  std::string_view operator()(const msg::have&) const { return "have"; }
  std::string_view operator()(const msg::bitfield&) const { return "bitfield"; }
  std::string_view operator()(const msg::request&) const { return "request"; }
  std::string_view operator()(const msg::piece&) const { return "piece"; }
  std::string_view operator()(const msg::cancel&) const { return "cancel"; }
  std::string_view operator()(const msg::have_all&) const { return "have-all"; }
  std::string_view operator()(const msg::have_none&) const { return "have-none"; }
  std::string_view operator()(const msg::reject_request&) const { return "reject-request"; }
  std::string_view operator()(const msg::suggest_piece&) const { return "suggest-piece"; }
  std::string_view operator()(const msg::allowed_fast&) const { return "allowed-fast"; }
  std::string_view operator()(const msg::extended&) const { return "extended"; }
};
}  // namespace

std::string_view name(const message& m) {
  return std::visit(namer{}, m);
}

}  // namespace swarmsim::protocol
