// Haar cascade detection following cv::CascadeClassifier::detectMultiScale
// step by step (OpenCV 4.x, CPU path): the same scale list, image pyramid
// (bilinear, INTER_LINEAR_EXACT), integral images with 32-bit wrap-around,
// variance normalisation, stage evaluation in float/double, window stepping
// and rectangle grouping. Matching its arithmetic is what makes the boxes
// agree with OpenCV's.
#include "facegender/detect.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "facegender/preprocess.hpp"
#include "json_number.hpp"
#include "portable_math.hpp"

namespace facegender {

struct HaarRect {
  int x, y, width, height;
  float weight;
};

struct HaarFeature {
  std::array<HaarRect, 3> rects{};  // unused rects have weight 0
};

struct TreeNode {
  int left;  // > 0: node index within the tree; <= 0: -leaf index
  int right;
  int feature;
  float threshold;
};

struct Tree {
  int first_node;
  int first_leaf;
};

struct Stage {
  float threshold;
  int first_tree;
  int tree_count;
};

struct CascadeData {
  std::string source;
  int window_width = 0;
  int window_height = 0;
  std::vector<Stage> stages;
  std::vector<Tree> trees;
  std::vector<TreeNode> nodes;
  std::vector<float> leaves;
  std::vector<HaarFeature> features;
};

namespace {

using nlohmann::json;

// cvRound: nearest, ties to even (the default floating-point rounding mode).
int round_even(double value) {
  return static_cast<int>(std::nearbyint(value));
}
int round_even(float value) {
  return static_cast<int>(std::nearbyint(value));
}

[[noreturn]] void malformed(const std::string& source, const std::string& what) {
  throw InputError(source + ": not a usable cascade: " + what);
}

HaarFeature parse_feature(const json& node, const CascadeData& cascade, std::size_t index) {
  const std::string where = "feature " + std::to_string(index);
  if (const auto tilted = node.find("tilted"); tilted != node.end() && *tilted != 0)
    malformed(cascade.source, where + " is tilted, which is not supported");
  const json& rects = node.at("rects");
  if (!rects.is_array() || rects.empty() || rects.size() > 3)
    malformed(cascade.source, where + " needs 1-3 rects");
  HaarFeature feature;
  for (std::size_t i = 0; i < rects.size(); ++i) {
    const json& r = rects[i];
    HaarRect rect{detail::json_integer<int>(r.at(0)), detail::json_integer<int>(r.at(1)),
                  detail::json_integer<int>(r.at(2)), detail::json_integer<int>(r.at(3)),
                  static_cast<float>(r.at(4).get<double>())};
    if (rect.x < 0 || rect.y < 0 || rect.width < 0 || rect.height < 0 ||
        static_cast<std::int64_t>(rect.x) + rect.width > cascade.window_width ||
        static_cast<std::int64_t>(rect.y) + rect.height > cascade.window_height) {
      malformed(cascade.source, where + " has a rect outside the window");
    }
    feature.rects[i] = rect;
  }
  return feature;
}

void parse_tree(const json& tree_json, CascadeData& cascade, const std::string& where) {
  const json& nodes = tree_json.at("nodes");
  const json& leaves = tree_json.at("leaves");
  if (!nodes.is_array() || nodes.empty() || !leaves.is_array() ||
      leaves.size() != nodes.size() + 1) {
    malformed(cascade.source, where + " needs n nodes and n + 1 leaves");
  }
  const auto node_count = static_cast<int>(nodes.size());
  cascade.trees.push_back(
      {static_cast<int>(cascade.nodes.size()), static_cast<int>(cascade.leaves.size())});
  for (int i = 0; i < node_count; ++i) {
    const json& n = nodes[static_cast<std::size_t>(i)];
    TreeNode node{detail::json_integer<int>(n.at(0)), detail::json_integer<int>(n.at(1)),
                  detail::json_integer<int>(n.at(2)), static_cast<float>(n.at(3).get<double>())};
    // Children must point forward (or at a leaf) so evaluation always ends.
    for (int child : {node.left, node.right}) {
      if (child > 0 ? (child <= i || child >= node_count)
                    : (-static_cast<std::int64_t>(child) > node_count)) {
        malformed(cascade.source, where + " has a child index out of range");
      }
    }
    cascade.nodes.push_back(node);
  }
  for (const json& leaf : leaves) cascade.leaves.push_back(static_cast<float>(leaf.get<double>()));
}

std::shared_ptr<const CascadeData> parse_cascade(std::string_view text, const std::string& source) {
  auto cascade = std::make_shared<CascadeData>();
  cascade->source = source;
  try {
    const json root = json::parse(text);
    if (root.value("format", "") != "facegender-haar-cascade/1") {
      malformed(source, "format is not facegender-haar-cascade/1");
    }
    cascade->window_width = detail::json_integer<int>(root.at("window").at(0));
    cascade->window_height = detail::json_integer<int>(root.at("window").at(1));
    if (cascade->window_width < 3 || cascade->window_height < 3 || cascade->window_width > 1000 ||
        cascade->window_height > 1000) {
      malformed(source, "window size out of range");
    }
    const json& features = root.at("features");
    for (std::size_t i = 0; i < features.size(); ++i) {
      cascade->features.push_back(parse_feature(features[i], *cascade, i));
    }
    const json& stages = root.at("stages");
    if (!stages.is_array() || stages.empty()) malformed(source, "no stages");
    for (std::size_t s = 0; s < stages.size(); ++s) {
      const json& stage = stages[s];
      // OpenCV lowers every stage threshold by this epsilon when loading.
      constexpr float kThresholdEps = 1e-5f;
      Stage parsed{static_cast<float>(stage.at("threshold").get<double>()) - kThresholdEps,
                   static_cast<int>(cascade->trees.size()), 0};
      const json& trees = stage.at("trees");
      if (!trees.is_array() || trees.empty())
        malformed(source, "stage " + std::to_string(s) + " has no trees");
      for (std::size_t t = 0; t < trees.size(); ++t) {
        parse_tree(trees[t], *cascade, "stage " + std::to_string(s) + " tree " + std::to_string(t));
      }
      parsed.tree_count = static_cast<int>(trees.size());
      cascade->stages.push_back(parsed);
    }
    for (const TreeNode& node : cascade->nodes) {
      if (node.feature < 0 || node.feature >= static_cast<int>(cascade->features.size())) {
        malformed(source, "a node refers to feature " + std::to_string(node.feature) +
                              " which does not exist");
      }
    }
  } catch (const json::exception& e) {
    malformed(source, e.what());
  }
  return cascade;
}

// Integral images of one pyramid level, in a buffer whose row stride is fixed
// for all levels so that feature offsets are computed once.
struct Integrals {
  int stride = 0;
  std::vector<std::uint32_t> sum;
  std::vector<std::uint32_t> squares;

