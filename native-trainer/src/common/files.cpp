#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace facegender {
namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

// A name no other writer (thread or process) picks for the same target.
std::string temporary_name(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Owns a POSIX descriptor so every exit path closes it.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closing can report a deferred write error (e.g. NFS), so it is checked.
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

void write_all(int fd, const std::string& bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(path + ": cannot write: " + errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
}

void write_temporary(const std::string& temp, const std::string& bytes, const std::string& path) {
  Descriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.get() < 0) {
    throw std::runtime_error(path + ": cannot create temporary file " + temp + ": " +
                             errno_text(errno));
  }
  write_all(fd.get(), bytes, path);
  // Data must be on disk before the rename makes it visible, or a crash could
  // leave a complete-looking name with missing contents.
  if (::fsync(fd.get()) != 0)
    throw std::runtime_error(path + ": fsync failed: " + errno_text(errno));
  if (fd.close() != 0) throw std::runtime_error(path + ": close failed: " + errno_text(errno));
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string temp = temporary_name(path);
  try {
    write_temporary(temp, bytes, path);
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
      throw std::runtime_error(path + ": cannot rename " + temp + " to it: " + errno_text(errno));
    }
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw;
  }
}

std::string read_file(const std::string& path, std::uint64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused
  // below like any file that is not a regular one.
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) throw std::runtime_error(path + ": cannot open: " + errno_text(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0)
    throw std::runtime_error(path + ": cannot stat: " + errno_text(errno));
  if (S_ISDIR(info.st_mode)) throw std::runtime_error(path + ": is a directory, not a file");
  if (!S_ISREG(info.st_mode)) {
    throw std::runtime_error(
        path + ": not a regular file (a device, FIFO or socket); only files are read");
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size > max_bytes) {
    throw std::runtime_error(path + ": " + std::to_string(size) + " bytes is over the limit of " +
                             std::to_string(max_bytes) + " bytes for this kind of file");
  }
  std::string bytes(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(path + ": read error: " + errno_text(errno));
    if (n == 0) break;  // the file shrank while being read
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

}  // namespace facegender
