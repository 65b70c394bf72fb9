// The labels CSV of `facegender prepare --labels`: parse_csv on the text, then
// list_csv_inputs on the same bytes as a file (it takes a path; the file is
// rewritten in a scratch folder for each input). The input's size picks the
// options (--classes given or not, an --ambiguous-label or not), so the
// corpus covers all four. Contract: rows / an input set, or
// std::runtime_error; every row has a field and a line number that grows;
// the set is sorted by source and every usable item's label is a class.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "prepare/inputs.hpp"

using namespace facegender::prepare;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const std::vector<CsvRow> rows = parse_csv(text, "fuzz.csv");
    std::size_t line = 0;
    for (const CsvRow& row : rows) {
      fuzz::check(!row.fields.empty(), "parse_csv returned a row without fields");
      fuzz::check(row.line > line, "parse_csv's line numbers do not grow");
      line = row.line;
    }
  } catch (const std::runtime_error& e) {
    fuzz::rejected(e);  // unterminated quotes
  }

  static const std::string path = (fuzz::scratch_dir() / "labels.csv").string();
  fuzz::write_bytes(path, data, size);
  CsvInput csv;
  csv.path = path;
  if (size % 2 == 1) csv.classes = {"female", "male"};
  if (size % 4 >= 2) csv.ambiguous_label = "ambiguous";
  try {
    const InputSet set = list_csv_inputs(csv);
    fuzz::check(set.kind == "csv", "a CSV input set not of kind csv");
    fuzz::accepted("input set");
    for (std::size_t i = 0; i < set.items.size(); ++i) {
      const InputItem& item = set.items[i];
      if (i > 0) fuzz::check(set.items[i - 1].source <= item.source, "items not sorted by source");
      if (item.problem) continue;
      fuzz::check(!item.source.empty() && !item.path.empty(), "a usable item without a path");
      if (item.eval_only) {
        fuzz::check(item.label == -1, "an ambiguous (eval-only) CSV row with a label");
      } else {
        fuzz::check(item.label >= 0 && static_cast<std::size_t>(item.label) < set.classes.size(),
                    "a usable item whose label is not a class");
      }
    }
  } catch (const std::runtime_error& e) {
    fuzz::rejected(e);  // missing column, no rows, broken quoting
  }
  return 0;
}
