// What `facegender prepare` imports: the image files, each with its class,
// where its split comes from, and the extra columns, from either layout:
//
//   Folders (the seed's layout):  DIR/Train/<class>/...  DIR/Eval/<class>/...
//     <class> is folder `i` or the i-th --classes name; without --classes the
//     class folders found, in numeric order when all are numbers, else
//     alphabetical. A folder `ambiguous` anywhere (DIR/ambiguous/...,
//     DIR/Eval/ambiguous/<class>/..., DIR/Train/<class>/ambiguous/...) marks
//     eval-only images; their class is the class folder on their path, if
//     any, else none (label -1).
//   Labels CSV:  columns `path` (relative to the CSV's folder) and the label
//     column; `age`, `race` and `sha256` are read when present. Labels are
//     `i` or the i-th --classes name; without --classes the classes are the
//     distinct label values (numeric order when all are numbers), which must
//     look like a class set (see list_csv_inputs). Rows whose
//     label equals --ambiguous-label are eval-only, with no class.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prepare/skip.hpp"

namespace facegender::prepare {

// Where an image's split comes from.
enum class Origin {
  Hash,         // the project's rule on the file's SHA-256: test / val / train
  TrainFolder,  // DIR/Train: val by the rule (mod 10 == 1), else train
  EvalFolder,   // DIR/Eval: test
};

struct InputItem {
  std::string path;    // to open
  std::string source;  // relative to the input root: the record's source
  int label = -1;      // class index; -1: none (an ambiguous image)
  bool eval_only = false;
  Origin origin = Origin::Hash;
  std::optional<int> age;
  std::optional<int> race;
  std::string expected_sha256;    // from the CSV's sha256 column, when it has one
  std::optional<Reason> problem;  // BadLabel / BadRow: dropped without reading
  std::string problem_detail;
};

struct InputSet {
  std::string root;  // folder the sources are relative to
  std::string kind;  // "folders" or "csv"
  std::vector<std::string> classes;
  std::vector<InputItem> items;  // sorted by source, byte-wise
};

// Throws std::runtime_error naming the folder when it is missing or has none
// of Train/, Eval/, ambiguous/.
InputSet list_folder_inputs(const std::string& dir, const std::vector<std::string>& classes);

struct CsvInput {
  std::string path;
  std::string label_column = "gender";
  std::vector<std::string> classes;  // empty: the label values
  std::optional<std::string> ambiguous_label;
  // Paths that are absolute or climb out of the CSV's folder ("../") are
  // refused unless this is set.
  bool allow_outside_paths = false;
};

// Throws std::runtime_error naming the CSV for a missing file or column,
// broken quoting, a path outside the CSV's folder (see allow_outside_paths),
// or, without `classes`, label values that look like a mistake rather than a
// class set (mixed numbers and names, or a value on under 1% of the rows).
// Label values are trimmed of surrounding spaces. Rows with a bad label or field count become items
// with a `problem`, so the run goes on and the report counts them.
InputSet list_csv_inputs(const CsvInput& csv);

struct CsvRow {
  std::size_t line = 0;  // 1-based line where the row starts
  std::vector<std::string> fields;
};

// RFC 4180: comma-separated, "quoted" fields with "" for a quote, LF or CRLF
// line ends, a UTF-8 byte-order mark ignored; blank lines skipped.
std::vector<CsvRow> parse_csv(std::string_view text, const std::string& path);

// `text` without leading and trailing spaces and tabs.
std::string trimmed(const std::string& text);

}  // namespace facegender::prepare
