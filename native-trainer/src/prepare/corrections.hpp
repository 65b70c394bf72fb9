// Label corrections: a CSV of `sha256,label[,note]` rows (label a class
// name) that prepare applies to every image with those bytes, so a wrong
// label found once is fixed wherever the photo turns up, without any pixels
// in the list.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace facegender::prepare {

struct LabelCorrections {
  std::string path;
  std::map<std::string, int> label_of;  // SHA-256 (lower-case hex) -> class index
};

// Throws std::runtime_error naming the file and line for a missing file, a
// bad header, a malformed SHA-256, an unknown class or one hash listed twice.
LabelCorrections read_label_corrections(const std::string& path,
                                        const std::vector<std::string>& classes);

}  // namespace facegender::prepare
