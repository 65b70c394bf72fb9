#include "prepare/inputs.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "common/files.hpp"

namespace facegender::prepare {
namespace fs = std::filesystem;
namespace {

std::optional<long long> parse_integer(std::string_view text) {
  long long value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<int> parse_small_integer(std::string_view text) {
  const std::optional<long long> value = parse_integer(text);
  if (!value || *value < INT32_MIN || *value > INT32_MAX) return std::nullopt;
  return static_cast<int>(*value);
}

// Numeric order when every name is an integer ("2" before "10"), else byte order.
std::vector<std::string> ordered_class_names(const std::set<std::string>& names) {
  std::vector<std::string> result(names.begin(), names.end());
  const bool numeric = std::all_of(result.begin(), result.end(), [](const std::string& n) {
    return parse_integer(n).has_value();
  });
  if (numeric) {
    std::sort(result.begin(), result.end(), [](const std::string& a, const std::string& b) {
      return *parse_integer(a) < *parse_integer(b);
    });
  }
  return result;
}

std::string join(const std::vector<std::string>& names, const char* separator = ", ") {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : separator) + name;
  return text;
}

// Class i answers to "i" and to its name.
std::optional<int> class_index(const std::string& value, const std::vector<std::string>& classes) {
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (value == classes[i] || value == std::to_string(i)) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string unknown_class_detail(const std::string& what, const std::string& value,
                                 const std::vector<std::string>& classes) {
  return what + " '" + value + "' is not a class (expected 0.." +
         std::to_string(classes.size() - 1) + " or one of: " + join(classes) + ")";
}

void sort_by_source(std::vector<InputItem>& items) {
  std::sort(items.begin(), items.end(),
            [](const InputItem& a, const InputItem& b) { return a.source < b.source; });
}

// ---- folders ----------------------------------------------------------------

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool is_hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name.front() == '.';
}

// One file of the folder layout, before classes are known.
struct FolderFile {
  fs::path path;
  std::string source;
  Origin origin = Origin::Hash;
  bool ambiguous = false;
  std::optional<std::string> class_folder;
  std::optional<std::string> unreadable;  // why a link or folder could not be read
};

std::optional<FolderFile> classify_path(const fs::path& file, const fs::path& root) {
  const fs::path relative = file.lexically_relative(root);
  std::vector<std::string> dirs;
  for (const fs::path& part : relative.parent_path()) dirs.push_back(part.string());
  if (dirs.empty()) return std::nullopt;  // loose files in DIR are not part of the layout
  FolderFile result;
  result.path = file;
  result.source = relative.generic_string();
  const std::string top = lower(dirs.front());
  if (top == "train") {
    result.origin = Origin::TrainFolder;
  } else if (top == "eval") {
    result.origin = Origin::EvalFolder;
  } else if (top == "ambiguous") {
    result.ambiguous = true;
  } else {
    return std::nullopt;
  }
  for (std::size_t i = 1; i < dirs.size(); ++i) {
    if (lower(dirs[i]) == "ambiguous") {
      result.ambiguous = true;
    } else if (!result.class_folder) {
      result.class_folder = dirs[i];
    }
  }
  return result;
}

bool can_list(const fs::path& dir) {
  return ::access(dir.c_str(), R_OK | X_OK) == 0;
}

// A symbolic link loop, a dangling link and an unlistable folder are kept as
// entries that fail with their reason, so the report counts them and the
// rest of the folder is still read.
std::optional<std::string> entry_problem(fs::recursive_directory_iterator& it) {
  std::error_code error;
  const bool directory = it->is_directory(error);
  if (error) {
    if (error.value() == ELOOP) return "symbolic link loop";
    std::error_code link_error;
    if (error.value() == ENOENT && it->is_symlink(link_error)) return "dangling symbolic link";
    return "cannot read: " + error.message();
  }
  if (directory) {
    if (can_list(it->path())) return std::nullopt;
    it.disable_recursion_pending();
    return "folder cannot be listed: " + std::string(std::strerror(errno));
  }
  if (it->is_symlink(error) && !fs::exists(it->path(), error)) return "dangling symbolic link";
  return std::nullopt;
}

std::vector<FolderFile> walk_layout(const fs::path& root) {
  std::vector<FolderFile> files;
  std::error_code error;
  fs::recursive_directory_iterator it(root, error), end;
  if (error) throw std::runtime_error(root.string() + ": cannot list: " + error.message());
  for (; it != end; it.increment(error)) {
    if (error) throw std::runtime_error(root.string() + ": cannot list: " + error.message());
    if (is_hidden(it->path())) {  // .git, .DS_Store, editors' backups
      if (it->is_directory(error)) it.disable_recursion_pending();
      continue;
    }
    const std::optional<std::string> problem = entry_problem(it);
    if (!problem && !it->is_regular_file(error)) continue;
    std::optional<FolderFile> file = classify_path(it->path(), root);
    if (!file && problem) {  // e.g. an unlistable Train/ itself: still counted
      file = FolderFile{};
      file->path = it->path();
      file->source = it->path().lexically_relative(root).generic_string();
    }
    if (!file) continue;
    file->unreadable = problem;
    files.push_back(*file);
  }
  return files;
}

void check_layout(const fs::path& root) {
  if (!fs::is_directory(root)) throw std::runtime_error(root.string() + ": no such folder");
  for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
    const std::string name = lower(entry.path().filename().string());
    if (entry.is_directory() && (name == "train" || name == "eval" || name == "ambiguous")) return;
  }
  throw std::runtime_error(root.string() +
                           ": expected Train/ and Eval/ class folders (Train/0, Train/1, ...) or "
                           "ambiguous/; for a labels CSV use --labels");
}

InputItem folder_item(const FolderFile& file, const std::vector<std::string>& classes) {
  InputItem item;
  item.path = file.path.string();
  item.source = file.source;
  item.origin = file.origin;
  item.eval_only = file.ambiguous;
  if (file.unreadable) {
    item.problem = Reason::ReadError;
    item.problem_detail = *file.unreadable;
  } else if (file.class_folder) {
    if (const std::optional<int> index = class_index(*file.class_folder, classes)) {
      item.label = *index;
    } else {
      item.problem = Reason::BadLabel;
      item.problem_detail = unknown_class_detail("folder", *file.class_folder, classes);
    }
  } else if (!file.ambiguous) {
    item.problem = Reason::BadLabel;
    item.problem_detail = "not inside a class folder";
  }
  return item;
}

// ---- CSV ----------------------------------------------------------------------

struct Columns {
  std::size_t path = 0;
  std::size_t label = 0;
  std::optional<std::size_t> age;
  std::optional<std::size_t> race;
  std::optional<std::size_t> sha256;
};

std::optional<std::size_t> find_column(const std::vector<std::string>& header,
                                       const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) return std::nullopt;
  return static_cast<std::size_t>(it - header.begin());
}

