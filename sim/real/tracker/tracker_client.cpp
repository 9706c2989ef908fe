#include "sim/real/tracker/tracker_client.hpp"

#include <arpa/inet.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "protocol/bencode.hpp"
#include "sim/real/tracker/announce_request.hpp"

namespace swarmsim::sim::real {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

parsed<http_url> parse_http_url(std::string_view url) {
  using result = parsed<http_url>;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return result::fail(fmt::format("'{}': not a URL (no scheme)", url));
  std::string scheme(url.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http")
    return result::fail(
        fmt::format("'{}': only http:// trackers are supported, not {}://", url, scheme));
  std::string_view rest = url.substr(scheme_end + 3);
  const auto authority_end = std::min(rest.find_first_of("/?"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  http_url out;
  out.target = std::string(rest.substr(authority_end));
  if (out.target.empty() || out.target.front() == '?') out.target.insert(0, "/");
  if (const auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return result::fail(fmt::format("'{}': bad host", url));
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return result::fail(fmt::format("'{}': bad host", url));
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return result::fail(fmt::format("'{}': no host", url));
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [p, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return result::fail(fmt::format("'{}': bad port '{}'", url, port_text));
    out.port = static_cast<std::uint16_t>(port);
  }
  return result::ok(std::move(out));
}

std::string announce_target(const http_url& url, const protocol::announce_request& r) {
  std::string t = url.target;
  t += t.find('?') == std::string::npos ? '?' : '&';
  t += fmt::format("info_hash={}&peer_id={}&port={}&uploaded={}&downloaded={}&left={}&compact=1",
                   percent_encode(r.info_hash), percent_encode(r.peer), r.address.port, r.uploaded,
                   r.downloaded, r.left);
  switch (r.event) {
    case protocol::announce_event::none:
      break;
    case protocol::announce_event::started:
      t += "&event=started";
      break;
    case protocol::announce_event::completed:
      t += "&event=completed";
      break;
    case protocol::announce_event::stopped:
      t += "&event=stopped";
      break;
  }
  if (r.numwant) t += fmt::format("&numwant={}", *r.numwant);
  return t;
}

namespace {

using protocol::bencode::value;

std::optional<std::int64_t> int_field(const value& dict, std::string_view key) {
  const value* v = dict.find(key);
  if (!v || !v->as_integer()) return std::nullopt;
  return *v->as_integer();
}

}  // namespace

parsed<protocol::announce_response> parse_announce_response(std::string_view body) {
  using result = parsed<protocol::announce_response>;
  auto decoded = protocol::bencode::decode(body, {protocol::bencode::key_order::lenient, 16});
  if (!decoded)
    return result::fail(fmt::format("tracker response: not bencoded ({} at byte {})",
                                    decoded.error().text, decoded.error().offset));
  const value& top = decoded.get();
  if (!top.is_dict()) return result::fail("tracker response: not a dictionary");
  protocol::announce_response r;
  if (const value* f = top.find("failure reason")) {
    r.failure = f->as_string() ? *f->as_string() : std::string("(unreadable failure reason)");
    return result::ok(std::move(r));
  }
  const auto interval = int_field(top, "interval");
  if (!interval || *interval < 0)
    return result::fail("tracker response: interval: missing or negative");
  r.interval = std::chrono::seconds(std::min<std::int64_t>(*interval, 7 * 24 * 3600));
  if (const auto mi = int_field(top, "min interval"); mi && *mi >= 0)
    r.min_interval = std::chrono::seconds(std::min<std::int64_t>(*mi, 7 * 24 * 3600));
  const auto count = [&](std::string_view key) -> std::uint32_t {
    const auto v = int_field(top, key);
    return v && *v > 0 ? static_cast<std::uint32_t>(std::min<std::int64_t>(*v, 0xffffffff)) : 0;
  };
  r.complete = count("complete");
  r.incomplete = count("incomplete");
  const value* peers = top.find("peers");
  if (!peers) return result::fail("tracker response: peers: missing");
  if (const auto* s = peers->as_string()) {
    if (s->size() % 6 != 0)
      return result::fail(
          fmt::format("tracker response: peers: {} bytes, not a multiple of 6", s->size()));
    for (std::size_t i = 0; i < s->size(); i += 6) {
      const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>((*s)[i + k]); };
      protocol::peer_entry e;
      e.address.address =
          std::uint32_t{b(0)} << 24 | std::uint32_t{b(1)} << 16 | std::uint32_t{b(2)} << 8 | b(3);
      e.address.port = static_cast<std::uint16_t>(b(4) << 8 | b(5));
      if (e.address.port != 0) r.peers.push_back(e);
    }
  } else if (const auto* l = peers->as_list()) {
    for (const value& p : *l) {
      const value* ip = p.find("ip");
      const auto port = int_field(p, "port");
      if (!ip || !ip->as_string() || !port || *port <= 0 || *port > 65535) continue;
      in_addr a{};
      if (::inet_pton(AF_INET, ip->as_string()->c_str(), &a) != 1) continue;
      protocol::peer_entry e;
      e.address.address = ntohl(a.s_addr);
      e.address.port = static_cast<std::uint16_t>(*port);
      if (const value* id = p.find("peer id");
          id && id->as_string() && id->as_string()->size() == 20)
        std::copy_n(id->as_string()->begin(), 20, e.peer.begin());
      r.peers.push_back(e);
    }
  } else {
    return result::fail("tracker response: peers: neither a string nor a list");
  }
  return result::ok(std::move(r));
}

namespace {

// One announce exchange; keeps itself alive through its pending handlers.
class announce_exchange : public std::enable_shared_from_this<announce_exchange> {
 public:
  announce_exchange(asio::io_context& io, const http_url& url, std::string target,
                    std::chrono::milliseconds timeout, tracker_client::handler done)
      : resolver_(io),
        stream_(io),
        timer_(io),
        url_(url),
        timeout_(timeout),
        done_(std::move(done)) {
    request_.method(http::verb::get);
    request_.target(target);
    request_.version(11);
    request_.set(http::field::host,
                 url.port == 80 ? url.host : fmt::format("{}:{}", url.host, url.port));
    request_.set(http::field::user_agent, "swarmsim");
    request_.set(http::field::connection, "close");
    parser_.body_limit(http_tracker_client::max_body_bytes);
  }

  void run() {
    auto self = shared_from_this();
    timer_.expires_after(timeout_);
    timer_.async_wait([self](beast::error_code ec) {
      if (ec) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      self->stream_.socket().close(ec);
    });
    resolver_.async_resolve(url_.host, std::to_string(url_.port),
                            [self](beast::error_code ec, tcp::resolver::results_type results) {
                              if (ec) return self->fail("cannot resolve", ec);
                              self->stream_.async_connect(
                                  results, [self](beast::error_code ec2, const tcp::endpoint&) {
                                    if (ec2) return self->fail("cannot connect", ec2);
                                    self->write();
                                  });
                            });
  }

 private:
  void write() {
    auto self = shared_from_this();
    http::async_write(stream_, request_, [self](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("cannot send the request", ec);
      http::async_read(self->stream_, self->buffer_, self->parser_,
                       [self](beast::error_code ec2, std::size_t) { self->on_read(ec2); });
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) return fail("cannot read the response", ec);
    const auto& res = parser_.get();
    if (res.result() != http::status::ok)
      return finish(parsed<protocol::announce_response>::fail(
          fmt::format("tracker {}:{} answered HTTP {}", url_.host, url_.port, res.result_int())));
    finish(parse_announce_response(res.body()));
  }

  void fail(std::string_view what, beast::error_code ec) {
    finish(parsed<protocol::announce_response>::fail(
        fmt::format("tracker {}:{}: {}: {}", url_.host, url_.port, what,
                    timed_out_ ? std::string("timed out") : ec.message())));
  }

  void finish(parsed<protocol::announce_response> r) {
    if (!done_) return;
    beast::error_code ignored;
    timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(r));
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  http_url url_;
  std::chrono::milliseconds timeout_;
  tracker_client::handler done_;
  http::request<http::empty_body> request_;
  http::response_parser<http::string_body> parser_;
  beast::flat_buffer buffer_;
  bool timed_out_ = false;
};

}  // namespace

http_tracker_client::http_tracker_client(asio::io_context& io, std::string_view announce_url,
                                         std::chrono::milliseconds timeout)
    : io_(io), timeout_(timeout) {
  auto u = parse_http_url(announce_url);
  if (!u) throw std::invalid_argument(u.error);
  url_ = *u;
}

void http_tracker_client::announce(const protocol::announce_request& request, handler done) {
  std::make_shared<announce_exchange>(io_, url_, announce_target(url_, request), timeout_,
                                      std::move(done))
      ->run();
}

}  // namespace swarmsim::sim::real
