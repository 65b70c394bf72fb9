// The prepare report: every input counted once, as kept or dropped with its
// reason, per split and class. Saved in the dataset header ("report"), as
// --report JSON and as a Markdown table next to the output.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "prepare/skip.hpp"

namespace facegender::prepare {

// Split and class names for inputs that never got that far.
inline constexpr const char* kUnsplit = "unsplit";         // file not read: no hash, no split
inline constexpr const char* kUnknownClass = "(unknown)";  // label missing or not a class
inline constexpr const char* kNoClass = "(ambiguous)";     // eval-only image with no class

class Tally {
 public:
  void keep(const std::string& split, const std::string& klass, bool face_found, bool eval_only);
  void drop(Reason reason, const std::string& split, const std::string& klass);

  // {"inputs", "kept", "dropped", "kept_eval_only", "kept_no_face_center",
  //  "dropped_by_reason": {reason: n},
  //  "counts": {row: {split: {class: n}}}} with rows "kept", "kept_eval_only",
  //  "kept_no_face_center" and one per drop reason.
  nlohmann::json to_json() const;

 private:
  using Counts = std::map<std::string, std::map<std::string, std::int64_t>>;  // split -> class -> n
  void add(const std::string& row, const std::string& split, const std::string& klass);
  std::map<std::string, Counts> rows_;
  std::int64_t inputs_ = 0;
  std::int64_t kept_ = 0;
};

// A Markdown table of a report's "counts": one row per outcome, one column
// per split x class, and a total.
std::string markdown_report(const nlohmann::json& report);

}  // namespace facegender::prepare
