#include "protocol/mse_handshake.hpp"

#include <openssl/bn.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "protocol/metainfo.hpp"

namespace swarmsim::protocol {

namespace {

constexpr std::uint32_t method_plaintext = 0x01;
constexpr std::uint32_t method_rc4 = 0x02;
constexpr std::size_t vc_size = 8;
constexpr std::string_view bittorrent_prefix{
    "\x13"
    "BitTorrent protocol",
    20};

struct bn_deleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct bn_ctx_deleter {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_deleter>;

bn_ptr to_bn(std::span<const std::uint8_t> big_endian) {
  bn_ptr b(BN_bin2bn(big_endian.data(), static_cast<int>(big_endian.size()), nullptr));
  if (!b) throw std::runtime_error("BN_bin2bn failed");
  return b;
}

// The MSE specification's 768-bit prime P (generator 2).
constexpr const char* mse_prime_hex =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3621"
    "0000000000090563";

}  // namespace

std::array<std::uint8_t, mse_handshake::key_size> mse_handshake::mod_exp(
    std::span<const std::uint8_t> base, std::span<const std::uint8_t> exponent) {
  BIGNUM* p = nullptr;
  if (BN_hex2bn(&p, mse_prime_hex) == 0) throw std::runtime_error("BN_hex2bn failed");
  const bn_ptr prime(p);
  const std::unique_ptr<BN_CTX, bn_ctx_deleter> ctx(BN_CTX_new());
  const bn_ptr b = to_bn(base);
  const bn_ptr e = to_bn(exponent);
  const bn_ptr r(BN_new());
  std::array<std::uint8_t, mse_handshake::key_size> out{};
  if (!prime || !ctx || !r || BN_mod_exp(r.get(), b.get(), e.get(), prime.get(), ctx.get()) != 1 ||
      BN_bn2binpad(r.get(), out.data(), static_cast<int>(out.size())) !=
          static_cast<int>(out.size()))
    throw std::runtime_error("Diffie-Hellman exponentiation failed");
  return out;
}

namespace {

sha1_hash hash_of(std::string_view label, std::span<const std::uint8_t> a,
                  std::span<const std::uint8_t> b = {}) {
  sha1_hasher h;
  h.update(std::span(reinterpret_cast<const std::uint8_t*>(label.data()), label.size()));
  h.update(a);
  h.update(b);
  return h.finish();
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_u16(std::vector<std::uint8_t>& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
std::uint32_t get_u32(std::span<const std::uint8_t> b) {
  return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
}
std::size_t get_u16(std::span<const std::uint8_t> b) {
  return std::size_t{b[0]} << 8 | b[1];
}

}  // namespace

std::string_view to_string(encryption_policy p) {
  switch (p) {
    case encryption_policy::disabled:
      return "disabled";
    case encryption_policy::enabled:
      return "enabled";
    case encryption_policy::required:
      return "required";
  }
  return "?";
}

std::optional<encryption_policy> parse_encryption_policy(std::string_view text) {
  for (auto p :
       {encryption_policy::disabled, encryption_policy::enabled, encryption_policy::required})
    if (text == to_string(p)) return p;
  return std::nullopt;
}

bool retry_in_plaintext(encryption_policy p) {
  return p == encryption_policy::enabled;
}

std::string_view to_string(mse_error e) {
  switch (e) {
    case mse_error::no_sync:
      return "encryption handshake: no sync marker within the allowed bytes";
    case mse_error::unknown_torrent:
      return "encryption handshake: the remote asked for a torrent not served here";
    case mse_error::bad_verification:
      return "encryption handshake: verification constant mismatch";
    case mse_error::bad_pad_length:
      return "encryption handshake: padding longer than 512 bytes";
    case mse_error::no_common_method:
      return "encryption handshake: no method both sides allow";
    case mse_error::bad_selection:
      return "encryption handshake: the remote selected a method not offered";
    case mse_error::plaintext_refused:
      return "plaintext connection refused: encryption is required";
    case mse_error::plaintext_reply:
      return "encryption handshake: the remote answered in plaintext";
  }
  return "encryption handshake failed";
}

mse_handshake::mse_handshake(bool initiator, encryption_policy policy, rng random)
    : initiator_(initiator), policy_(policy), random_(random), state_(state::read_key) {
  if (policy == encryption_policy::disabled)
    throw std::invalid_argument("mse_handshake: encryption is disabled");
  for (std::size_t i = 0; i < private_key_.size(); i += 4) {
    const auto v = random_();
    for (std::size_t j = 0; j < 4; ++j)
      private_key_[i + j] = static_cast<std::uint8_t>(v >> (8 * j));
  }
  private_key_[0] |= 0x80;  // a full 160-bit exponent
}

mse_handshake mse_handshake::initiator(const sha1_hash& info_hash, encryption_policy policy,
                                       rng random, std::span<const std::uint8_t> initial_payload) {
  if (initial_payload.size() > 0xffff)
    throw std::invalid_argument("mse_handshake: initial payload over 65535 bytes");
  mse_handshake h(true, policy, random);
  h.ia_.assign(initial_payload.begin(), initial_payload.end());
  h.info_hash_ = info_hash;
  h.provided_ = policy == encryption_policy::required ? method_rc4 : method_plaintext | method_rc4;
  h.send_key_and_pad();
  return h;
}

mse_handshake mse_handshake::responder(std::vector<sha1_hash> torrents, encryption_policy policy,
                                       rng random) {
  mse_handshake h(false, policy, random);
  h.torrents_ = std::move(torrents);
  h.state_ = state::sniff;
  return h;
}

void mse_handshake::feed(std::span<const std::uint8_t> bytes) {
  if (state_ == state::done || state_ == state::failed) return;
  if (read_ > 0 && read_ == in_.size()) {
    in_.clear();
    read_ = 0;
  }
  in_.insert(in_.end(), bytes.begin(), bytes.end());
  while (state_ != state::done && state_ != state::failed && step()) {
  }
}

std::vector<std::uint8_t> mse_handshake::take_output() {
  return std::exchange(out_, {});
}

mse_result mse_handshake::take_result() {
  if (!result_) throw std::logic_error("mse_handshake::take_result before done");
  mse_result r = std::move(*result_);
  result_.reset();
  return r;
}

bool mse_handshake::step() {
  switch (state_) {
    case state::sniff:
      return sniff();
    case state::read_key:
      return read_key();
    case state::find_sync:
      return find_sync();
    case state::read_skey:
      return read_skey();
    case state::read_provide:
      return read_provide();
    case state::read_pad_ia:
      return read_pad_ia();
    case state::read_ia:
      return read_ia();
    case state::read_select:
      return read_select();
    case state::read_pad_d:
      return read_pad_d();
    case state::done:
    case state::failed:
      return false;
  }
  return false;
}

std::span<std::uint8_t> mse_handshake::available() {
  return std::span(in_).subspan(read_);
}

std::optional<std::span<std::uint8_t>> mse_handshake::take_decrypted(std::size_t n) {
  const auto in = available();
  if (in.size() < n) return std::nullopt;
  const auto bytes = in.first(n);
  decrypt_->apply(bytes);
  read_ += n;
  return bytes;
}

void mse_handshake::send_key_and_pad() {
  const std::array<std::uint8_t, 1> generator{2};
  const auto y = mod_exp(generator, private_key_);
  out_.insert(out_.end(), y.begin(), y.end());
  const auto pad = random_() % (max_pad + 1);
  for (std::size_t i = 0; i < pad; ++i)
    out_.push_back(static_cast<std::uint8_t>(random_()));
}

void mse_handshake::derive_keys(const sha1_hash& skey) {
  const auto key_a = hash_of("keyA", secret_, skey);
  const auto key_b = hash_of("keyB", secret_, skey);
  encrypt_.emplace(initiator_ ? key_a : key_b);
  decrypt_.emplace(initiator_ ? key_b : key_a);
}

bool mse_handshake::sniff() {
  const auto in = available();
  const auto n = std::min(in.size(), bittorrent_prefix.size());
  if (!std::equal(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n),
                  bittorrent_prefix.begin())) {
    state_ = state::read_key;
    return true;
  }
  if (n < bittorrent_prefix.size()) return false;
  if (policy_ == encryption_policy::required) {
    fail(mse_error::plaintext_refused);
    return false;
  }
  result_.emplace();
  result_->exchanged = false;
  result_->payload.assign(in.begin(), in.end());
  read_ = in_.size();
  state_ = state::done;
  return false;
}

bool mse_handshake::read_key() {
  const auto in = available();
  if (initiator_ && in.size() >= bittorrent_prefix.size() &&
      std::equal(bittorrent_prefix.begin(), bittorrent_prefix.end(), in.begin())) {
    fail(mse_error::plaintext_reply);  // a plaintext peer that did not wait for us
    return false;
  }
  if (in.size() < key_size) return false;
  secret_ = mod_exp(in.first(key_size), private_key_);
  read_ += key_size;
  if (initiator_) {
    const auto req1 = hash_of("req1", secret_);
    const auto req2 = hash_of("req2", info_hash_);
    const auto req3 = hash_of("req3", secret_);
    out_.insert(out_.end(), req1.begin(), req1.end());
    for (std::size_t i = 0; i < req2.size(); ++i)
      out_.push_back(req2[i] ^ req3[i]);
    derive_keys(info_hash_);
    std::vector<std::uint8_t> block(vc_size, 0);
    put_u32(block, provided_);
    put_u16(block, 0);  // len(PadC)
    put_u16(block, ia_.size());
    block.insert(block.end(), ia_.begin(), ia_.end());
    ia_.clear();
    encrypt_->apply(block);
    out_.insert(out_.end(), block.begin(), block.end());
    sync_.fill(0);
    decrypt_->apply(std::span(sync_).first(vc_size));  // RC4b(VC)
    sync_size_ = vc_size;
  } else {
    send_key_and_pad();
    sync_ = hash_of("req1", secret_);
    sync_size_ = sync_.size();
  }
  state_ = state::find_sync;
  return true;
}

bool mse_handshake::find_sync() {
  const auto in = available();
  const auto window = in.first(std::min(in.size(), max_pad + sync_size_));
  const auto marker = std::span(sync_).first(sync_size_);
  const auto it = std::search(window.begin(), window.end(), marker.begin(), marker.end());
  if (it == window.end()) {
    if (window.size() == max_pad + sync_size_) fail(mse_error::no_sync);
    return false;
  }
  read_ += static_cast<std::size_t>(it - window.begin()) + sync_size_;
  state_ = initiator_ ? state::read_select : state::read_skey;
  return true;
}

bool mse_handshake::read_skey() {
  const auto in = available();
  if (in.size() < sizeof(sha1_hash)) return false;
  const auto req3 = hash_of("req3", secret_);
  sha1_hash wanted{};
  for (std::size_t i = 0; i < wanted.size(); ++i)
    wanted[i] = in[i] ^ req3[i];
  read_ += wanted.size();
  const auto it = std::find_if(torrents_.begin(), torrents_.end(),
                               [&](const sha1_hash& t) { return hash_of("req2", t) == wanted; });
  if (it == torrents_.end()) {
    fail(mse_error::unknown_torrent);
    return false;
  }
  info_hash_ = *it;
  derive_keys(info_hash_);
  state_ = state::read_provide;
  return true;
}

bool mse_handshake::read_provide() {
  const auto b = take_decrypted(vc_size + 4 + 2);
  if (!b) return false;
  if (std::any_of(b->begin(), b->begin() + vc_size, [](std::uint8_t x) { return x != 0; })) {
    fail(mse_error::bad_verification);
    return false;
  }
  provided_ = get_u32(b->subspan(vc_size));
  length_ = get_u16(b->subspan(vc_size + 4));
  if (length_ > max_pad) {
    fail(mse_error::bad_pad_length);
    return false;
  }
  state_ = state::read_pad_ia;
  return true;
}

bool mse_handshake::read_pad_ia() {
  const auto b = take_decrypted(length_ + 2);
  if (!b) return false;
  length_ = get_u16(b->subspan(length_));
  state_ = state::read_ia;
  return true;
}

bool mse_handshake::read_ia() {
  const auto b = take_decrypted(length_);
  if (!b) return false;
  ia_.assign(b->begin(), b->end());
  std::uint32_t select = 0;
  if (policy_ == encryption_policy::enabled && (provided_ & method_plaintext))
    select = method_plaintext;
  else if (provided_ & method_rc4)
    select = method_rc4;
  if (select == 0) {
    fail(mse_error::no_common_method);
    return false;
  }
  std::vector<std::uint8_t> block(vc_size, 0);
  put_u32(block, select);
  put_u16(block, 0);  // len(PadD)
  encrypt_->apply(block);
  out_.insert(out_.end(), block.begin(), block.end());
  finish(select == method_rc4 ? stream_cipher::rc4 : stream_cipher::plaintext);
  return false;
}

bool mse_handshake::read_select() {
  const auto b = take_decrypted(4 + 2);
  if (!b) return false;
  const auto select = get_u32(*b);
  length_ = get_u16(b->subspan(4));
  if ((select != method_plaintext && select != method_rc4) || !(select & provided_)) {
    fail(mse_error::bad_selection);
    return false;
  }
  if (length_ > max_pad) {
    fail(mse_error::bad_pad_length);
    return false;
  }
  provided_ = select;
  state_ = state::read_pad_d;
  return true;
}

bool mse_handshake::read_pad_d() {
  if (!take_decrypted(length_)) return false;
  finish(provided_ == method_rc4 ? stream_cipher::rc4 : stream_cipher::plaintext);
  return false;
}

void mse_handshake::finish(stream_cipher cipher) {
  result_.emplace();
  result_->cipher = cipher;
  result_->info_hash = info_hash_;
  result_->payload = std::move(ia_);
  const auto rest = available();
  if (cipher == stream_cipher::rc4) decrypt_->apply(rest);
  result_->payload.insert(result_->payload.end(), rest.begin(), rest.end());
  read_ = in_.size();
  if (cipher == stream_cipher::rc4) {
    result_->encryptor = std::move(encrypt_);
    result_->decryptor = std::move(decrypt_);
  }
  encrypt_.reset();
  decrypt_.reset();
  state_ = state::done;
}

void mse_handshake::fail(mse_error e) {
  error_ = e;
  state_ = state::failed;
  out_.clear();
}

}  // namespace swarmsim::protocol
