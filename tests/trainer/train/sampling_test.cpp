// Balanced sampling and training on several datasets.
#include "train/sampling.hpp"

#include <gtest/gtest.h>

#include <map>

#include "common/files.hpp"
#include "synthetic_data.hpp"
#include "train/training_data.hpp"

namespace facegender {
namespace {

dataset::Record record(int label, std::optional<int> age, std::optional<int> race) {
  dataset::Record r;
  r.label = label;
  r.age = age;
  r.race = race;
  return r;
}

TEST(Sampling, AgeBandsAreTheReportsBands) {
  EXPECT_EQ(age_band(std::nullopt), -1);
  EXPECT_EQ(age_band(0), 0);
  EXPECT_EQ(age_band(9), 0);
  EXPECT_EQ(age_band(10), 1);
  EXPECT_EQ(age_band(17), 1);
  EXPECT_EQ(age_band(18), 2);
  EXPECT_EQ(age_band(44), 3);
  EXPECT_EQ(age_band(59), 4);
  EXPECT_EQ(age_band(60), 5);
  EXPECT_EQ(age_band(116), 5);
}

// 900 faces of one cell and 100 of another: power 1 gives each cell half of
// the draws, power 0.5 gives them 3:1 (sqrt 900 : sqrt 100), power 0 9:1.
TEST(Sampling, BalanceSharesFollowThePower) {
  std::vector<dataset::Record> records;
  for (int i = 0; i < 900; ++i) records.push_back(record(0, 30, 0));
  for (int i = 0; i < 100; ++i) records.push_back(record(1, 5, 1));
  const std::vector<int> dataset_of(records.size(), 0);
  std::vector<std::size_t> pool(records.size());
  for (std::size_t i = 0; i < pool.size(); ++i) pool[i] = i;
  for (const auto& [power, rare_share] : {std::pair{1.0, 0.5}, {0.5, 0.25}, {0.0, 0.1}}) {
    const std::vector<double> w = balance_weights(records, dataset_of, pool, power);
    double rare = 0, total = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      total += w[i];
      if (i >= 900) rare += w[i];
    }
    EXPECT_NEAR(total, 1.0, 1e-12);
    EXPECT_NEAR(rare, rare_share, 1e-12) << power;
  }
  // The same faces in another dataset are another cell.
  EXPECT_NE(balance_cell(records[0], 0), balance_cell(records[0], 1));
  EXPECT_NE(balance_cell(record(0, 30, 0), 0), balance_cell(record(0, 30, std::nullopt), 0));
  EXPECT_THROW(balance_weights(records, dataset_of, pool, -1.0), std::invalid_argument);
  EXPECT_THROW(balance_weights(records, dataset_of, {}, 0.5), std::invalid_argument);
}

// Dataset 0: 600 faces in 6 cells of 100 (as UTKFace splits by age and
// race); dataset 1: 400 faces in one cell (as the CelebA crops, no age or
// race). Weighed together at power 1 the lone cell gets 1/7 of the draws;
// shared by faces, dataset 1 gets its 40% and dataset 0's cells stay equal.
TEST(Sampling, DatasetShareByFacesKeepsEachDatasetsShareOfThePool) {
  std::vector<dataset::Record> records;
  std::vector<int> dataset_of;
  for (int cell = 0; cell < 6; ++cell) {
    for (int i = 0; i < 100; ++i) {
      records.push_back(record(cell % 2, 20 * (cell / 2), 0));
      dataset_of.push_back(0);
    }
  }
  for (int i = 0; i < 400; ++i) {
    records.push_back(record(0, std::nullopt, std::nullopt));
    dataset_of.push_back(1);
  }
  std::vector<std::size_t> pool(records.size());
  for (std::size_t i = 0; i < pool.size(); ++i) pool[i] = i;

  const std::vector<double> cells = balance_weights(records, dataset_of, pool, 1.0);
  EXPECT_NEAR(dataset_shares(dataset_of, pool, cells)[1], 1.0 / 7.0, 1e-12);
  const std::vector<double> faces =
      balance_weights(records, dataset_of, pool, 1.0, DatasetShare::Faces);
  const std::vector<double> shares = dataset_shares(dataset_of, pool, faces);
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_NEAR(shares[0], 0.6, 1e-12);
  EXPECT_NEAR(shares[1], 0.4, 1e-12);
  EXPECT_NEAR(faces[0], faces[599], 1e-15);  // equal cells within dataset 0
  // Power 0 shared by faces is every face alike, as plain epochs draw them.
  for (double w : balance_weights(records, dataset_of, pool, 0.0, DatasetShare::Faces))
    EXPECT_NEAR(w, 1.0 / 1000.0, 1e-15);

  EXPECT_EQ(dataset_share_from_string("faces"), DatasetShare::Faces);
  EXPECT_EQ(dataset_share_from_string("cells"), DatasetShare::Cells);
  EXPECT_THROW(dataset_share_from_string("datasets"), std::invalid_argument);
  EXPECT_THROW(dataset_shares(dataset_of, pool, {1.0}), std::invalid_argument);
}

TEST(Sampling, MinAgeLeavesOutYoungerFacesAndKeepsThoseWithoutAnAge) {
  const std::vector<dataset::Record> records = {record(0, 4, 0), record(1, 9, 1), record(0, 10, 2),
                                                record(1, std::nullopt, 0),
                                                record(0, 60, std::nullopt)};
  const std::vector<std::size_t> pool = {0, 1, 2, 3, 4};
  EXPECT_EQ(without_younger(records, pool, 10), (std::vector<std::size_t>{2, 3, 4}));
  EXPECT_EQ(without_younger(records, pool, 0), pool);
  EXPECT_EQ(without_younger(records, {1, 4}, 61), (std::vector<std::size_t>{}));
  EXPECT_THROW(without_younger(records, pool, -1), std::invalid_argument);
}

TEST(Sampling, WeightedBatchesFollowTheWeightsAndTheStepAlone) {
  std::vector<std::size_t> pool = {10, 20, 30};
  Sampler sampler(pool, 7, {0.5, 0.25, 0.25});
  std::map<std::size_t, int> seen;
  for (int step = 0; step < 400; ++step)
    for (std::size_t i : sampler.batch(step, 50)) ++seen[i];
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_NEAR(seen[10] / 20000.0, 0.5, 0.02);
  EXPECT_NEAR(seen[30] / 20000.0, 0.25, 0.02);
  // A resumed run (a new sampler) sees the very same batch for a step.
  Sampler again(pool, 7, {0.5, 0.25, 0.25});
  EXPECT_EQ(again.batch(123, 50), sampler.batch(123, 50));
  EXPECT_NE(sampler.batch(124, 50), sampler.batch(123, 50));
  EXPECT_THROW(Sampler(pool, 7, {1.0}), std::invalid_argument);
}

TEST(Sampling, UnweightedBatchesAreShuffledEpochs) {
  std::vector<std::size_t> pool(30);
  for (std::size_t i = 0; i < pool.size(); ++i) pool[i] = i;
  Sampler sampler(pool, 3);
  std::vector<int> count(30, 0);
  for (int step = 0; step < 3; ++step)
    for (std::size_t i : sampler.batch(step, 10)) ++count[i];
  for (int c : count) EXPECT_EQ(c, 1);  // one epoch: every face once
}

TEST(TrainingData, SeveralDatasetsBecomeOneAndRememberTheirSource) {
  testing::TempDir dir;
  const dataset::PackedDataset a = testing::stripes_dataset(20, 1);
  const dataset::PackedDataset b = testing::stripes_dataset(30, 2);
  dataset::write(a, dir / "a.fgds");
  dataset::write(b, dir / "b.fgds");
  const TrainingData both = load_training_data({dir / "a.fgds", dir / "b.fgds"});
  ASSERT_EQ(both.data.size(), a.size() + b.size());
  EXPECT_EQ(both.dataset_of.front(), 0);
  EXPECT_EQ(both.dataset_of.back(), 1);
  EXPECT_EQ(both.data.pixels.size(), a.pixels.size() + b.pixels.size());
  // The first face of b is where a ends.
  const auto face = both.data.face(a.size());
  EXPECT_TRUE(std::equal(face.begin(), face.end(), b.face(0).begin()));

  dataset::PackedDataset other_classes = b;
  other_classes.classes = {"cat", "dog"};
  dataset::write(other_classes, dir / "c.fgds");
  try {
    load_training_data({dir / "a.fgds", dir / "c.fgds"});
    FAIL() << "datasets with other classes were merged";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("c.fgds"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("classes"), std::string::npos) << e.what();
  }
  dataset::PackedDataset other_crop = b;
  other_crop.provenance["options"]["detector"] = "blazeface";
  dataset::write(other_crop, dir / "d.fgds");
  EXPECT_THROW(load_training_data({dir / "a.fgds", dir / "d.fgds"}), std::runtime_error);
  EXPECT_THROW(load_training_data({}), std::runtime_error);
}

}  // namespace
}  // namespace facegender
