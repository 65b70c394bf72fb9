// Listing inputs: the seed's folder layout, labels CSVs, class names, and
// bad input (missing columns, unknown labels, broken rows).
#include "prepare/inputs.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "fixtures.hpp"

namespace facegender::testing {
namespace {

using prepare::CsvInput;
using prepare::InputItem;
using prepare::InputSet;
using prepare::Origin;
using prepare::Reason;

const InputItem& item_named(const InputSet& set, const std::string& source) {
  for (const InputItem& item : set.items) {
    if (item.source == source) return item;
  }
  throw std::runtime_error("no input " + source);
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Csv, ParsesQuotesCrLfBomAndBlankLines) {
  const std::string text =
      "\xEF\xBB\xBFpath,label\r\n\"a, b.jpg\",1\r\n\r\n\"say \"\"hi\"\".png\",0\nlast.jpg,\n";
  const auto rows = prepare::parse_csv(text, "t.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"path", "label"}));
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"a, b.jpg", "1"}));
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"say \"hi\".png", "0"}));
  EXPECT_EQ(rows[2].line, 4u);
  EXPECT_EQ(rows[3].fields, (std::vector<std::string>{"last.jpg", ""}));
}

TEST(Csv, UnterminatedQuoteNamesFileAndLine) {
  const std::string message =
      error_of([] { prepare::parse_csv("path,label\nok.jpg,1\n\"broken.jpg,1\n", "x.csv"); });
  EXPECT_NE(message.find("x.csv:3"), std::string::npos) << message;
  EXPECT_NE(message.find("unterminated"), std::string::npos) << message;
}

TEST(CsvInputs, UtkFaceStyleColumnsWithClassNames) {
  TempDir dir;
  write_text(dir / "labels.csv",
             "path,gender,age,race,sha256,gender_conflict\n"
             "UTK/b.jpg,1,30,2,ABCDEF,0\n"
             "UTK/a.jpg,0,5,,,0\n"
             "UTK/c.jpg,female,70,4,,0\n"
             "UTK/d.jpg,7,1,1,,0\n"
             "UTK/e.jpg,0,1\n");
  CsvInput csv{dir / "labels.csv", "gender", {"male", "female"}, std::nullopt};
  const InputSet set = prepare::list_csv_inputs(csv);
  EXPECT_EQ(set.kind, "csv");
  EXPECT_EQ(set.classes, (std::vector<std::string>{"male", "female"}));
  ASSERT_EQ(set.items.size(), 5u);
  EXPECT_EQ(set.items[0].source, "UTK/a.jpg");                        // sorted by source
  EXPECT_EQ(set.items[0].path, (dir.path() / "UTK/a.jpg").string());  // relative to the CSV
  const InputItem& a = item_named(set, "UTK/a.jpg");
  EXPECT_EQ(a.label, 0);
  EXPECT_EQ(a.age, 5);
  EXPECT_FALSE(a.race.has_value());
  EXPECT_EQ(a.origin, Origin::Hash);
  const InputItem& b = item_named(set, "UTK/b.jpg");
  EXPECT_EQ(b.label, 1);
  EXPECT_EQ(b.race, 2);
  EXPECT_EQ(b.expected_sha256, "abcdef");
  EXPECT_EQ(item_named(set, "UTK/c.jpg").label, 1);  // by name
  const InputItem& d = item_named(set, "UTK/d.jpg");
  EXPECT_EQ(d.problem, Reason::BadLabel);
  EXPECT_NE(d.problem_detail.find("labels.csv:5"), std::string::npos) << d.problem_detail;
  EXPECT_NE(d.problem_detail.find("'7'"), std::string::npos) << d.problem_detail;
  EXPECT_EQ(item_named(set, "UTK/e.jpg").problem, Reason::BadRow);
}

