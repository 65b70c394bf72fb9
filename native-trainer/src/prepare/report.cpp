#include "prepare/report.hpp"

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

namespace facegender::prepare {
namespace {

constexpr const char* kKept = "kept";
constexpr const char* kKeptEvalOnly = "kept_eval_only";
constexpr const char* kKeptCentre = "kept_no_face_center";

using Column = std::pair<std::string, std::string>;  // split, class

std::vector<std::string> row_order(const nlohmann::json& counts) {
  std::vector<std::string> rows;
  for (const char* row : {kKept, kKeptEvalOnly, kKeptCentre}) {
    if (counts.contains(row)) rows.emplace_back(row);
  }
  for (Reason reason : kAllReasons) {
    if (counts.contains(to_string(reason))) rows.emplace_back(to_string(reason));
  }
  return rows;
}

// Splits in pipeline order; classes in the dataset's order, then the extras.
std::vector<Column> column_order(const nlohmann::json& report) {
  const nlohmann::json& counts = report.at("counts");
  std::vector<std::string> classes = report.value("classes", std::vector<std::string>{});
  for (const char* extra : {kNoClass, kUnknownClass}) classes.emplace_back(extra);
  std::vector<Column> columns;
  for (const char* split : {"train", "val", "test", kUnsplit}) {
    for (const std::string& klass : classes) {
      const bool used = std::any_of(counts.begin(), counts.end(), [&](const nlohmann::json& row) {
        return row.contains(split) && row.at(split).contains(klass);
      });
      if (used) columns.emplace_back(split, klass);
    }
  }
  return columns;
}

std::string row_label(const std::string& row) {
  if (row == kKept) return "**kept**";
  if (row == kKeptEvalOnly) return "kept, eval-only (test)";
  if (row == kKeptCentre) return "kept via --no-face center";
  return "dropped: " + row;
}

}  // namespace

const char* to_string(Reason reason) {
  switch (reason) {
    case Reason::BadRow:
      return "bad_row";
    case Reason::BadLabel:
      return "bad_label";
    case Reason::MissingFile:
      return "missing_file";
    case Reason::ReadError:
      return "read_error";
    case Reason::EmptyFile:
      return "empty_file";
    case Reason::ChecksumMismatch:
      return "checksum_mismatch";
    case Reason::NotAnImage:
      return "not_an_image";
    case Reason::UnsupportedFormat:
      return "unsupported_format";
    case Reason::TooManyPixels:
      return "too_many_pixels";
    case Reason::Truncated:
      return "truncated";
    case Reason::DecodeFailed:
      return "decode_failed";
    case Reason::NoFace:
      return "no_face";
    case Reason::FaceTooSmall:
      return "face_too_small";
    case Reason::PoseYaw:
      return "pose_yaw";
    case Reason::PosePitch:
      return "pose_pitch";
    case Reason::PoseRoll:
      return "pose_roll";
    case Reason::Duplicate:
      return "duplicate";
    case Reason::LabelConflict:
      return "label_conflict";
  }
  return "unknown";
}

void Tally::add(const std::string& row, const std::string& split, const std::string& klass) {
  ++rows_[row][split][klass];
}

void Tally::keep(const std::string& split, const std::string& klass, bool face_found,
                 bool eval_only) {
  ++inputs_;
  ++kept_;
  add(kKept, split, klass);
  if (eval_only) add(kKeptEvalOnly, split, klass);
  if (!face_found) add(kKeptCentre, split, klass);
}

void Tally::drop(Reason reason, const std::string& split, const std::string& klass) {
  ++inputs_;
  add(to_string(reason), split, klass);
}

nlohmann::json Tally::to_json() const {
  auto row_total = [&](const std::string& row) {
    std::int64_t total = 0;
    const auto it = rows_.find(row);
    if (it == rows_.end()) return total;
    for (const auto& [split, classes] : it->second) {
      for (const auto& [klass, n] : classes) total += n;
    }
    return total;
  };
  nlohmann::json by_reason = nlohmann::json::object();
  for (Reason reason : kAllReasons) {
    if (const std::int64_t n = row_total(to_string(reason)); n > 0)
      by_reason[to_string(reason)] = n;
  }
  return {{"inputs", inputs_},
          {"kept", kept_},
          {"dropped", inputs_ - kept_},
          {"kept_eval_only", row_total(kKeptEvalOnly)},
          {"kept_no_face_center", row_total(kKeptCentre)},
          {"dropped_by_reason", by_reason},
          {"counts", rows_}};
}

std::string markdown_report(const nlohmann::json& report) {
  const nlohmann::json& counts = report.at("counts");
  const std::vector<Column> columns = column_order(report);
  std::ostringstream md;
  md << "| outcome |";
  for (const auto& [split, klass] : columns) md << " " << split << " " << klass << " |";
  md << " total |\n|---|";
  for (std::size_t i = 0; i <= columns.size(); ++i) md << "---:|";
  md << "\n";
  for (const std::string& row : row_order(counts)) {
    const nlohmann::json& cells = counts.at(row);
    std::int64_t total = 0;
    md << "| " << row_label(row) << " |";
    for (const auto& [split, klass] : columns) {
      const std::int64_t n =
          cells.contains(split) ? cells.at(split).value(klass, std::int64_t{0}) : 0;
      total += n;
      md << " " << n << " |";
    }
    md << " " << total << " |\n";
  }
  return md.str();
}

}  // namespace facegender::prepare
