// Where `facegender classify --annotate` puts each face's label, by the
// browser page's rule (web/app/layout.js): labels are numbered in the faces'
// order, so the picture's "2" is the second face of the JSON's `faces`; a
// label never leaves the picture; and it does not cover another label while
// a free place is left. Pure, so the rule is tested without drawing.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "facegender/image.hpp"

namespace facegender::classify {

struct FaceLabel {
  Box box;           // the face, in picture pixels
  std::string text;  // its label without the number, e.g. "female 97.30%"
};

struct LabelCanvas {
  int width = 0;  // of the picture
  int height = 0;
  int label_height = 0;                          // every label is this tall
  std::function<int(std::string_view)> measure;  // a label's width, padding included
};

struct PlacedLabel {
  Box rect;                  // the label's background, inside the picture when it fits
  std::string text;          // "1 female 97.30%", or only "1"
  bool number_only = false;  // the whole label did not fit anywhere free
  bool overlaps = false;     // not even the number did: it sits at the first place
};

// True when the rectangles share some area (touching edges do not).
bool overlap(const Box& a, const Box& b);

// A label per face, in the faces' order, numbered from 1. Each tries, in
// turn: above the box, inside its top, below it, inside its bottom, each slid
// to stay in the picture; the first that covers no label placed before wins.
// Where none is free, the number alone tries the same places; where that
// fails too, the number goes at the first place.
std::vector<PlacedLabel> place_labels(const std::vector<FaceLabel>& faces,
                                      const LabelCanvas& canvas);

}  // namespace facegender::classify
