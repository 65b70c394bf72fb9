// SHA-256 of file bytes (OpenSSL EVP): the dataset's identity of an image, for
// deduplication and for the split rule.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace facegender::prepare {

std::string sha256_hex(std::span<const std::uint8_t> bytes);  // 64 lower-case hex digits

}  // namespace facegender::prepare
