#pragma once
// Message stream encryption (MSE/PE, the obfuscation handshake of libtorrent,
// Transmission, aria2 and Vuze): a Diffie-Hellman exchange over the 768-bit MSE
// prime P (generator 2), after which both directions run RC4 or stay plaintext, as the responder
// selects among the methods the initiator offers. Sans-I/O: bytes in through
// feed(), bytes to send through take_output(), randomness from a generator the caller seeds. It
// obfuscates (a middlebox cannot match the BitTorrent handshake); it does not
// authenticate anyone.
//
// The exchange, A initiating and B responding, S the shared secret, SKEY the
// torrent's info hash, VC eight zero bytes, every pad at most 512 bytes:
//   A -> B  Ya, PadA
//   B -> A  Yb, PadB
//   A -> B  SHA1("req1" S), SHA1("req2" SKEY) xor SHA1("req3" S),
//           RC4a(VC, crypto_provide, len(PadC), PadC, len(IA), IA)
//   B -> A  RC4b(VC, crypto_select, len(PadD), PadD), then the stream
// RC4a is keyed SHA1("keyA" S SKEY) and RC4b SHA1("keyB" S SKEY). IA (initial
// payload, usually the BitTorrent handshake) is always RC4a; after the exchange
// each side's stream runs on with the same RC4 state if RC4 was selected.
// Handshakes started here send empty PadC and PadD (and the real-socket driver an
// empty IA, as libtorrent does); incoming ones accept what the specification allows.
//
// Invariants:
// 1. Input is buffered only up to the longest exchange the specification allows
//    (pads of 512 bytes, an IA of 65535); a sync marker that has not appeared by
//    then, an oversized pad, an unknown torrent or a selection that was not
//    offered fails the handshake with its mse_error.
// 2. Once done(), the result holds every stream byte received after the
//    exchange, decrypted, in order (for a responder the IA first); later bytes
//    go through its decryptor when RC4 was selected.
// 3. After failure feed() ignores its input and no more output appears.
// 4. A responder that receives a plaintext BitTorrent handshake instead is done at
//    once without an exchange (result.exchanged false, cipher plaintext, every
//    byte passed on) when its policy accepts plaintext, and fails otherwise.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "protocol/rc4_stream.hpp"
#include "protocol/types.hpp"

namespace swarmsim::protocol {

enum class encryption_policy : std::uint8_t {
  disabled,  // plaintext BitTorrent only: MSE is neither offered nor accepted
  enabled,   // offer both, select plaintext when the initiator offers it; an
             // outgoing exchange that fails is retried as a plaintext connection
  required,  // MSE with RC4 only, both ways; plaintext connections are refused
};
std::string_view to_string(encryption_policy p);
std::optional<encryption_policy> parse_encryption_policy(std::string_view text);

// Whether an outgoing connection whose MSE exchange failed (the remote hung up,
// or answered with something that is not MSE) is opened again in plaintext.
bool retry_in_plaintext(encryption_policy p);

enum class stream_cipher : std::uint8_t { plaintext, rc4 };

enum class mse_error : std::uint8_t {
  no_sync,            // the sync marker did not appear within the allowed bytes
  unknown_torrent,    // the initiator asked for an info hash we do not serve
  bad_verification,   // VC decrypted to something other than zeros
  bad_pad_length,     // a len(PadC) or len(PadD) above 512
  no_common_method,   // the initiator offers no method our policy allows
  bad_selection,      // the responder selected a method that was not offered
  plaintext_refused,  // a plaintext handshake to a responder requiring encryption
  plaintext_reply,    // the responder answered with a plaintext BitTorrent handshake
};
std::string_view to_string(mse_error e);

struct mse_result {
  stream_cipher cipher = stream_cipher::plaintext;
  bool exchanged = true;                // false: plaintext handshake, no MSE at all
  sha1_hash info_hash{};                // the torrent the stream is about
  std::vector<std::uint8_t> payload;    // stream bytes received so far, decrypted
  std::optional<rc4_stream> encryptor;  // with rc4: for every later byte sent
  std::optional<rc4_stream> decryptor;  // with rc4: for every later byte received
};

class mse_handshake {
 public:
  static constexpr std::size_t key_size = 96;  // bytes of Ya, Yb and S
  static constexpr std::size_t max_pad = 512;