Columns find_columns(const std::vector<std::string>& header, const CsvInput& csv) {
  auto required = [&](const std::string& name, const char* option) {
    const std::optional<std::size_t> index = find_column(header, name);
    if (!index) {
      throw std::runtime_error(csv.path + ": no column '" + name + "'" + option +
                               " (columns: " + join(header) + ")");
    }
    return *index;
  };
  Columns columns;
  columns.path = required("path", "");
  columns.label = required(csv.label_column, " (--label-column)");
  columns.age = find_column(header, "age");
  columns.race = find_column(header, "race");
  columns.sha256 = find_column(header, "sha256");
  return columns;
}

// Without --classes every label value would become a class, so a typo ("x"
// among 0s and 1s) would silently make a class of its own. Refuse a set that
// mixes numbers with names, or holds a value on under 1% of the rows.
void require_plausible_classes(const std::map<std::string, std::size_t>& rows_of,
                               const CsvInput& csv) {
  std::size_t total = 0, numeric = 0;
  std::string listing;
  for (const auto& [value, count] : rows_of) {
    total += count;
    numeric += parse_integer(value).has_value();
    listing += (listing.empty() ? "" : ", ") + ("'" + value + "' ") + std::to_string(count) +
               (count == 1 ? " row" : " rows");
  }
  std::string problem;
  if (numeric != 0 && numeric != rows_of.size()) problem = "mixes numbers and names";
  for (const auto& [value, count] : rows_of) {
    if (problem.empty() && total >= 20 && count * 100 < total)
      problem = "has a value, '" + value + "', on under 1% of the rows";
  }
  if (problem.empty()) return;
  throw std::runtime_error(csv.path + ": the label column '" + csv.label_column + "' " + problem +
                           " (" + listing +
                           "), which looks like a mistake rather than a set of classes. Name the "
                           "classes with --classes (e.g. --classes male,female for 0 and 1; rows "
                           "with other labels are then skipped and counted), or fix the CSV");
}

std::vector<std::string> csv_classes(const std::vector<CsvRow>& rows, const Columns& columns,
                                     const CsvInput& csv, std::size_t width) {
  if (!csv.classes.empty()) return csv.classes;
  std::map<std::string, std::size_t> rows_of;
  for (const CsvRow& row : rows) {
    if (row.fields.size() != width) continue;
    const std::string value = trimmed(row.fields[columns.label]);
    if (value.empty() || value == csv.ambiguous_label) continue;
    ++rows_of[value];
  }
  require_plausible_classes(rows_of, csv);
  std::set<std::string> values;
  for (const auto& [value, count] : rows_of) values.insert(value);
  return ordered_class_names(values);
}

std::string row_place(const CsvInput& csv, std::size_t line) {
  return csv.path + ":" + std::to_string(line);
}

void assign_csv_label(InputItem& item, const std::string& value,
                      const std::vector<std::string>& classes, const CsvInput& csv,
                      std::size_t line) {
  const std::string label = trimmed(value);
  if (csv.ambiguous_label && label == *csv.ambiguous_label) {
    item.eval_only = true;
    return;
  }
  if (const std::optional<int> index = class_index(label, classes)) {
    item.label = *index;
    return;
  }
  item.problem = Reason::BadLabel;
  item.problem_detail =
      row_place(csv, line) + ": " +
      (label.empty() ? std::string("empty label") : unknown_class_detail("label", label, classes));
}

