// `facegender prepare` without the command line: list the inputs, decode and
// crop every photo on worker threads, deduplicate, split, and build the
// packed dataset with its report.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

#include "dataset/packed_dataset.hpp"
#include "prepare/face_pipeline.hpp"
#include "prepare/inputs.hpp"

namespace facegender::prepare {

struct PrepareOptions {
  std::string input_dir;  // the seed's Train/ Eval/ layout; or
  CsvInput csv;           // a labels CSV (csv.path non-empty)
  FaceOptions face;
  std::string corrections;  // label corrections CSV (corrections.hpp); empty: none
  int threads = 0;          // 0: hardware concurrency
  bool progress = true;
  std::size_t log_skipped = 10;       // skipped files printed with their reason
  std::size_t report_skipped = 1000;  // skipped files listed in the report
};

// The dataset (records sorted by source path, whatever the thread count) with
// its provenance and report. Throws std::runtime_error for unusable input (a
// missing folder or CSV, a missing column, fewer than two classes); images
// that fail are skipped and counted, never fatal.
dataset::PackedDataset prepare_dataset(const PrepareOptions& options, std::ostream& log);

// Throws std::runtime_error naming `input` when the dataset is empty or its
// training records hold fewer than two classes.
void check_usable(const dataset::PackedDataset& dataset, const std::string& input);

// Where an image lands: eval-only -> test; Eval folder -> test; Train folder
// -> val when the hash rule says val, else train; otherwise the hash rule.
dataset::Split split_for(Origin origin, bool eval_only, const std::string& sha256);

}  // namespace facegender::prepare