  // Starts an exchange for `info_hash`; its first bytes are ready in take_output().
  // `initial_payload` (at most 65535 bytes) goes out as IA. Precondition: policy
  // != disabled.
  static mse_handshake initiator(const sha1_hash& info_hash, encryption_policy policy, rng random,
                                 std::span<const std::uint8_t> initial_payload = {});
  // Answers an exchange for one of `torrents`. Precondition: policy != disabled.
  static mse_handshake responder(std::vector<sha1_hash> torrents, encryption_policy policy,
                                 rng random);

  // base^exponent modulo the MSE prime P, as 96 big-endian bytes (Ya = 2^Xa,
  // S = Yb^Xa).
  static std::array<std::uint8_t, key_size> mod_exp(std::span<const std::uint8_t> base,
                                                    std::span<const std::uint8_t> exponent);

  void feed(std::span<const std::uint8_t> bytes);
  // Bytes to send, in order; each call hands over what accumulated since the last.
  std::vector<std::uint8_t> take_output();

  bool done() const { return state_ == state::done; }
  bool failed() const { return state_ == state::failed; }
  std::optional<mse_error> error() const { return error_; }
  // Precondition: done(). Moves the result out; call once.
  mse_result take_result();

 private:
  enum class state : std::uint8_t {
    sniff,         // responder: plaintext handshake or MSE?
    read_key,      // the remote's Y
    find_sync,     // initiator: RC4b(VC); responder: SHA1("req1" S)
    read_skey,     // responder: which torrent
    read_provide,  // responder: VC, crypto_provide, len(PadC)
    read_pad_ia,   // responder: PadC, len(IA); then IA
    read_ia,
    read_select,  // initiator: crypto_select, len(PadD)
    read_pad_d,
    done,
    failed,
  };

  mse_handshake(bool initiator, encryption_policy policy, rng random);
  bool step();  // one state's worth of progress; false when more input is needed
  bool sniff();
  bool read_key();
  bool find_sync();
  bool read_skey();
  bool read_provide();
  bool read_pad_ia();
  bool read_ia();
  bool read_select();
  bool read_pad_d();
  void send_key_and_pad();
  void derive_keys(const sha1_hash& skey);
  void finish(stream_cipher cipher);
  void fail(mse_error e);
  std::span<std::uint8_t> available();
  // The next n buffered bytes decrypted with the receive cipher (consumed), or
  // nullopt while fewer than n are buffered.
  std::optional<std::span<std::uint8_t>> take_decrypted(std::size_t n);

  bool initiator_;
  encryption_policy policy_;
  rng random_;  // private key and pads
  state state_;
  std::optional<mse_error> error_;
  std::vector<sha1_hash> torrents_;  // responder: what it serves
  sha1_hash info_hash_{};
  std::array<std::uint8_t, 20> private_key_{};
  std::array<std::uint8_t, key_size> secret_{};
  std::array<std::uint8_t, 20> sync_{};  // the marker find_sync looks for
  std::size_t sync_size_ = 0;
  std::uint32_t provided_ = 0;  // crypto_provide, as sent or received
  std::size_t length_ = 0;      // of the pad or IA being read
  std::vector<std::uint8_t> in_;
  std::size_t read_ = 0;  // in_[0, read_) is consumed
  std::vector<std::uint8_t> out_;
  std::vector<std::uint8_t> ia_;  // initiator: to send; responder: received
  std::optional<rc4_stream> encrypt_;
  std::optional<rc4_stream> decrypt_;
  std::optional<mse_result> result_;
};

}  // namespace swarmsim::protocol