TEST(CsvInputs, DefaultClassesAreTheLabelValuesInNumericOrder) {
  TempDir dir;
  write_text(dir / "l.csv", "path,y\na.jpg,10\nb.jpg,2\nc.jpg,2\nd.jpg,?\n");
  const InputSet set = prepare::list_csv_inputs({dir / "l.csv", "y", {}, std::string("?")});
  EXPECT_EQ(set.classes, (std::vector<std::string>{"2", "10"}));
  EXPECT_EQ(item_named(set, "a.jpg").label, 1);
  EXPECT_EQ(item_named(set, "b.jpg").label, 0);
  const InputItem& ambiguous = item_named(set, "d.jpg");
  EXPECT_TRUE(ambiguous.eval_only);
  EXPECT_EQ(ambiguous.label, -1);
  EXPECT_FALSE(ambiguous.problem.has_value());
}

TEST(CsvInputs, MissingColumnOrFileIsAnErrorNamingIt) {
  TempDir dir;
  write_text(dir / "l.csv", "path,sex\na.jpg,0\n");
  std::string message = error_of([&] {
    prepare::list_csv_inputs({dir / "l.csv", "gender", {}, {}});
  });
  EXPECT_NE(message.find(dir / "l.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("no column 'gender'"), std::string::npos) << message;
  EXPECT_NE(message.find("path, sex"), std::string::npos) << message;  // lists what is there
  write_text(dir / "nopath.csv", "file,gender\na.jpg,0\n");
  message = error_of([&] { prepare::list_csv_inputs({dir / "nopath.csv", "gender", {}, {}}); });
  EXPECT_NE(message.find("no column 'path'"), std::string::npos) << message;
  message = error_of([&] { prepare::list_csv_inputs({dir / "absent.csv", "gender", {}, {}}); });
  EXPECT_NE(message.find(dir / "absent.csv"), std::string::npos) << message;
  write_text(dir / "header_only.csv", "path,gender\n");
  message = error_of([&] {
    prepare::list_csv_inputs({dir / "header_only.csv", "gender", {}, {}});
  });
  EXPECT_NE(message.find("no rows"), std::string::npos) << message;
}

TEST(FolderInputs, SeedLayoutWithAmbiguousFolders) {
  TempDir dir;
  for (const char* file : {"Train/0/a.png", "Train/1/b.png", "Eval/0/c.png", "Eval/1/d.png",
                           "ambiguous/e.png", "Eval/ambiguous/1/f.png", "Train/1/ambiguous/g.png",
                           "Train/loose.png", "Train/.hidden/h.png", "notes.txt"}) {
    write_text(dir / file, "x");
  }
  const InputSet set = prepare::list_folder_inputs(dir.path().string(), {});
  EXPECT_EQ(set.classes, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(set.items.size(), 8u);  // not the hidden folder, not loose files in DIR
  EXPECT_EQ(item_named(set, "Train/0/a.png").origin, Origin::TrainFolder);
  EXPECT_EQ(item_named(set, "Eval/1/d.png").origin, Origin::EvalFolder);
  EXPECT_EQ(item_named(set, "Eval/1/d.png").label, 1);
  const InputItem& e = item_named(set, "ambiguous/e.png");
  EXPECT_TRUE(e.eval_only);
  EXPECT_EQ(e.label, -1);
  const InputItem& f = item_named(set, "Eval/ambiguous/1/f.png");
  EXPECT_TRUE(f.eval_only);
  EXPECT_EQ(f.label, 1);
  EXPECT_TRUE(item_named(set, "Train/1/ambiguous/g.png").eval_only);
  EXPECT_EQ(item_named(set, "Train/loose.png").problem, Reason::BadLabel);
}

TEST(FolderInputs, ClassNamesMapFoldersByIndexOrName) {
  TempDir dir;
  for (const char* file : {"Train/male/a.png", "Train/1/b.png", "Eval/dog/c.png"}) {
    write_text(dir / file, "x");
  }
  const InputSet set = prepare::list_folder_inputs(dir.path().string(), {"male", "female"});
  EXPECT_EQ(item_named(set, "Train/male/a.png").label, 0);
  EXPECT_EQ(item_named(set, "Train/1/b.png").label, 1);
  const InputItem& dog = item_named(set, "Eval/dog/c.png");
  EXPECT_EQ(dog.problem, Reason::BadLabel);
  EXPECT_NE(dog.problem_detail.find("'dog'"), std::string::npos);
}

TEST(FolderInputs, WrongLayoutIsAnErrorNamingTheFolder) {
  TempDir dir;
  write_text(dir / "photos/a.jpg", "x");
  std::string message = error_of([&] { prepare::list_folder_inputs(dir / "photos", {}); });
  EXPECT_NE(message.find(dir / "photos"), std::string::npos) << message;
  EXPECT_NE(message.find("Train/"), std::string::npos) << message;
  message = error_of([&] { prepare::list_folder_inputs(dir / "nowhere", {}); });
  EXPECT_NE(message.find("no such folder"), std::string::npos) << message;
}

// Regression: "../../../etc/passwd" in a labels CSV was opened.
TEST(CsvInputs, PathsOutsideTheCsvFolderAreRefusedUnlessAllowed) {
  TempDir dir;
  write_text(dir / "l.csv",
             "path,gender\nok/a.jpg,0\nok/../b.jpg,1\n../../../etc/passwd,0\n"
             "/etc/shadow,1\n");
  CsvInput csv{dir / "l.csv", "gender", {}, {}};
  const std::string message = error_of([&] { prepare::list_csv_inputs(csv); });
  EXPECT_NE(message.find(dir / "l.csv:4"), std::string::npos) << message;
  EXPECT_NE(message.find("../../../etc/passwd"), std::string::npos) << message;
  EXPECT_NE(message.find("2 rows"), std::string::npos) << message;
  EXPECT_NE(message.find("--allow-outside-paths"), std::string::npos) << message;
  csv.allow_outside_paths = true;
  EXPECT_EQ(prepare::list_csv_inputs(csv).items.size(), 4u);
}

// Regression: without --classes, " 1", "2" and "x" made a 5-class dataset.
TEST(CsvInputs, LabelValuesAreTrimmedAndImplausibleClassSetsRefused) {
  TempDir dir;
  std::string rows = "path,gender\n";
  for (int i = 0; i < 200; ++i) {
    rows.append("a").append(std::to_string(i)).append(i % 2 ? ".jpg, 1\n" : ".jpg,0 \n");
  }
  write_text(dir / "spaces.csv", rows);
  const InputSet trimmed = prepare::list_csv_inputs({dir / "spaces.csv", "gender", {}, {}});
  EXPECT_EQ(trimmed.classes, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(item_named(trimmed, "a1.jpg").label, 1);

  write_text(dir / "typo.csv", rows + "b.jpg,x\n");
  std::string message = error_of([&] {
    prepare::list_csv_inputs({dir / "typo.csv", "gender", {}, {}});
  });
  EXPECT_NE(message.find(dir / "typo.csv"), std::string::npos) << message;
  EXPECT_NE(message.find("mixes numbers and names"), std::string::npos) << message;
  EXPECT_NE(message.find("--classes"), std::string::npos) << message;

  write_text(dir / "rare.csv", rows + "b.jpg,2\n");
  message = error_of([&] { prepare::list_csv_inputs({dir / "rare.csv", "gender", {}, {}}); });
  EXPECT_NE(message.find("'2', on under 1% of the rows"), std::string::npos) << message;

  // Naming the classes settles it: the odd rows are counted as bad labels.
  const InputSet named = prepare::list_csv_inputs({dir / "typo.csv", "gender", {"0", "1"}, {}});
  EXPECT_EQ(named.classes.size(), 2u);
  EXPECT_EQ(item_named(named, "b.jpg").problem, Reason::BadLabel);
}

}  // namespace
}  // namespace facegender::testing
