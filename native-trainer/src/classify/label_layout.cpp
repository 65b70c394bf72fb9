#include "classify/label_layout.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace facegender::classify {
namespace {

// Clamps a label's corner into the picture; a label larger than the picture
// keeps the corner at 0 (fits() then rejects it).
Box slid_inside(int x, int y, int width, int height, const LabelCanvas& canvas) {
  return Box{std::clamp(x, 0, std::max(0, canvas.width - width)),
             std::clamp(y, 0, std::max(0, canvas.height - height)), width, height};
}

bool fits(const Box& rect, const LabelCanvas& canvas) {
  return rect.x + rect.width <= canvas.width && rect.y + rect.height <= canvas.height;
}

// Above the box, inside its top, below it, inside its bottom, in that order.
std::array<Box, 4> candidates(const Box& box, int width, const LabelCanvas& canvas) {
  const int h = canvas.label_height;
  return {slid_inside(box.x, box.y - h, width, h, canvas),
          slid_inside(box.x, box.y, width, h, canvas),
          slid_inside(box.x, box.y + box.height, width, h, canvas),
          slid_inside(box.x, box.y + box.height - h, width, h, canvas)};
}

std::optional<Box> first_free(const Box& box, int width, const LabelCanvas& canvas,
                              const std::vector<Box>& placed) {
  for (const Box& rect : candidates(box, width, canvas)) {
    const bool covers = std::any_of(placed.begin(), placed.end(),
                                    [&](const Box& other) { return overlap(rect, other); });
    if (fits(rect, canvas) && !covers) return rect;
  }
  return std::nullopt;
}

}  // namespace

bool overlap(const Box& a, const Box& b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

std::vector<PlacedLabel> place_labels(const std::vector<FaceLabel>& faces,
                                      const LabelCanvas& canvas) {
  std::vector<PlacedLabel> labels;
  std::vector<Box> placed;
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const std::string number = std::to_string(i + 1);
    const std::string full = number + " " + faces[i].text;
    PlacedLabel label;
    if (const auto rect = first_free(faces[i].box, canvas.measure(full), canvas, placed)) {
      label = {*rect, full, false, false};
    } else if (const auto short_rect =
                   first_free(faces[i].box, canvas.measure(number), canvas, placed)) {
      label = {*short_rect, number, true, false};
    } else {
      label = {candidates(faces[i].box, canvas.measure(number), canvas)[0], number, true, true};
    }
    placed.push_back(label.rect);
    labels.push_back(std::move(label));
  }
  return labels;
}

}  // namespace facegender::classify
