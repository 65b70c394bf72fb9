// Why an input image did not make it into the dataset. Every skip is counted
// under one of these reasons, so the report accounts for every input.
#pragma once

#include <stdexcept>
#include <string>

namespace facegender::prepare {

enum class Reason {
  BadRow,             // a CSV row with the wrong number of fields
  BadLabel,           // label not one of the classes, or a file outside any class folder
  MissingFile,        // listed but not on disk
  ReadError,          // on disk but unreadable
  EmptyFile,          // 0 bytes
  ChecksumMismatch,   // bytes differ from the CSV's sha256 column
  NotAnImage,         // no known image signature (e.g. a text file named .jpg)
  UnsupportedFormat,  // an image format we cannot size before decoding
  TooManyPixels,      // header says width * height > --max-pixels
  Truncated,          // data ends early (JPEG without its end marker, PNG without IEND)
  DecodeFailed,       // the decoder refused it
  NoFace,             // no face found (and --no-face drop)
  FaceTooSmall,       // face box's shorter side < --min-face
  PoseYaw,            // |yaw| > --max-yaw
  PosePitch,          // |pitch| > --max-pitch
  PoseRoll,           // |roll| > --max-roll
  Duplicate,          // byte-identical to an earlier file with the same label
  LabelConflict,      // byte-identical copies carry different labels: all dropped
};

inline constexpr Reason kAllReasons[] = {
    Reason::BadRow,       Reason::BadLabel,          Reason::MissingFile,
    Reason::ReadError,    Reason::EmptyFile,         Reason::ChecksumMismatch,
    Reason::NotAnImage,   Reason::UnsupportedFormat, Reason::TooManyPixels,
    Reason::Truncated,    Reason::DecodeFailed,      Reason::NoFace,
    Reason::FaceTooSmall, Reason::PoseYaw,           Reason::PosePitch,
    Reason::PoseRoll,     Reason::Duplicate,         Reason::LabelConflict};

const char* to_string(Reason reason);  // snake_case, as in the report

// Thrown by the per-image steps; the caller records the reason and the file.
class SkipImage : public std::runtime_error {
 public:
  SkipImage(Reason reason, const std::string& detail)
      : std::runtime_error(detail), reason_(reason) {}
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

}  // namespace facegender::prepare
