// The rules a training set is made by, shared by `facegender prepare` and
// the review page (web/review/), so both split a photo and judge its face
// the same way.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "facegender/blazeface.hpp"
#include "facegender/pose.hpp"

namespace facegender {

enum class Split { Train, Val, Test };
const char* to_string(Split split);
// Throws InputError for a name other than "train", "val" or "test".
Split parse_split(std::string_view name);

// The project's split rule: the first 8 hex digits of the SHA-256 of the
// file's bytes, as an integer, mod 10: 0 -> test, 1 -> val, else train.
// Throws InputError when the text does not start with 8 hex digits.
Split split_of_sha256(std::string_view sha256_hex);

// What a photo's faces must be for a dataset: `prepare`'s defaults with
// BlazeFace (the pose limits apply with --pose-filter; the review page
// always reports them).
struct FaceRules {
  // Shorter side of the face box in the photo's pixels: the 80 px aligned
  // crop of a 40 px box is not enlarged.
  int min_face = 40;
  PoseLimits pose;
};

// Why a photo's faces do not make a clean training example (None: they do).
enum class FaceIssue { None, NoFace, SeveralFaces, TooSmall, TooTurned };
const char* to_string(FaceIssue issue);  // "none", "no_face", "several_faces", ...

struct FaceCheck {
  FaceIssue issue = FaceIssue::None;
  std::string detail;  // e.g. "face 31x33 px is under the minimum 40"; empty for None
};

// Checks the faces a scene preset found in a width x height photo, best
// first: one face expected, at least rules.min_face, within rules.pose; the
// first problem found in that order. Throws InputError for a non-positive
// size or a face whose keypoints give no pose.
FaceCheck check_faces(std::span<const FaceDetection> faces, int width, int height,
                      const FaceRules& rules = {});

}  // namespace facegender
