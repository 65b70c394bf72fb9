// JSON text for files and standard output. Paths on Linux are bytes, not
// necessarily UTF-8; nlohmann::json refuses to print invalid UTF-8 and would
// end a whole run over one file name, so invalid bytes print as U+FFFD.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace facegender {

template <typename Json>
std::string json_text(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// True when `text` is valid UTF-8 (so JSON shows it as it is).
inline bool is_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace facegender