  // Sums wrap modulo 2^32 like OpenCV's CV_32S integrals; window sums taken
  // from four corners are still exact.
  void compute(const Image& image) {
    const int w = image.width();
    const int h = image.height();
    std::fill_n(sum.begin(), w + 1, 0u);
    std::fill_n(squares.begin(), w + 1, 0u);
    for (int y = 0; y < h; ++y) {
      const std::uint8_t* in = image.row(y);
      std::uint32_t* s_prev = &sum[static_cast<std::size_t>(y) * stride];
      std::uint32_t* s_row = s_prev + stride;
      std::uint32_t* q_prev = &squares[static_cast<std::size_t>(y) * stride];
      std::uint32_t* q_row = q_prev + stride;
      s_row[0] = 0;
      q_row[0] = 0;
      std::uint32_t row_sum = 0;
      std::uint32_t row_squares = 0;
      for (int x = 0; x < w; ++x) {
        const std::uint32_t v = in[x];
        row_sum += v;
        row_squares += v * v;
        s_row[x + 1] = s_prev[x + 1] + row_sum;
        q_row[x + 1] = q_prev[x + 1] + row_squares;
      }
    }
  }
};

struct RectOffsets {
  std::array<int, 4> corner{};  // top-left, top-right, bottom-left, bottom-right

  RectOffsets() = default;
  RectOffsets(int x, int y, int w, int h, int stride)
      : corner{y * stride + x, y * stride + x + w, (y + h) * stride + x, (y + h) * stride + x + w} {
  }