InputItem csv_item(const CsvRow& row, const Columns& columns, std::size_t width,
                   const std::vector<std::string>& classes, const CsvInput& csv,
                   const fs::path& base) {
  InputItem item;
  if (row.fields.size() != width) {
    item.source = row.fields.empty() ? "" : row.fields.front();
    item.problem = Reason::BadRow;
    item.problem_detail = row_place(csv, row.line) + ": " + std::to_string(row.fields.size()) +
                          " fields, the header has " + std::to_string(width);
    return item;
  }
  item.source = row.fields[columns.path];
  item.path = (base / item.source).string();
  if (item.source.empty()) {
    item.problem = Reason::BadRow;
    item.problem_detail = row_place(csv, row.line) + ": empty path";
    return item;
  }
  assign_csv_label(item, row.fields[columns.label], classes, csv, row.line);
  if (columns.age) item.age = parse_small_integer(row.fields[*columns.age]);
  if (columns.race) item.race = parse_small_integer(row.fields[*columns.race]);
  if (columns.sha256) item.expected_sha256 = lower(row.fields[*columns.sha256]);
  return item;
}

}  // namespace

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::vector<CsvRow> parse_csv(std::string_view text, const std::string& path) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool quoted = false;
  bool field_started = false;  // distinguishes an empty last field from no field
  std::size_t line = 1;
  row.line = 1;
  auto end_row = [&] {
    if (field_started || !row.fields.empty()) {
      row.fields.push_back(std::move(field));
      rows.push_back(std::move(row));
    }
    row = CsvRow{};
    field.clear();
    field_started = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      row.fields.push_back(std::move(field));
      field.clear();
      field_started = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      row.line = ++line;
    } else {
      field.push_back(c);
      field_started = true;
    }
  }
  if (quoted) {
    throw std::runtime_error(path + ":" + std::to_string(row.line) + ": unterminated quoted field");
  }
  end_row();
  return rows;
}

InputSet list_folder_inputs(const std::string& dir, const std::vector<std::string>& classes) {
  const fs::path root(dir);
  check_layout(root);
  const std::vector<FolderFile> files = walk_layout(root);
  InputSet set{root.string(), "folders", classes, {}};
  if (set.classes.empty()) {
    std::set<std::string> names;
    for (const FolderFile& file : files) {
      if (file.class_folder) names.insert(*file.class_folder);
    }
    set.classes = ordered_class_names(names);
  }
  for (const FolderFile& file : files) set.items.push_back(folder_item(file, set.classes));
  sort_by_source(set.items);
  return set;
}

// "../x.jpg" or "/etc/passwd" in a labels CSV reads outside its folder:
// refused as a whole, naming the first such row, unless allowed.
void refuse_outside_paths(const std::vector<CsvRow>& body, const Columns& columns,
                          std::size_t width, const CsvInput& csv) {
  if (csv.allow_outside_paths) return;
  std::size_t outside = 0;
  const CsvRow* first = nullptr;
  for (const CsvRow& row : body) {
    if (row.fields.size() != width) continue;
    const fs::path path(row.fields[columns.path]);
    const fs::path normal = path.lexically_normal();
    const bool escapes = path.is_absolute() || (!normal.empty() && *normal.begin() == "..");
    if (!escapes) continue;
    if (first == nullptr) first = &row;
    ++outside;
  }
  if (first == nullptr) return;
  throw std::runtime_error(row_place(csv, first->line) + ": path '" + first->fields[columns.path] +
                           "' is outside the CSV's folder (" + std::to_string(outside) +
                           (outside == 1 ? " row does" : " rows do") +
                           " this); paths must be relative to the CSV and stay inside its "
                           "folder. Pass --allow-outside-paths if this is meant");
}

InputSet list_csv_inputs(const CsvInput& csv) {
  const std::vector<CsvRow> rows = parse_csv(read_file(csv.path), csv.path);
  if (rows.empty()) throw std::runtime_error(csv.path + ": empty CSV (no header row)");
  const std::vector<std::string>& header = rows.front().fields;
  const Columns columns = find_columns(header, csv);
  const std::vector<CsvRow> body(rows.begin() + 1, rows.end());
  if (body.empty()) throw std::runtime_error(csv.path + ": no rows after the header");
  refuse_outside_paths(body, columns, header.size(), csv);

  fs::path base = fs::path(csv.path).parent_path();
  if (base.empty()) base = ".";
  InputSet set{base.string(), "csv", csv_classes(body, columns, csv, header.size()), {}};
  for (const CsvRow& row : body) {
    set.items.push_back(csv_item(row, columns, header.size(), set.classes, csv, base));
  }
  sort_by_source(set.items);
  return set;
}

}  // namespace facegender::prepare
