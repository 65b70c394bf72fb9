#include "facegender/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "facegender/face_finder.hpp"
#include "facegender/image.hpp"

namespace facegender {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string one_decimal(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// The first pose angle over its limit, as "yaw 23.4 deg over 10.0", else "".
std::string pose_problem(const HeadPose& pose, const PoseLimits& limits) {
  const struct {
    const char* name;
    double value, limit;
  } angles[] = {{"yaw", pose.yaw, limits.yaw},
                {"pitch", pose.pitch, limits.pitch},
                {"roll", pose.roll, limits.roll}};
  for (const auto& a : angles) {
    if (std::abs(a.value) > a.limit)
      return std::string(a.name) + " " + one_decimal(a.value) + " deg is over " +
             one_decimal(a.limit);
  }
  return "";
}

}  // namespace

const char* to_string(Split split) {
  switch (split) {
    case Split::Train:
      return "train";
    case Split::Val:
      return "val";
    case Split::Test:
      return "test";
  }
  return "?";
}

Split parse_split(std::string_view name) {
  if (name == "train") return Split::Train;
  if (name == "val") return Split::Val;
  if (name == "test") return Split::Test;
  throw InputError("unknown split '" + std::string(name) + "' (expected train, val or test)");
}

Split split_of_sha256(std::string_view sha256_hex) {
  std::uint32_t head = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    const int digit = i < sha256_hex.size() ? hex_value(sha256_hex[i]) : -1;
    if (digit < 0) {
      throw InputError("split_of_sha256: '" + std::string(sha256_hex) +
                       "' does not start with 8 hex digits");
    }
    head = head * 16 + static_cast<std::uint32_t>(digit);
  }
  switch (head % 10) {
    case 0:
      return Split::Test;
    case 1:
      return Split::Val;
    default:
      return Split::Train;
  }
}

const char* to_string(FaceIssue issue) {
  switch (issue) {
    case FaceIssue::None:
      return "none";
    case FaceIssue::NoFace:
      return "no_face";
    case FaceIssue::SeveralFaces:
      return "several_faces";
    case FaceIssue::TooSmall:
      return "too_small";
    case FaceIssue::TooTurned:
      return "too_turned";
  }
  return "?";
}

FaceCheck check_faces(std::span<const FaceDetection> faces, int width, int height,
                      const FaceRules& rules) {
  if (width <= 0 || height <= 0) {
    throw InputError("check_faces: the photo's size " + std::to_string(width) + "x" +
                     std::to_string(height) + " is not positive");
  }
  if (faces.empty()) return {FaceIssue::NoFace, "no face found"};
  if (faces.size() > 1) {
    return {FaceIssue::SeveralFaces,
            std::to_string(faces.size()) + " faces found; one is expected"};
  }
  // The box `prepare` checks (the aligned crop's), in whole pixels.
  const Box box = to_box(faces.front(), width, height);
  if (std::min(box.width, box.height) < rules.min_face) {
    return {FaceIssue::TooSmall, "face " + std::to_string(box.width) + "x" +
                                     std::to_string(box.height) + " px is under the minimum " +
                                     std::to_string(rules.min_face)};
  }
  const std::string turned = pose_problem(estimate_pose(faces.front()), rules.pose);
  if (!turned.empty()) return {FaceIssue::TooTurned, turned};
  return {};
}

}  // namespace facegender