  std::int32_t sum(const std::uint32_t* window) const {
    return static_cast<std::int32_t>(window[corner[0]] - window[corner[1]] - window[corner[2]] +
                                     window[corner[3]]);
  }
};

struct OffsetFeature {
  std::array<RectOffsets, 3> rects;
  std::array<float, 3> weights{};

  float value(const std::uint32_t* window) const {
    float result = weights[0] * static_cast<float>(rects[0].sum(window)) +
                   weights[1] * static_cast<float>(rects[1].sum(window));
    if (weights[2] != 0.0f) result += weights[2] * static_cast<float>(rects[2].sum(window));
    return result;
  }
};

// A tree node with its feature's offsets inline: the hot loop then reads
// one contiguous record per node instead of chasing a feature index.
struct FlatNode {
  OffsetFeature feature;
  float threshold;
  int left;
  int right;
};

class WindowClassifier {
 public:
  WindowClassifier(const CascadeData& cascade, int stride)
      : cascade_(cascade),
        norm_(1, 1, cascade.window_width - 2, cascade.window_height - 2, stride),
        norm_area_(static_cast<double>(cascade.window_width - 2) * (cascade.window_height - 2)) {
    nodes_.reserve(cascade.nodes.size());
    for (const TreeNode& node : cascade.nodes) {
      const HaarFeature& f = cascade.features[static_cast<std::size_t>(node.feature)];
      FlatNode flat{{}, node.threshold, node.left, node.right};
      for (std::size_t i = 0; i < 3; ++i) {
        const HaarRect& r = f.rects[i];
        flat.feature.rects[i] = RectOffsets(r.x, r.y, r.width, r.height, stride);
        flat.feature.weights[i] = r.weight;
      }
      nodes_.push_back(flat);
    }
  }

  // 1 = accepted by all stages; -s = rejected at stage s (0 for the first);
  // -1 also when the window is too flat to normalise, as in OpenCV.
  int classify(const std::uint32_t* sum_window, const std::uint32_t* squares_window) const {
    const std::int32_t value_sum = norm_.sum(sum_window);
    const auto value_squares = static_cast<std::uint32_t>(norm_.sum(squares_window));
    double nf = norm_area_ * value_squares - static_cast<double>(value_sum) * value_sum;
    if (!(nf > 0.0)) return -1;
    nf = std::sqrt(nf);
    const auto variance_norm = static_cast<float>(1.0 / nf);
    if (!(norm_area_ * variance_norm < 1e-1)) return -1;

    for (std::size_t s = 0; s < cascade_.stages.size(); ++s) {
      const Stage& stage = cascade_.stages[s];
      double sum = 0.0;
      for (int t = stage.first_tree; t < stage.first_tree + stage.tree_count; ++t) {
        const Tree& tree = cascade_.trees[static_cast<std::size_t>(t)];
        int index = 0;
        do {
          const FlatNode& node = nodes_[static_cast<std::size_t>(tree.first_node + index)];
          const float value = node.feature.value(sum_window) * variance_norm;
          index = value < node.threshold ? node.left : node.right;
        } while (index > 0);
        sum += cascade_.leaves[static_cast<std::size_t>(tree.first_leaf - index)];
      }
      if (sum < stage.threshold) return -static_cast<int>(s);
    }
    return 1;
  }

