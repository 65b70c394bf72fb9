// `facegender prepare` through its command line: the files it writes (dataset,
// gzip of the same bytes, Markdown and JSON reports), --json, and refusals.
#include <gtest/gtest.h>
#include <zlib.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dataset/packed_dataset.hpp"
#include "facegender/align.hpp"
#include "fixtures.hpp"

namespace facegender::testing {
namespace {

namespace fs = std::filesystem;

// Parses and runs `facegender prepare ARGS` the way main() does.
void run_cli(std::vector<std::string> args) {
  CLI::App app{"facegender"};
  app.require_subcommand(1);
  cli::add_prepare(app);
  args.insert(args.begin(), "prepare");
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments reversed
  app.parse(args);
}

Bytes gunzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  EXPECT_NE(file, nullptr) << path;
  Bytes bytes;
  std::vector<char> buffer(1 << 16);
  int n = 0;
  while (file != nullptr &&
         (n = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) {
    bytes.insert(bytes.end(), buffer.begin(), buffer.begin() + n);
  }
  if (file != nullptr) gzclose(file);
  return bytes;
}

void write_fixture(const TempDir& dir) {
  for (int klass = 0; klass < 2; ++klass) {
    for (int v = 0; v < 4; ++v) {
      write_bytes(dir / ("in/Train/" + std::to_string(klass) + "/" + std::to_string(v) + ".png"),
                  encode(pattern(klass, v), ".png"));
    }
  }
  write_text(dir / "in/Eval/1/broken.jpg", "not an image");
}

std::vector<std::string> base_args(const TempDir& dir) {
  return {
      dir / "in", "--out",      dir / "out/data.fgds",  "--no-face", "center",      "--min-face",
      "0",        "--cascades", FACEGENDER_CASCADE_DIR, "--classes", "male,female", "--threads",
      "2"};
}

TEST(PrepareCommand, WritesDatasetGzipAndReports) {
  TempDir dir;
  write_fixture(dir);
  fs::create_directories(dir / "out");
  std::vector<std::string> args = base_args(dir);
  args.insert(args.end(),
              {"--compressed", dir / "out/data.fgds.gz", "--report", dir / "out/r.json", "--json"});
  ::testing::internal::CaptureStdout();
  run_cli(args);
  const std::string stdout_text = ::testing::internal::GetCapturedStdout();

  const dataset::PackedDataset data = dataset::read(dir / "out/data.fgds");
  EXPECT_EQ(data.size(), 8u);
  EXPECT_EQ(data.classes, (std::vector<std::string>{"male", "female"}));
  EXPECT_EQ(gunzip(dir / "out/data.fgds.gz"), read_bytes(dir / "out/data.fgds"));

  const nlohmann::json printed = nlohmann::json::parse(stdout_text);  // --json: only JSON
  EXPECT_EQ(printed.at("kept"), 8);
  EXPECT_EQ(printed.at("dropped_by_reason").at("not_an_image"), 1);
  EXPECT_EQ(printed.at("outputs").at("dataset").at("bytes"), fs::file_size(dir / "out/data.fgds"));
  EXPECT_EQ(printed.at("outputs").at("compressed").at("bytes"),
            fs::file_size(dir / "out/data.fgds.gz"));
  const nlohmann::json saved = nlohmann::json::parse(
      std::string(reinterpret_cast<const char*>(read_bytes(dir / "out/r.json").data()),
                  fs::file_size(dir / "out/r.json")));
  EXPECT_EQ(saved.at("counts"), data.report.at("counts"));
  EXPECT_EQ(data.provenance.at("options").at("no_face"), "center");

  const Bytes markdown = read_bytes(dir / "out/data.report.md");
  const std::string md(markdown.begin(), markdown.end());
  EXPECT_NE(md.find("| **kept** |"), std::string::npos) << md;
  EXPECT_NE(md.find("dropped: not_an_image"), std::string::npos) << md;
  EXPECT_NE(md.find("kept via --no-face center"), std::string::npos) << md;
}

TEST(PrepareCommand, UnusableDatasetWritesNothing) {
  TempDir dir;
  write_fixture(dir);
  fs::create_directories(dir / "out");
  std::vector<std::string> args = base_args(dir);
  args[4] = "drop";  // --no-face drop: stripes have no face, nothing is kept
  args.emplace_back("--json");
  ::testing::internal::CaptureStdout();
  EXPECT_THROW(run_cli(args), std::runtime_error);
  const nlohmann::json report = nlohmann::json::parse(::testing::internal::GetCapturedStdout());
  EXPECT_EQ(report.at("dropped_by_reason").at("no_face"), 8);  // the report still says why
  EXPECT_FALSE(fs::exists(dir / "out/data.fgds"));
  EXPECT_FALSE(fs::exists(dir / "out/data.report.md"));
}

// With no face options, prepare cuts faces as the shipped model, the page and
// classify do: BlazeFace's photo preset, the aligned crop, 40 px faces and
// up; `--detector haar` alone keeps the seed's 100 px minimum.
TEST(PrepareCommand, DefaultsAreTheShippedModelsPipeline) {
  TempDir dir;
  const std::vector<std::string> photos = face_photos();
  ASSERT_GE(photos.size(), 4u);
  // Every photo, classes taking turns: enough of each class stays in train.
  for (std::size_t i = 0; i < photos.size(); ++i) {
    const fs::path folder = dir / ("in/Train/" + std::to_string(i % 2));
    fs::create_directories(folder);
    fs::copy_file(photos[i], folder / fs::path(photos[i]).filename());
  }
  fs::create_directories(dir / "out");
  run_cli({dir / "in", "--out", dir / "out/blaze.fgds", "--threads", "1"});
  const dataset::PackedDataset blaze = dataset::read(dir / "out/blaze.fgds");
  const nlohmann::json& options = blaze.provenance.at("options");
  EXPECT_EQ(options.at("detector"), "blazeface");
  EXPECT_EQ(options.at("scene"), "photo");
  EXPECT_EQ(options.at("crop").at("kind"), "aligned");
  EXPECT_EQ(options.at("min_face"), 40);
  EXPECT_GE(blaze.size(), photos.size() / 2);
  EXPECT_NEAR(options.at("model_crop").at("scale").get<double>(), AlignSpec{}.scale, 1e-9);

  // --crop-scale: another square than the default, recorded as what the
  // model's crop must be.
  const double wider = AlignSpec{}.scale + 1.0;
  run_cli({dir / "in", "--out", dir / "out/wide.fgds", "--threads", "1", "--crop-scale",
           std::to_string(wider)});
  const dataset::PackedDataset wide = dataset::read(dir / "out/wide.fgds");
  EXPECT_NEAR(wide.provenance.at("options").at("model_crop").at("scale").get<double>(), wider,
              1e-6);
  EXPECT_EQ(wide.size(), blaze.size());
  EXPECT_NE(wide.pixels, blaze.pixels);

  run_cli({dir / "in", "--out", dir / "out/haar.fgds", "--threads", "1", "--detector", "haar",
           "--cascades", FACEGENDER_CASCADE_DIR});
  EXPECT_EQ(dataset::read(dir / "out/haar.fgds").provenance.at("options").at("min_face"), 100);
}

TEST(PrepareCommand, RefusesBadArguments) {
  TempDir dir;
  write_fixture(dir);
  EXPECT_THROW(run_cli({dir / "in"}), CLI::ParseError);               // no --out
  EXPECT_THROW(run_cli({"--out", dir / "x.fgds"}), CLI::ParseError);  // no input
  EXPECT_THROW(run_cli({dir / "in", "--labels", dir / "l.csv", "--out", dir / "x.fgds"}),
               CLI::ParseError);  // both inputs
  EXPECT_THROW(run_cli({dir / "in", "--out", dir / "x.fgds", "--no-face", "maybe"}),
               CLI::ParseError);
  EXPECT_THROW(run_cli({dir / "in", "--out", dir / "x.fgds", "--pad", "2"}), CLI::ParseError);
  EXPECT_THROW(run_cli({dir / "in", "--out", dir / "x.fgds", "--crop-scale", "1"}),
               CLI::ParseError);
}

}  // namespace
}  // namespace facegender::testing
