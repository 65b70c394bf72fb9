// Helpers the fuzz targets share: a scratch folder for the parsers that take
// a path, and a check that fails the run (a finding) when an invariant the
// parser promises does not hold.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace fuzz {

// Aborts, so libFuzzer records the input as a crash.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

inline void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

// A documented rejection: nothing to report. With FACEGENDER_FUZZ_VERBOSE
// set, says why, so replaying a seed or corpus file shows how far it got:
//   FACEGENDER_FUZZ_VERBOSE=1 build/fuzz/tests/fuzz/fuzz_cascade FILE
inline void rejected(const std::exception& e) {
  static const bool verbose = std::getenv("FACEGENDER_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "rejected: %s\n", e.what());
}

// Says that an input got through, under FACEGENDER_FUZZ_VERBOSE.
inline void accepted(const char* what) {
  static const bool verbose = std::getenv("FACEGENDER_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "accepted: %s\n", what);
}

// This process's scratch folder, made on first use and removed at exit:
// under $FACEGENDER_FUZZ_SCRATCH (scripts/fuzz.sh sets it), else /dev/shm
// (RAM) when there, else the temporary folder.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path parent;
    if (const char* env = std::getenv("FACEGENDER_FUZZ_SCRATCH"); env != nullptr && *env != '\0') {
      parent = env;
    } else if (std::filesystem::is_directory("/dev/shm")) {
      parent = "/dev/shm";
    } else {
      parent = std::filesystem::temp_directory_path();
    }
    std::filesystem::path made = parent / ("facegender-fuzz-" + std::to_string(::getpid()));
    std::error_code error;
    std::filesystem::create_directories(made, error);
    if (error) fail("cannot create the scratch folder");
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return made;
  }();
  return dir;
}

// Length-prefixed formats (.fgds, .safetensors, .fgnet) lose their framing
// at the first byte a mutation inserts into the JSON header, so their targets
// also take inputs of the form "HEADER\0DATA" (starting with '{') and write
// the format's magic and length themselves: `prefix`, the header's length in
// `length_bytes` little-endian bytes, the header, the data. Other inputs are
// the file as it is.
inline std::vector<std::uint8_t> framed(const std::uint8_t* data, std::size_t size,
                                        const std::string& prefix, int length_bytes) {
  if (size == 0 || data[0] != '{') return {data, data + size};
  std::size_t header = 0;
  while (header < size && data[header] != 0) ++header;
  std::vector<std::uint8_t> file(prefix.begin(), prefix.end());
  for (int i = 0; i < length_bytes; ++i)
    file.push_back(
        static_cast<std::uint8_t>((static_cast<std::uint64_t>(header) >> (8 * i)) & 0xFF));
  file.insert(file.end(), data, data + header);
  if (header < size) file.insert(file.end(), data + header + 1, data + size);
  return file;
}

// Replaces the file's contents with `size` bytes (no rename: one inode per
// name, so a run costs two system calls more than a parser on memory).
inline void write_bytes(const std::filesystem::path& path, const std::uint8_t* data,
                        std::size_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot write a scratch file");
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) fail("cannot write a scratch file");
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

}  // namespace fuzz