 private:
  const CascadeData& cascade_;
  std::vector<FlatNode> nodes_;
  RectOffsets norm_;
  double norm_area_;
};

std::vector<float> pyramid_scales(const CascadeData& cascade, int width, int height,
                                  const DetectParams& p) {
  const int max_size_w = p.max_size > 0 ? p.max_size : width;
  const int max_size_h = p.max_size > 0 ? p.max_size : height;
  std::vector<float> scales;
  for (double factor = 1.0;; factor *= p.scale_factor) {
    const int window_w = round_even(cascade.window_width * factor);
    const int window_h = round_even(cascade.window_height * factor);
    if (window_w > width || window_h > height) break;
    if (window_w > max_size_w || window_h > max_size_h) break;
    if (window_w < p.min_size || window_h < p.min_size) continue;
    scales.push_back(static_cast<float>(factor));
  }
  return scales;
}

void validate(const ImageView& gray, const DetectParams& p, const std::string& source) {
  if (gray.format() != PixelFormat::Gray8) {
    throw InputError("detect (" + source + "): expected a Gray8 image, got " +
                     to_string(gray.format()));
  }
  if (!(p.scale_factor > 1.0 && p.scale_factor <= 4.0)) {
    throw InputError("detect (" + source + "): scale factor " + std::to_string(p.scale_factor) +
                     " must be in (1, 4]");
  }
  if (p.min_neighbors < 0 || p.min_size < 0 || p.max_size < 0) {
    throw InputError("detect (" + source +
                     "): min_neighbors, min_size and max_size must not be negative");
  }
}

Image copy_of(const ImageView& gray) {
  return to_gray(gray);
}

}  // namespace

Cascade::Cascade(std::shared_ptr<const CascadeData> data) : data_(std::move(data)) {}

Cascade Cascade::from_json(std::string_view json_text, const std::string& source) {
  return Cascade(parse_cascade(json_text, source));
}

Cascade Cascade::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open cascade file");
  std::ostringstream text;
  text << in.rdbuf();
  return from_json(text.str(), path);
}

int Cascade::window_width() const {
  return data_->window_width;
}
int Cascade::window_height() const {
  return data_->window_height;
}
int Cascade::stage_count() const {
  return static_cast<int>(data_->stages.size());
}

std::vector<Box> Cascade::detect_candidates(const ImageView& gray,
                                            const DetectParams& params) const {
  validate(gray, params, data_->source);
  const CascadeData& cascade = *data_;
  std::vector<Box> candidates;
  const int width = gray.width();
  const int height = gray.height();
  if (width < cascade.window_width || height < cascade.window_height) return candidates;

  const std::vector<float> scales = pyramid_scales(cascade, width, height, params);
  Integrals integrals;
  integrals.stride = width + 1;
  const std::size_t buffer =
      static_cast<std::size_t>(width + 1) * static_cast<std::size_t>(height + 1);
  integrals.sum.resize(buffer);
  integrals.squares.resize(buffer);
  const WindowClassifier classifier(cascade, integrals.stride);

  for (const float scale : scales) {
    const int level_w = round_even(static_cast<float>(width) / scale);
    const int level_h = round_even(static_cast<float>(height) / scale);
    const Image level = (level_w == width && level_h == height)
                            ? copy_of(gray)
                            : resize_bilinear(gray, level_w, level_h);
    integrals.compute(level);
    const int step = scale >= 2.0f ? 1 : 2;
    const int window_w = round_even(static_cast<float>(cascade.window_width) * scale);
    const int window_h = round_even(static_cast<float>(cascade.window_height) * scale);
    // OpenCV's working area: a window must end strictly inside the integral.
    const int last_x = std::max(level_w + 1 - cascade.window_width, 0);
    const int last_y = std::max(level_h + 1 - cascade.window_height, 0);
    for (int y = 0; y < last_y; y += step) {
      for (int x = 0; x < last_x; x += step) {
        const std::size_t offset =
            static_cast<std::size_t>(y) * integrals.stride + static_cast<std::size_t>(x);
        const int result = classifier.classify(&integrals.sum[offset], &integrals.squares[offset]);
        if (result > 0) {
          candidates.push_back({round_even(static_cast<float>(x) * scale),
                                round_even(static_cast<float>(y) * scale), window_w, window_h});
        }
        if (result == 0) x += step;  // rejected at once: skip the next window too
      }
    }
  }
  return candidates;
}

std::vector<Box> Cascade::detect(const ImageView& gray, const DetectParams& params) const {
  std::vector<Box> grouped =
      group_rectangles(detect_candidates(gray, params), params.min_neighbors);
  // Clip to the image, as detectMultiScale does.
  std::vector<Box> clipped;
  for (const Box& b : grouped) {
    const int x0 = std::max(b.x, 0);
    const int y0 = std::max(b.y, 0);
    const int x1 = std::min(b.x + b.width, gray.width());
    const int y1 = std::min(b.y + b.height, gray.height());
    if (x1 > x0 && y1 > y0) clipped.push_back({x0, y0, x1 - x0, y1 - y0});
  }
  return clipped;
}

