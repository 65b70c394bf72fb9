// The core's entry points that take raw pixels with a width, height, format
// and stride, and the boxes, faces, sizes and settings that go with them:
// everything the browser's embind API (wasm-client/src/bindings.cpp) hands
// the core from JavaScript, where any number can arrive. The first bytes
// (read by FuzzedDataProvider from the end) pick the call and its
// arguments, the rest are the pixels. Contract: a result or InputError.
//
// The harness skips calls whose *valid* output would be huge (a resize to
// 40000x40000 is a request, not a bug) so that only what the core should
// refuse is judged; see kMaxOutput.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "facegender/align.hpp"
#include "facegender/blazeface.hpp"
#include "facegender/detect.hpp"
#include "facegender/face_finder.hpp"
#include "facegender/image.hpp"
#include "facegender/pipeline.hpp"
#include "facegender/pose.hpp"
#include "facegender/postprocess.hpp"
#include "facegender/preprocess.hpp"
#include "facegender/track.hpp"
#include "fuzz_support.hpp"

using namespace facegender;

namespace {

constexpr std::int64_t kMaxOutput = std::int64_t{1} << 22;  // pixels of a requested output

int pick_int(FuzzedDataProvider& in) {
  static constexpr int kEdges[] = {std::numeric_limits<int>::min(),
                                   std::numeric_limits<int>::min() + 1,
                                   -65536,
                                   -1,
                                   0,
                                   1,
                                   2,
                                   3,
                                   7,
                                   8,
                                   1023,
                                   1024,
                                   1025,
                                   4096,
                                   4097,
                                   46341,
                                   65536,
                                   std::numeric_limits<int>::max() / 2,
                                   std::numeric_limits<int>::max() - 1,
                                   std::numeric_limits<int>::max()};
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      return in.PickValueInArray(kEdges);
    case 1:
      return in.ConsumeIntegral<int>();
    default:
      return in.ConsumeIntegralInRange(-8, 160);
  }
}

double pick_double(FuzzedDataProvider& in) {
  static constexpr double kEdges[] = {0.0,
                                      -0.0,
                                      1.0,
                                      -1.0,
                                      0.5,
                                      4.0,
                                      4.000001,
                                      1e-300,
                                      1e30,
                                      -1e30,
                                      2147483648.0,
                                      -2147483649.0,
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(),
                                      std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::denorm_min()};
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      return in.PickValueInArray(kEdges);
    case 1:
      return in.ConsumeFloatingPoint<double>();
    default:
      return in.ConsumeFloatingPointInRange(-200.0, 200.0);
  }
}

float pick_float(FuzzedDataProvider& in) {
  return static_cast<float>(pick_double(in));  // JS numbers arrive as doubles
}

Box pick_box(FuzzedDataProvider& in) {
  return {pick_int(in), pick_int(in), pick_int(in), pick_int(in)};
}

FaceDetection pick_face(FuzzedDataProvider& in) {
  FaceDetection f;
  f.x = pick_float(in);
  f.y = pick_float(in);
  f.width = pick_float(in);
  f.height = pick_float(in);
  for (Point& p : f.keypoints) p = {pick_float(in), pick_float(in)};
  f.score = pick_float(in);
  return f;
}

CropGeometry pick_geometry(FuzzedDataProvider& in) {
  return {pick_double(in), pick_int(in), pick_int(in)};
}

AlignSpec pick_align(FuzzedDataProvider& in) {
  return {pick_double(in), pick_double(in), pick_int(in)};
}

CropSpec pick_crop(FuzzedDataProvider& in) {
  CropSpec c;
  c.kind = in.ConsumeBool() ? CropKind::Aligned : CropKind::Box;
  c.box = pick_geometry(in);
  c.aligned = pick_align(in);
  return c;
}

bool small(std::int64_t w, std::int64_t h) {
  return w <= 0 || h <= 0 || w * h <= kMaxOutput;
}

// A one-stage cascade on an 8x8 window (a vertical edge), as in
// tests/unit/detect_test.cpp.
const Cascade& edge_cascade() {
  static const Cascade cascade = Cascade::from_json(
      R"({"format":"facegender-haar-cascade/1","window":[8,8],
          "stages":[{"threshold":0.0,"trees":[{"nodes":[[0,-1,0,0.9]],"leaves":[-1.0,1.0]}]}],
          "features":[{"rects":[[0,0,8,8,-1.0],[4,0,4,8,2.0]]}]})",
      "edge");
  return cascade;
}

