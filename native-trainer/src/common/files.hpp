// Small file helpers shared by the commands.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace facegender {

// Writes via a temporary file in the same folder and a rename, so a reader
// never sees a half-written file and a crash never destroys the old one.
void write_file_atomically(const std::string& path, const std::string& bytes);

// Reads a regular file whole. Throws std::runtime_error naming the file when
// it is missing, unreadable, not a regular file (a device or FIFO is refused
// without reading or waiting) or larger than `max_bytes`.
std::string read_file(const std::string& path,
                      std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max());

}  // namespace facegender
