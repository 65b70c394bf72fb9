#include "prepare/gzip_file.hpp"

#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace facegender::prepare {
namespace {

// Closes the gzip stream on every path; close() reports the final flush.
class GzipWriter {
 public:
  GzipWriter(const std::string& path, int level) : path_(path) {
    const std::string mode = "wb" + std::to_string(level);
    file_ = gzopen(path.c_str(), mode.c_str());
    if (file_ == nullptr) throw std::runtime_error(path + ": cannot create");
  }
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;
  ~GzipWriter() {
    if (file_ != nullptr) gzclose(file_);
  }
  void write(const char* data, std::size_t size) {
    if (size == 0) return;
    if (gzwrite(file_, data, static_cast<unsigned>(size)) != static_cast<int>(size)) {
      int code = 0;
      throw std::runtime_error(path_ + ": gzip write failed: " + gzerror(file_, &code));
    }
  }
  void close() {
    const int result = gzclose(file_);
    file_ = nullptr;
    if (result != Z_OK)
      throw std::runtime_error(path_ + ": gzip close failed (code " + std::to_string(result) + ")");
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

void compress(const std::string& source, const std::string& temp, int level) {
  std::ifstream in(source, std::ios::binary);
  if (!in) throw std::runtime_error(source + ": cannot open for compression");
  GzipWriter out(temp, level);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    out.write(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error(source + ": read error while compressing");
  out.close();
}

}  // namespace

std::uint64_t gzip_file(const std::string& source, const std::string& target, int level) {
  const std::string temp = target + ".tmp-" + std::to_string(::getpid());
  try {
    compress(source, temp, level);
    std::filesystem::rename(temp, target);
  } catch (const std::filesystem::filesystem_error& e) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw std::runtime_error(target +
                             ": cannot move the compressed file into place: " + e.code().message());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw;
  }
  return std::filesystem::file_size(target);
}

}  // namespace facegender::prepare
