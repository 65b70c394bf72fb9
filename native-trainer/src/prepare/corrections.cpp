#include "prepare/corrections.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/files.hpp"
#include "prepare/inputs.hpp"

namespace facegender::prepare {
namespace {

bool is_sha256(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool is_comment(const CsvRow& row) {
  return row.fields.size() == 1 &&
         (trimmed(row.fields[0]).empty() || trimmed(row.fields[0])[0] == '#');
}

}  // namespace

LabelCorrections read_label_corrections(const std::string& path,
                                        const std::vector<std::string>& classes) {
  std::string text;
  try {
    text = read_file(path, std::uint64_t{64} << 20);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + " (the label corrections)");
  }
  LabelCorrections out{path, {}};
  bool header_seen = false;
  for (CsvRow& row : parse_csv(text, path)) {
    if (is_comment(row)) continue;
    const std::string where = path + ":" + std::to_string(row.line) + ": ";
    for (std::string& field : row.fields) field = trimmed(field);
    const std::vector<std::string>& fields = row.fields;
    if (!header_seen) {
      if (fields.size() < 2 || fields[0] != "sha256" || fields[1] != "label")
        throw std::runtime_error(where + "the header must start with sha256,label");
      header_seen = true;
      continue;
    }
    if (fields.size() < 2) throw std::runtime_error(where + "expected sha256,label");
    if (!is_sha256(fields[0]))
      throw std::runtime_error(where + "\"" + fields[0] + "\" is not a lower-case hex SHA-256");
    const auto klass = std::find(classes.begin(), classes.end(), fields[1]);
    if (klass == classes.end())
      throw std::runtime_error(where + "label \"" + fields[1] + "\" is not one of the classes");
    if (!out.label_of.emplace(fields[0], static_cast<int>(klass - classes.begin())).second)
      throw std::runtime_error(where + fields[0] + " is listed twice");
  }
  if (!header_seen) throw std::runtime_error(path + ": empty; the header must be sha256,label");
  return out;
}

}  // namespace facegender::prepare
