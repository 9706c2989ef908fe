#pragma once
// The RC4 keystream of message stream encryption (MSE/PE): keyed with a 20-byte
// SHA-1 value, its first 1024 bytes discarded as the MSE specification asks.
//
// rc4_stream keeps one cipher state; apply() XORs the next keystream bytes into
// its argument, so encrypting and decrypting are the same call and a stream must
// see its bytes exactly once, in order. OpenSSL 3 keeps RC4 in its legacy
// provider: it is loaded once per process into a library context of its own (the
// default context, and with it everything else that uses OpenSSL, is untouched).
// Throws std::runtime_error when that provider is missing.

#include <cstdint>
#include <span>

struct evp_cipher_ctx_st;

namespace swarmsim::protocol {

class rc4_stream {
 public:
  static constexpr std::size_t discarded_bytes = 1024;

  explicit rc4_stream(std::span<const std::uint8_t> key);
  ~rc4_stream();
  rc4_stream(rc4_stream&& other) noexcept;
  rc4_stream& operator=(rc4_stream&& other) noexcept;
  rc4_stream(const rc4_stream&) = delete;
  rc4_stream& operator=(const rc4_stream&) = delete;

  void apply(std::span<std::uint8_t> bytes);

 private:
  evp_cipher_ctx_st* ctx_;
};

}  // namespace swarmsim::protocol
