// Which training faces each step sees. Torch-free, so it is tested on its own.
//
// Balance: every training face falls in a cell (dataset x class x age band x
// race, the last two only where the source records them) and is drawn with
// weight count(cell)^-power. power 0 is plain shuffled epochs; 1 gives every
// cell the same share; 0.5 (the default) lifts rare groups without repeating
// their few faces as often as full balance would.
//
// Datasets record different fields (UTKFace has age and race, the CelebA
// crops neither), so they split into very different numbers of cells. With
// DatasetShare::Cells every cell of every dataset is weighed together, and a
// dataset of few cells gets few draws; with DatasetShare::Faces each dataset
// gets the share of draws its faces have of the pool, and the power balances
// the cells within it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "dataset/packed_dataset.hpp"

namespace facegender {

// The age bands used for balance and for eval's per-age figures:
// 0-9, 10-17, 18-29, 30-44, 45-59, 60+; -1 when the age is unknown.
int age_band(std::optional<int> age);
inline constexpr int kAgeBands = 6;

// The cell of a record: equal keys share a cell.
std::string balance_cell(const dataset::Record& record, int dataset_index);

// `pool` without the faces whose recorded age is below `min_age` (faces
// without an age stay): a run can leave out young children, whose apparent
// gender the labels often do not show. Throws std::invalid_argument when
// min_age is negative.
std::vector<std::size_t> without_younger(const std::vector<dataset::Record>& records,
                                         const std::vector<std::size_t>& pool, int min_age);

// How the datasets of one run share the draws (above).
enum class DatasetShare { Cells, Faces };

// The share by its name on the command line ("cells", "faces"). Throws
// std::invalid_argument naming the text when it is neither.
DatasetShare dataset_share_from_string(const std::string& text);

// Draw weights for `pool` (indices into `records`), summing to 1. Throws
// std::invalid_argument when power is negative or not finite, or the pool is empty.
std::vector<double> balance_weights(const std::vector<dataset::Record>& records,
                                    const std::vector<int>& dataset_of,
                                    const std::vector<std::size_t>& pool, double power,
                                    DatasetShare share = DatasetShare::Cells);

// Each dataset's share of `weights` (one per face of `pool`), indexed by dataset.
std::vector<double> dataset_shares(const std::vector<int>& dataset_of,
                                   const std::vector<std::size_t>& pool,
                                   const std::vector<double>& weights);

// The faces of each step follow from (seed, step) alone, so a resumed run
// sees exactly the batches the first run would have. Without weights: a new
// shuffle of the pool each epoch. With weights: each face drawn independently.
class Sampler {
 public:
  Sampler(std::vector<std::size_t> pool, std::uint64_t seed, std::vector<double> weights = {});
  std::vector<std::size_t> batch(std::int64_t step, int size);

 private:
  // Shared, so an epoch a loader thread still reads survives its eviction.
  std::shared_ptr<const std::vector<std::size_t>> permutation(std::int64_t epoch);

  std::vector<std::size_t> pool_;
  std::uint64_t seed_;
  std::discrete_distribution<std::size_t> weighted_;
  bool use_weights_;
  std::mutex mutex_;
  std::map<std::int64_t, std::shared_ptr<const std::vector<std::size_t>>> epochs_;
};

}  // namespace facegender
