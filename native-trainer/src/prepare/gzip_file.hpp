// gzip (zlib) of a file, written atomically: the packed dataset's compressed
// form for moving it between machines (`gunzip` restores the .fgds bytes).
#pragma once

#include <cstdint>
#include <string>

namespace facegender::prepare {

// Compresses `source` into `target` (temporary file + rename); returns the
// compressed size. Throws std::runtime_error naming the file.
std::uint64_t gzip_file(const std::string& source, const std::string& target, int level = 9);

}  // namespace facegender::prepare
