#include "protocol/rc4_stream.hpp"

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <algorithm>
#include <array>
#include <climits>
#include <stdexcept>
#include <utility>

namespace swarmsim::protocol {

namespace {

// RC4 from the legacy provider, fetched once; the library context and the
// cipher live as long as the process.
const EVP_CIPHER* rc4_cipher() {
  static const EVP_CIPHER* const cipher = [] {
    OSSL_LIB_CTX* context = OSSL_LIB_CTX_new();
    if (!context || !OSSL_PROVIDER_load(context, "legacy"))
      return static_cast<EVP_CIPHER*>(nullptr);
    return EVP_CIPHER_fetch(context, "RC4", nullptr);
  }();
  if (!cipher)
    throw std::runtime_error(
        "RC4 (for encrypted connections) is not available: OpenSSL's legacy provider could not "
        "be loaded");
  return cipher;
}

}  // namespace

rc4_stream::rc4_stream(std::span<const std::uint8_t> key) : ctx_(EVP_CIPHER_CTX_new()) {
  if (!ctx_) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  if (EVP_EncryptInit_ex(ctx_, rc4_cipher(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_key_length(ctx_, static_cast<int>(key.size())) != 1 ||
      EVP_EncryptInit_ex(ctx_, nullptr, nullptr, key.data(), nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx_);
    throw std::runtime_error("RC4 key setup failed");
  }
  std::array<std::uint8_t, discarded_bytes> discard{};
  apply(discard);
}

rc4_stream::~rc4_stream() {
  EVP_CIPHER_CTX_free(ctx_);
}

rc4_stream::rc4_stream(rc4_stream&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

rc4_stream& rc4_stream::operator=(rc4_stream&& other) noexcept {
  std::swap(ctx_, other.ctx_);
  return *this;
}

void rc4_stream::apply(std::span<std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const auto n = std::min<std::size_t>(bytes.size(), INT_MAX / 2);
    int out = 0;
    if (EVP_EncryptUpdate(ctx_, bytes.data(), &out, bytes.data(), static_cast<int>(n)) != 1 ||
        static_cast<std::size_t>(out) != n)
      throw std::runtime_error("RC4 failed");
    bytes = bytes.subspan(n);
  }
}

}  // namespace swarmsim::protocol
