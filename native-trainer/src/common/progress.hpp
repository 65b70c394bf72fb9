// A progress line for long steps: "prepare  4210/23708  17.8% 312.4/s ETA 1m02s",
// redrawn in place on a terminal, printed every few seconds otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace facegender {

class Progress {
 public:
  Progress(std::string label, std::int64_t total, std::string unit = "");
  void advance(std::int64_t n = 1);
  void set(std::int64_t done);
  void set_note(std::string note);  // shown after the rate, e.g. "loss 0.41"
  void finish();                    // final line with the total time
  ~Progress();

 private:
  void draw(bool force);
  std::string label_;
  std::int64_t total_;
  std::string unit_;
  std::int64_t done_ = 0;
  std::int64_t last_drawn_ = -1;
  std::string note_;
  bool finished_ = false;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace facegender
