#include "common/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace facegender {
namespace {

std::string duration_text(double seconds) {
  char text[32];
  const auto total = static_cast<long>(seconds + 0.5);
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, (total % 3600) / 60);
  } else {
    std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
  }
  return text;
}

}  // namespace

Progress::Progress(std::string label, std::int64_t total, std::string unit)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_ && done_ > 0) finish();
}

void Progress::advance(std::int64_t n) {
  set(done_ + n);
}

void Progress::set(std::int64_t done) {
  done_ = done;
  draw(false);
}

void Progress::set_note(std::string note) {
  note_ = std::move(note);
}

void Progress::finish() {
  if (finished_) return;
  if (tty_ || last_drawn_ != done_) draw(true);  // a log already has the final line
  finished_ = true;
  if (tty_) std::cerr << "\n";
}

void Progress::draw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  // A terminal is redrawn ~5 times a second; logs get a line every 10 s.
  const auto interval = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(10000);
  if (!force && now - last_draw_ < interval && done_ != total_) return;
  last_draw_ = now;
  last_drawn_ = done_;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  char line[256];
  if (total_ > 0) {
    const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0.0;
    std::snprintf(line, sizeof line, "%s %lld/%lld %5.1f%% %.1f%s/s %s %s", label_.c_str(),
                  static_cast<long long>(done_), static_cast<long long>(total_),
                  100.0 * static_cast<double>(done_) / static_cast<double>(total_), rate,
                  unit_.c_str(), done_ >= total_ ? "took" : "ETA",
                  duration_text(done_ >= total_ ? elapsed : eta).c_str());
  } else {
    std::snprintf(line, sizeof line, "%s %lld %.1f%s/s %s", label_.c_str(),
                  static_cast<long long>(done_), rate, unit_.c_str(),
                  duration_text(elapsed).c_str());
  }
  std::cerr << (tty_ ? "\r\033[K" : "") << line << (note_.empty() ? "" : "  ") << note_
            << (tty_ ? "" : "\n") << std::flush;
}

}  // namespace facegender
