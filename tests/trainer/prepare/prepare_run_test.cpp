// prepare_dataset end to end on synthetic fixtures (centre crops, since Haar
// finds no face in stripes): splits, dedup, label conflicts, eval-only
// images, every kind of bad file, determinism across thread counts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "facegender/preprocess.hpp"
#include "fixtures.hpp"
#include "prepare/prepare.hpp"
#include "prepare/sha256.hpp"
#include "test_support.hpp"

namespace facegender::testing {
namespace {

using dataset::PackedDataset;
using dataset::Record;
using dataset::Split;
namespace fs = std::filesystem;

const Record* record_of(const PackedDataset& data, const std::string& source) {
  for (const Record& record : data.records) {
    if (record.source == source) return &record;
  }
  return nullptr;
}

std::int64_t dropped(const PackedDataset& data, const std::string& reason) {
  return data.report.at("dropped_by_reason").value(reason, std::int64_t{0});
}

PackedDataset run(const prepare::PrepareOptions& options) {
  std::ostringstream log;
  return prepare::prepare_dataset(options, log);
}

// A PNG of class 1 whose SHA-256 puts it in `split` by the hash rule alone.
Bytes variant_with_split(Split split) {
  for (int v = 1000;; ++v) {
    Bytes png = encode(pattern(1, v), ".png");
    if (dataset::split_of_sha256(prepare::sha256_hex(png)) == split) return png;
  }
}

// Train/<class>/ and Eval/<class>/ with three distinct images each.
void write_seed_layout(const TempDir& dir, const std::vector<std::string>& class_folders) {
  for (std::size_t c = 0; c < class_folders.size(); ++c) {
    for (int v = 0; v < 3; ++v) {
      const int klass = static_cast<int>(c);
      write_bytes(dir / ("Train/" + class_folders[c] + "/t" + std::to_string(v) + ".png"),
                  encode(pattern(klass, v), ".png"));
      write_bytes(dir / ("Eval/" + class_folders[c] + "/e" + std::to_string(v) + ".png"),
                  encode(pattern(klass, 100 + v), ".png"));
    }
  }
}

TEST(PrepareRun, SeedLayoutSplitsTrainByHashAndEvalToTest) {
  TempDir dir;
  write_seed_layout(dir, {"0", "1"});
  write_bytes(dir / "ambiguous/x.png", encode(pattern(0, 50), ".png"));
  // Train images whose hash alone would put them in test and in val.
  write_bytes(dir / "Train/1/rule_test.png", variant_with_split(Split::Test));
  write_bytes(dir / "Train/1/rule_val.png", variant_with_split(Split::Val));
  prepare::PrepareOptions options = synthetic_options();
  options.input_dir = dir.path().string();
  const PackedDataset data = run(options);

  EXPECT_EQ(data.classes, (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(data.size(), 15u);
  EXPECT_EQ(data.pixels.size(), 15u * 100 * 100);
  EXPECT_EQ(record_of(data, "Train/1/rule_test.png")->split, Split::Train);
  EXPECT_EQ(record_of(data, "Train/1/rule_val.png")->split, Split::Val);
  for (const Record& record : data.records) {
    EXPECT_EQ(record.sha256, sha256_of_file(dir / record.source)) << record.source;
    EXPECT_FALSE(record.face_found);  // centre crops
    if (record.source.starts_with("Eval/")) {
      EXPECT_EQ(record.split, Split::Test) << record.source;
    } else if (record.source.starts_with("Train/")) {
      const Split rule = dataset::split_of_sha256(record.sha256);
      EXPECT_EQ(record.split, rule == Split::Val ? Split::Val : Split::Train) << record.source;
    }
  }
  const Record* ambiguous = record_of(data, "ambiguous/x.png");
  ASSERT_NE(ambiguous, nullptr);
  EXPECT_TRUE(ambiguous->eval_only);
  EXPECT_EQ(ambiguous->label, -1);
  EXPECT_EQ(ambiguous->split, Split::Test);
  EXPECT_EQ(record_of(data, "Train/1/t2.png")->label, 1);
  // Records are in source order.
  for (std::size_t i = 1; i < data.size(); ++i) {
    EXPECT_LT(data.records[i - 1].source, data.records[i].source);
  }
  EXPECT_EQ(data.report.at("kept_no_face_center"), 15);
  EXPECT_EQ(data.report.at("kept_eval_only"), 1);
}

TEST(PrepareRun, StoredCropIsTheCoresCentreCrop) {
  TempDir dir;
  write_seed_layout(dir, {"0", "1"});
  cv::Mat wide = pattern(1, 77, 200)(cv::Rect(0, 0, 200, 140)).clone();
  write_bytes(dir / "Train/0/wide.png", encode(wide, ".png"));
  prepare::PrepareOptions options = synthetic_options();
  options.input_dir = dir.path().string();
  const PackedDataset data = run(options);
  const Record* record = record_of(data, "Train/0/wide.png");
  ASSERT_NE(record, nullptr);
  const std::size_t index = static_cast<std::size_t>(record - data.records.data());
  const Image gray = to_gray(as_view(wide));
  const Image expected = crop_face(gray.view(), Box{30, 0, 140, 140}, CropGeometry{0.2, 100, 80});
  const auto face = data.face(index);
  EXPECT_TRUE(std::equal(face.begin(), face.end(), expected.pixels().begin()));
}

TEST(PrepareRun, CsvWithAgeRaceAmbiguousAndClassNames) {
  TempDir dir;
  std::string csv = "path,gender,age,race\n";
  for (int v = 0; v < 4; ++v) {
    for (int klass = 0; klass < 2; ++klass) {
      const std::string name = "img/" + std::to_string(klass) + "_" + std::to_string(v) + ".jpg";
      write_bytes(dir / name, encode(pattern(klass, v), ".jpg"));
      csv += name + "," + (klass == 0 ? "male" : "1") + "," + std::to_string(20 + v) + ",3\n";
    }
  }
  write_bytes(dir / "img/amb.png", encode(pattern(1, 40), ".png"));
  csv += "img/amb.png,x,,\n";
  write_text(dir / "labels.csv", csv);
  prepare::PrepareOptions options = synthetic_options();
  options.csv = {dir / "labels.csv", "gender", {"male", "female"}, std::string("x")};
  const PackedDataset data = run(options);

  EXPECT_EQ(data.classes, (std::vector<std::string>{"male", "female"}));
  ASSERT_EQ(data.size(), 9u);
  const Record* r = record_of(data, "img/1_2.jpg");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->label, 1);
  EXPECT_EQ(r->age, 22);
  EXPECT_EQ(r->race, 3);
  EXPECT_EQ(r->split, dataset::split_of_sha256(r->sha256));
  const Record* amb = record_of(data, "img/amb.png");
  ASSERT_NE(amb, nullptr);
  EXPECT_TRUE(amb->eval_only);
  EXPECT_EQ(amb->split, Split::Test);
  EXPECT_FALSE(amb->age.has_value());
  EXPECT_EQ(data.provenance.at("layout"), "csv");
}

TEST(PrepareRun, DuplicatesKeepOneCopyAndConflictsDropAll) {
  TempDir dir;
  write_seed_layout(dir, {"0", "1"});
  const Bytes same = encode(pattern(0, 60), ".png");
  write_bytes(dir / "Train/0/dup_a.png", same);
  write_bytes(dir / "Train/0/dup_b.png", same);
  write_bytes(dir / "Eval/0/dup_c.png", same);  // sorts first: this copy is kept
  const Bytes torn = encode(pattern(1, 61), ".png");
  write_bytes(dir / "Train/0/conflict.png", torn);
  write_bytes(dir / "Train/1/conflict.png", torn);
  prepare::PrepareOptions options = synthetic_options();
  options.input_dir = dir.path().string();
  const PackedDataset data = run(options);

  EXPECT_NE(record_of(data, "Eval/0/dup_c.png"), nullptr);
  EXPECT_EQ(record_of(data, "Train/0/dup_a.png"), nullptr);
  EXPECT_EQ(record_of(data, "Train/0/dup_b.png"), nullptr);
  EXPECT_EQ(record_of(data, "Train/0/conflict.png"), nullptr);
  EXPECT_EQ(record_of(data, "Train/1/conflict.png"), nullptr);
  EXPECT_EQ(dropped(data, "duplicate"), 2);
  EXPECT_EQ(dropped(data, "label_conflict"), 2);
  EXPECT_EQ(data.size(), 13u);
}

TEST(PrepareRun, EveryBadFileIsSkippedOrHandledAndCounted) {
  TempDir dir;
  write_seed_layout(dir, {"0", "1"});
  const Bytes jpeg = encode(pattern(0, 70), ".jpg");
  write_bytes(dir / "Train/0/empty.jpg", {});
  write_bytes(dir / "Train/0/truncated.jpg",
              Bytes(jpeg.begin(), jpeg.begin() + static_cast<long>(jpeg.size() / 2)));
  write_text(dir / "Train/0/text.jpg", "this is a text file, not a JPEG\n");
  write_bytes(dir / "Train/0/png_named.jpg", encode(pattern(0, 71), ".png"));
  write_bytes(dir / "Train/0/one_pixel.png", encode(cv::Mat(1, 1, CV_8UC3, cv::Scalar(9)), ".png"));
  write_bytes(dir / "Train/0/deep.png",
              encode(cv::Mat(120, 120, CV_16UC3, cv::Scalar(40000)), ".png"));
  write_bytes(dir / "Train/0/cmyk.jpg", cmyk_jpeg(120, 120));
  write_bytes(dir / "Train/0/alpha.png",
              encode(cv::Mat(120, 120, CV_8UC4, cv::Scalar(1, 2, 3, 4)), ".png"));
  write_bytes(dir / "Train/0/bomb.png", png_header_only(30000, 30000));
  prepare::PrepareOptions options = synthetic_options();
  options.input_dir = dir.path().string();
  std::ostringstream log;
  const PackedDataset data = prepare::prepare_dataset(options, log);

  for (const char* kept : {"Train/0/png_named.jpg", "Train/0/one_pixel.png", "Train/0/deep.png",
                           "Train/0/cmyk.jpg", "Train/0/alpha.png"}) {
    EXPECT_NE(record_of(data, kept), nullptr) << kept;
  }
  EXPECT_EQ(dropped(data, "empty_file"), 1);
  EXPECT_EQ(dropped(data, "truncated"), 1);
  EXPECT_EQ(dropped(data, "not_an_image"), 1);
  EXPECT_EQ(dropped(data, "too_many_pixels"), 1);
  EXPECT_EQ(data.report.at("inputs"), 21);
  EXPECT_EQ(data.report.at("kept"), 17);
  EXPECT_EQ(data.report.at("dropped"), 4);
  // The log names the skipped files and why.
  const std::string text = log.str();
  EXPECT_NE(text.find("bomb.png: too_many_pixels"), std::string::npos) << text;
  EXPECT_NE(text.find("text.jpg: not_an_image"), std::string::npos) << text;
  // So does the report.
  std::size_t listed = 0;
  for (const auto& skipped : data.report.at("skipped_files")) {
    listed += skipped.at("file").get<std::string>().find(dir.path().string()) == 0 ? 1 : 0;
  }
  EXPECT_EQ(listed, 4u);

  // With a size floor the 1x1 image is dropped as too small, not crashed on.
  options.face.min_face = 100;
  const PackedDataset floored = run(options);
  EXPECT_EQ(record_of(floored, "Train/0/one_pixel.png"), nullptr);
  EXPECT_EQ(dropped(floored, "face_too_small"), 1);
  // Without --no-face center, stripes have no face.
  options.face.center_when_no_face = false;
  options.face.min_face = 0;
  const PackedDataset strict = run(options);
  EXPECT_EQ(strict.size(), 0u);
  EXPECT_EQ(dropped(strict, "no_face"), 17);
}

TEST(PrepareRun, CsvMissingFilesBadLabelsAndChecksumsAreCounted) {
  TempDir dir;
  write_bytes(dir / "a.png", encode(pattern(0, 1), ".png"));
  write_bytes(dir / "b.png", encode(pattern(1, 1), ".png"));
  write_bytes(dir / "c.png", encode(pattern(1, 2), ".png"));
  write_text(dir / "labels.csv",
             "path,gender,sha256\n"
             "a.png,0,\n"
             "b.png,1," +
                 sha256_of_file(dir / "b.png") +
                 "\n"
                 "c.png,1," +
                 std::string(64, '0') +
                 "\n"
                 "gone.png,0,\n"
                 "a.png,5,\n"
                 "short.png\n");
  prepare::PrepareOptions options = synthetic_options();
  options.csv = {dir / "labels.csv", "gender", {"male", "female"}, std::nullopt};
  const PackedDataset data = run(options);
  EXPECT_EQ(data.size(), 2u);
  EXPECT_EQ(dropped(data, "checksum_mismatch"), 1);
  EXPECT_EQ(dropped(data, "missing_file"), 1);
  EXPECT_EQ(dropped(data, "bad_label"), 1);
  EXPECT_EQ(dropped(data, "bad_row"), 1);
  EXPECT_EQ(data.report.at("counts").at("missing_file").at("unsplit").at("male"), 1);
}

TEST(PrepareRun, OutputIsTheSameForAnyThreadCount) {
  TempDir dir;
  write_seed_layout(dir, {"0", "1"});
  for (int v = 0; v < 20; ++v) {
    write_bytes(dir / ("Train/1/more" + std::to_string(v) + ".png"),
                encode(pattern(1, 200 + v), ".png"));
  }
  prepare::PrepareOptions options = synthetic_options();
  options.input_dir = dir.path().string();
  const PackedDataset one = run(options);
  options.threads = 3;
  const PackedDataset three = run(options);
  ASSERT_EQ(one.size(), three.size());
  for (std::size_t i = 0; i < one.size(); ++i)
    EXPECT_EQ(one.records[i].source, three.records[i].source);
  EXPECT_EQ(one.pixels, three.pixels);
  EXPECT_EQ(one.report.at("counts"), three.report.at("counts"));
}

TEST(PrepareRun, UnusableDatasetsAreErrorsNamingTheInput) {
  TempDir dir;
  // One class folder only: refused before any work.
  write_bytes(dir / "one/Train/0/a.png", encode(pattern(0, 1), ".png"));
  prepare::PrepareOptions options = synthetic_options();
  options.input_dir = dir / "one";
  try {
    run(options);
    FAIL() << "a single-class input was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "one"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at least two"), std::string::npos) << e.what();
  }
  // Two classes, but every image of class 1 is broken: single-class result.
  write_text(dir / "one/Train/1/bad.jpg", "not an image");
  const PackedDataset single = run(options);
  try {
    prepare::check_usable(single, options.input_dir);
    FAIL() << "a single-class dataset was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("only class '0'"), std::string::npos) << e.what();
  }
  // Nothing kept at all.
  options.face.center_when_no_face = false;
  const PackedDataset empty = run(options);
  EXPECT_EQ(empty.size(), 0u);
  try {
    prepare::check_usable(empty, options.input_dir);
    FAIL() << "an empty dataset was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
}

// Regression: one symbolic link loop aborted the whole run ("Too many levels
// of symbolic links", no dataset). Loops and dangling links are now skipped
// and counted with their reason, and the rest of the folder is read.
TEST(PrepareRun, LinkLoopsAndDanglingLinksAreSkippedAndCounted) {
  TempDir dir;
  write_seed_layout(dir, {"0", "1"});
  fs::create_symlink("loop.jpg", dir / "Train/0/loop.jpg");
  fs::create_symlink(dir / "Train/0/nowhere.png", dir / "Train/1/dangling.png");
  fs::create_directory_symlink("..", dir / "Train/1/up");  // a folder link is not followed
  std::ostringstream log;
  prepare::PrepareOptions options = synthetic_options();
  options.input_dir = dir.path().string();
  const PackedDataset data = prepare::prepare_dataset(options, log);
  EXPECT_EQ(data.report.at("kept"), 12);
  EXPECT_EQ(dropped(data, "read_error"), 2);
  const std::string text = log.str();
  EXPECT_NE(text.find("symbolic link loop"), std::string::npos) << text;
  EXPECT_NE(text.find("dangling symbolic link"), std::string::npos) << text;
}

// Regression: a file behind a folder that cannot be searched was reported
// as "file not found". (Root reads every folder, so this needs another user.)
TEST(PrepareRun, UnsearchableFolderIsAReadErrorNotAMissingFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores folder permissions";
  TempDir dir;
  write_bytes(dir / "locked/a.png", encode(pattern(0, 1), ".png"));
  write_bytes(dir / "open/b.png", encode(pattern(1, 2), ".png"));
  write_text(dir / "labels.csv", "path,gender\nlocked/a.png,0\nopen/b.png,1\n");
  fs::permissions(dir / "locked", fs::perms::none);
  prepare::PrepareOptions options = synthetic_options();
  options.csv.path = dir / "labels.csv";
  std::ostringstream log;
  std::string error;
  try {
    prepare::prepare_dataset(options, log);
  } catch (const std::runtime_error& e) {
    error = e.what();  // nothing kept: the run fails, but the log says why
  }
  fs::permissions(dir / "locked", fs::perms::owner_all);
  EXPECT_NE(log.str().find("permission denied"), std::string::npos) << log.str() << error;
}

// A corrections list fixes a label by the image's bytes wherever the photo
// is, and settles a conflict between copies; a bad list names its line.
TEST(PrepareRun, LabelCorrectionsApplyByHashAndSettleConflicts) {
  TempDir dir;
  write_seed_layout(dir, {"0", "1"});
  const Bytes wrong = encode(pattern(1, 70), ".png");
  write_bytes(dir / "Train/0/mislabelled.png", wrong);
  const Bytes torn = encode(pattern(1, 71), ".png");
  write_bytes(dir / "Train/0/conflict.png", torn);
  write_bytes(dir / "Train/1/conflict.png", torn);
  const std::string wrong_hash = prepare::sha256_hex(wrong);
  const std::string torn_hash = prepare::sha256_hex(torn);
  write_text(dir / "corrections.csv", "# checked by eye\nsha256,label,note\n" + wrong_hash +
                                          ",1,a vertical pattern\n" + torn_hash + ",1\n");
  prepare::PrepareOptions options = synthetic_options();
  options.input_dir = dir.path().string();
  options.corrections = dir / "corrections.csv";
  const PackedDataset data = run(options);
  const dataset::Record* fixed = record_of(data, "Train/0/mislabelled.png");
  ASSERT_NE(fixed, nullptr);
  EXPECT_EQ(fixed->label, 1);
  EXPECT_NE(record_of(data, "Train/0/conflict.png"), nullptr);  // one copy kept, label 1
  EXPECT_EQ(record_of(data, "Train/0/conflict.png")->label, 1);
  EXPECT_EQ(dropped(data, "label_conflict"), 0);
  EXPECT_EQ(data.report["label_corrections"]["listed"], 2);
  EXPECT_EQ(data.report["label_corrections"]["changed"], 2);
  EXPECT_EQ(data.provenance["options"]["corrections"], dir / "corrections.csv");

  const std::vector<std::string> bad_lists = {
      "hash,label\n", "sha256,label\nabc,1\n", "sha256,label\n" + wrong_hash + ",2\n",
      "sha256,label\n" + wrong_hash + ",1\n" + wrong_hash + ",0\n"};
  for (const std::string& bad : bad_lists) {
    write_text(dir / "bad.csv", bad);
    options.corrections = dir / "bad.csv";
    try {
      run(options);
      FAIL() << "accepted: " << bad;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("bad.csv:"), std::string::npos) << e.what();
    }
  }
}

TEST(PrepareRun, NumberedClassesGetAWarningThatNamesTheFix) {
  TempDir dir;
  write_seed_layout(dir, {"0", "1"});
  prepare::PrepareOptions options = synthetic_options();
  options.input_dir = dir.path().string();
  std::ostringstream log;
  prepare::prepare_dataset(options, log);
  EXPECT_NE(log.str().find("warning: the classes are only numbers"), std::string::npos)
      << log.str();
  EXPECT_NE(log.str().find("--classes male,female"), std::string::npos);
  options.csv.classes = {"male", "female"};
  std::ostringstream named;
  prepare::prepare_dataset(options, named);
  EXPECT_EQ(named.str().find("warning"), std::string::npos) << named.str();
}

}  // namespace
}  // namespace facegender::testing