std::vector<Box> group_rectangles(const std::vector<Box>& boxes, int group_threshold, double eps) {
  if (group_threshold <= 0 || boxes.empty()) return boxes;
  const std::size_t n = boxes.size();
  auto similar = [eps](const Box& a, const Box& b) {
    const double delta = eps * (std::min(a.width, b.width) + std::min(a.height, b.height)) * 0.5;
    return std::abs(a.x - b.x) <= delta && std::abs(a.y - b.y) <= delta &&
           std::abs(a.x + a.width - b.x - b.width) <= delta &&
           std::abs(a.y + a.height - b.y - b.height) <= delta;
  };
  // Equivalence classes of the "similar" relation (its transitive closure).
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto root = [&parent](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      if (similar(boxes[i], boxes[j])) parent[root(i)] = root(j);
    }
  }
  std::vector<int> label(n, -1);
  std::vector<int> class_of_root(n, -1);
  int classes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t r = root(i);
    if (class_of_root[r] < 0) class_of_root[r] = classes++;
    label[i] = class_of_root[r];
  }
  std::vector<std::array<int, 4>> sums(static_cast<std::size_t>(classes), {0, 0, 0, 0});
  std::vector<int> counts(static_cast<std::size_t>(classes), 0);
  for (std::size_t i = 0; i < n; ++i) {
    auto& s = sums[static_cast<std::size_t>(label[i])];
    s[0] += boxes[i].x;
    s[1] += boxes[i].y;
    s[2] += boxes[i].width;
    s[3] += boxes[i].height;
    ++counts[static_cast<std::size_t>(label[i])];
  }
  std::vector<Box> mean(static_cast<std::size_t>(classes));
  for (std::size_t c = 0; c < mean.size(); ++c) {
    const float inv = 1.0f / static_cast<float>(counts[c]);
    mean[c] = {round_even(static_cast<float>(sums[c][0]) * inv),
               round_even(static_cast<float>(sums[c][1]) * inv),
               round_even(static_cast<float>(sums[c][2]) * inv),
               round_even(static_cast<float>(sums[c][3]) * inv)};
  }
  std::vector<Box> result;
  for (std::size_t i = 0; i < mean.size(); ++i) {
    const Box& r1 = mean[i];
    const int n1 = counts[i];
    if (n1 <= group_threshold) continue;
    bool inside_stronger = false;
    for (std::size_t j = 0; j < mean.size() && !inside_stronger; ++j) {
      const int n2 = counts[j];
      if (j == i || n2 <= group_threshold) continue;
      const Box& r2 = mean[j];
      const int dx = round_even(r2.width * eps);
      const int dy = round_even(r2.height * eps);
      inside_stronger =
          r1.x >= r2.x - dx && r1.y >= r2.y - dy && r1.x + r1.width <= r2.x + r2.width + dx &&
          r1.y + r1.height <= r2.y + r2.height + dy && (n2 > std::max(3, n1) || n1 < 3);
    }
    if (!inside_stronger) result.push_back(r1);
  }
  return result;
}

namespace {

Image pad_replicate(const ImageView& gray, int pad) {
  const int w = gray.width() + 2 * pad;
  const int h = gray.height() + 2 * pad;
  Image out(w, h, PixelFormat::Gray8);
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* in = gray.row(std::clamp(y - pad, 0, gray.height() - 1));
    std::uint8_t* dst = out.row(y);
    for (int x = 0; x < w; ++x) dst[x] = in[std::clamp(x - pad, 0, gray.width() - 1)];
  }
  return out;
}

}  // namespace