void call(FuzzedDataProvider& in, int op, const ImageView& view) {
  switch (op) {
    case 0:
      (void)to_gray(view);
      return;
    case 1:
    case 2:
    case 3: {
      const int w = pick_int(in), h = pick_int(in);
      if (!small(w, h)) return;
      if (op == 1) (void)resize_area(view, w, h);
      if (op == 2) (void)resize_bilinear(view, w, h);
      if (op == 3) (void)resize(view, w, h);
      return;
    }
    case 4:
      (void)square_crop(view, pick_box(in), pick_double(in));
      return;
    case 5: {
      const CropGeometry g = pick_geometry(in);
      if (!small(g.size, g.size)) return;
      (void)crop_face(view, pick_box(in), g);
      return;
    }
    case 6:
      (void)center_crop(view, pick_int(in));
      return;
    case 7:
      (void)to_tensor(view, Normalization{pick_float(in), pick_float(in)});
      return;
    case 8:
      (void)letterbox_input(view, pick_box(in), pick_int(in));
      return;
    case 9:
      (void)aligned_crop(view, pick_face(in), pick_align(in));
      return;
    case 10:
      (void)to_gray(sub_view(view, pick_box(in)));
      return;
    case 11: {
      const CropSpec c = pick_crop(in);
      if (c.kind == CropKind::Box && !small(c.box.size, c.box.size)) return;
      (void)face_input(view, pick_face(in), c);
      return;
    }
    case 12: {
      const FaceDetection f = pick_face(in);
      (void)face_box(f, pick_crop(in), view.width(), view.height());
      (void)to_box(f, view.width(), view.height());
      return;
    }
    case 13: {
      FaceSearch s;
      s.detect.scale_factor = pick_double(in);
      s.detect.min_neighbors = pick_int(in);
      s.detect.min_size = pick_int(in);
      s.detect.max_size = pick_int(in);
      s.pad_fraction = pick_double(in);
      s.max_side = pick_int(in);
      // Known: a scale step just above 1 makes the pyramid (nearly)
      // endless, as in OpenCV (reported, see tests/fuzz/README.md).
      if (s.detect.scale_factor > 1.0 && s.detect.scale_factor < 1.01) return;
      (void)find_faces(edge_cascade(), view, s);
      return;
    }
    case 14: {
      const Box face = pick_box(in);
      (void)estimate_roll(edge_cascade(), view, face);
      return;
    }
    case 15: {
      const CropGeometry g = pick_geometry(in);
      if (!small(g.size, g.size)) return;
      (void)prepare_faces(edge_cascade(), view, FaceSearch{}, g,
                          Normalization{pick_float(in), 1.0f});
      return;
    }
    case 16: {
      // A video whose frames change size: the faces of a larger frame are
      // searched again in a smaller one.
      FaceTracker tracker(FaceSearch{}, TrackSettings{pick_int(in), pick_double(in), pick_int(in)});
      const Box half{0, 0, std::max(1, view.width() / 2), std::max(1, view.height() / 2)};
      for (int frame = 0; frame < 4; ++frame) {
        const ImageView& current = frame % 2 == 0 ? view : sub_view(view, half);
        (void)prepare_faces(tracker, edge_cascade(), current, CropGeometry{0.2, 24, 20},
                            Normalization{});
      }
      return;
    }
    default:
      return;
  }
}

// Calls on faces and numbers alone (no pixels): pose, NMS, the smoother,
// softmax and labels.
void call_without_pixels(FaceDetection* faces, std::size_t count, FuzzedDataProvider& in, int op) {
  std::vector<FaceDetection> list(faces, faces + count);
  switch (op) {
    case 0:
      for (const FaceDetection& f : list) (void)estimate_pose(f);
      return;
    case 1:
      (void)weighted_nms(list, pick_float(in));
      return;
    case 2: {
      SmoothSettings s;
      s.follow = pick_float(in);
      s.still = pick_float(in);
      FaceSmoother smoother(s);
      for (int frame = 0; frame < 3; ++frame) (void)smoother.update(list);
      return;
    }
    case 3: {
      std::vector<float> logits;
      for (const FaceDetection& f : list) logits.push_back(f.x);
      const std::vector<float> p = softmax(logits);
      std::vector<std::string> names;
      for (std::size_t i = 0; i < p.size(); ++i) names.push_back("c" + std::to_string(i));
      (void)predict(p, names);
      (void)format_label("x", pick_float(in));
      return;
    }
    default:
      return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  try {
    if (in.ConsumeIntegralInRange(0, 4) == 0) {
      const int op = in.ConsumeIntegralInRange(0, 3);
      std::vector<FaceDetection> faces(in.ConsumeIntegralInRange<std::size_t>(0, 6));
      for (FaceDetection& f : faces) f = pick_face(in);
      call_without_pixels(faces.data(), faces.size(), in, op);
      return 0;
    }
    const int op = in.ConsumeIntegralInRange(0, 16);
    const int width = pick_int(in);
    const int height = pick_int(in);
    const auto format = static_cast<PixelFormat>(in.ConsumeIntegralInRange(0, 4));
    std::size_t stride = 0;  // 0: rows are packed
    switch (in.ConsumeIntegralInRange(0, 2)) {
      case 1:
        stride = in.ConsumeIntegralInRange<std::size_t>(0, 1 << 12);
        break;
      case 2:
        stride = in.ConsumeIntegral<std::size_t>();
        break;
      default:
        break;
    }
    // The call's own arguments come from the first 64 bytes (when there are
    // more), so that they do not eat the image; the rest are the pixels.
    const std::vector<std::uint8_t> tail =
        in.ConsumeBytes<std::uint8_t>(in.remaining_bytes() > 64 ? 64 : 0);
    const std::vector<std::uint8_t> pixels = in.ConsumeRemainingBytes<std::uint8_t>();
    if (std::getenv("FACEGENDER_FUZZ_VERBOSE") != nullptr) {
      std::fprintf(stderr, "call %d on %dx%d, format %d, stride %zu, %zu bytes\n", op, width,
                   height, static_cast<int>(format), stride, pixels.size());
    }
    const ImageView view(std::span<const std::uint8_t>(pixels.data(), pixels.size()), width, height,
                         format, stride);
    FuzzedDataProvider args(tail.data(), tail.size());
    call(args, op, view);
  } catch (const InputError& e) {
    fuzz::rejected(e);
  }
  return 0;
}
