// Small file helpers shared by the commands.
#pragma once

#include <string>
#include <vector>

namespace facegender {

// Writes via a temporary file in the same folder and a rename, so a reader
// never sees a half-written file and a crash never destroys the old one.
void write_file_atomically(const std::string& path, const std::string& bytes);

std::string read_file(const std::string& path);  // throws std::runtime_error naming the file

}  // namespace facegender