std::vector<Box> find_faces(const Cascade& faces, const ImageView& gray, const FaceSearch& search) {
  if (!(search.pad_fraction >= 0.0 && search.pad_fraction <= 1.0)) {
    throw InputError("find_faces: pad fraction " + std::to_string(search.pad_fraction) +
                     " is outside [0, 1]");
  }
  if (search.max_side < 0) throw InputError("find_faces: max_side must not be negative");
  if (gray.format() != PixelFormat::Gray8) {
    throw InputError(std::string("find_faces: expected a Gray8 image, got ") +
                     to_string(gray.format()));
  }
  // Shrink first (cheaper), then pad; map boxes back in reverse order.
  const int longer = std::max(gray.width(), gray.height());
  Image shrunk;
  ImageView work = gray;
  if (search.max_side > 0 && longer > search.max_side) {
    const double f = static_cast<double>(search.max_side) / longer;
    const int w = std::max(1, static_cast<int>(std::floor(gray.width() * f + 0.5)));
    const int h = std::max(1, static_cast<int>(std::floor(gray.height() * f + 0.5)));
    shrunk = resize_area(gray, w, h);
    work = shrunk.view();
  }
  const int pad = static_cast<int>(
      std::floor(search.pad_fraction * std::max(work.width(), work.height()) + 0.5));
  Image padded;
  if (pad > 0) {
    padded = pad_replicate(work, pad);
  }
  const ImageView searched = pad > 0 ? padded.view() : work;
  std::vector<Box> boxes = faces.detect(searched, search.detect);

  const double sx = static_cast<double>(gray.width()) / work.width();
  const double sy = static_cast<double>(gray.height()) / work.height();
  std::vector<Box> result;
  for (const Box& b : boxes) {
    const Box in_work =
        clip_box({b.x - pad, b.y - pad, b.width, b.height}, work.width(), work.height());
    if (in_work.width <= 0 || in_work.height <= 0) continue;
    const int x0 = static_cast<int>(std::floor(in_work.x * sx + 0.5));
    const int y0 = static_cast<int>(std::floor(in_work.y * sy + 0.5));
    const int x1 = static_cast<int>(std::floor((in_work.x + in_work.width) * sx + 0.5));
    const int y1 = static_cast<int>(std::floor((in_work.y + in_work.height) * sy + 0.5));
    const Box mapped = clip_box({x0, y0, x1 - x0, y1 - y0}, gray.width(), gray.height());
    if (mapped.width > 0 && mapped.height > 0) result.push_back(mapped);
  }
  std::stable_sort(result.begin(), result.end(), [](const Box& a, const Box& b) {
    if (a.area() != b.area()) return a.area() > b.area();
    return a.y != b.y ? a.y < b.y : a.x < b.x;
  });
  return result;
}

std::optional<double> estimate_roll(const Cascade& eyes, const ImageView& gray, const Box& face) {
  if (gray.format() != PixelFormat::Gray8) {
    throw InputError(std::string("estimate_roll: expected a Gray8 image, got ") +
                     to_string(gray.format()));
  }
  // Eyes sit in the upper ~60% of a frontal face box.
  const Box region = clip_box({face.x, face.y, face.width,
                               static_cast<int>(static_cast<std::int64_t>(face.height) * 3 / 5)},
                              gray.width(), gray.height());
  if (region.width < eyes.window_width() || region.height < eyes.window_height())
    return std::nullopt;
  const ImageView upper = sub_view(gray, region);
  DetectParams params;
  params.min_size = std::max(eyes.window_width(), face.width / 8);
  params.max_size = std::max(params.min_size, face.width / 2);
  const std::vector<Box> found = eyes.detect(upper, params);

  // On each side of the face's vertical centre line, the eye nearest where a
  // frontal face has it (30% / 70% across, 38% down the face box): nearer
  // than the largest, which is often an eyebrow or the nose.
  const double centre = region.width / 2.0;
  const Box* left = nullptr;
  const Box* right = nullptr;
  double left_distance = 0.0;
  double right_distance = 0.0;
  for (const Box& b : found) {
    const double cx = b.x + b.width / 2.0;
    const double cy = b.y + b.height / 2.0;
    const bool is_left = cx < centre;
    const double ex = (is_left ? 0.3 : 0.7) * face.width;
    const double ey = 0.38 * face.height;
    const double distance = (cx - ex) * (cx - ex) + (cy - ey) * (cy - ey);
    const Box*& side = is_left ? left : right;
    double& best = is_left ? left_distance : right_distance;
    if (side == nullptr || distance < best) {
      side = &b;
      best = distance;
    }
  }
  if (left == nullptr || right == nullptr) return std::nullopt;
  const double dx = (right->x + right->width / 2.0) - (left->x + left->width / 2.0);
  const double dy = (right->y + right->height / 2.0) - (left->y + left->height / 2.0);
  constexpr double kDegreesPerRadian = 57.29577951308232;
  return detail::portable_atan2(dy, dx) * kDegreesPerRadian;
}

}  // namespace facegender
