#include "train/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

namespace facegender {

int age_band(std::optional<int> age) {
  if (!age || *age < 0) return -1;
  constexpr int upper[] = {10, 18, 30, 45, 60};
  for (int band = 0; band < 5; ++band)
    if (*age < upper[band]) return band;
  return 5;
}

std::string balance_cell(const dataset::Record& record, int dataset_index) {
  std::string key = std::to_string(dataset_index);
  key.append("/").append(std::to_string(record.label));
  key.append("/").append(std::to_string(age_band(record.age)));
  key.append("/").append(record.race ? std::to_string(*record.race) : "-");
  return key;
}

std::vector<std::size_t> without_younger(const std::vector<dataset::Record>& records,
                                         const std::vector<std::size_t>& pool, int min_age) {
  if (min_age < 0)
    throw std::invalid_argument("--min-age must be >= 0, got " + std::to_string(min_age));
  std::vector<std::size_t> kept;
  kept.reserve(pool.size());
  for (std::size_t i : pool) {
    const std::optional<int>& age = records.at(i).age;
    if (!age || *age >= min_age) kept.push_back(i);
  }
  return kept;
}

DatasetShare dataset_share_from_string(const std::string& text) {
  if (text == "cells") return DatasetShare::Cells;
  if (text == "faces") return DatasetShare::Faces;
  throw std::invalid_argument("--dataset-share must be cells or faces, got \"" + text + "\"");
}

std::vector<double> dataset_shares(const std::vector<int>& dataset_of,
                                   const std::vector<std::size_t>& pool,
                                   const std::vector<double>& weights) {
  if (weights.size() != pool.size())
    throw std::invalid_argument("dataset_shares: one weight per face of the pool is needed");
  std::vector<double> shares;
  for (std::size_t k = 0; k < pool.size(); ++k) {
    const auto dataset = static_cast<std::size_t>(dataset_of.at(pool[k]));
    if (shares.size() <= dataset) shares.resize(dataset + 1, 0.0);
    shares[dataset] += weights[k];
  }
  return shares;
}

std::vector<double> balance_weights(const std::vector<dataset::Record>& records,
                                    const std::vector<int>& dataset_of,
                                    const std::vector<std::size_t>& pool, double power,
                                    DatasetShare share) {
  if (!std::isfinite(power) || power < 0)
    throw std::invalid_argument("--balance must be a finite power >= 0, got " +
                                std::to_string(power));
  if (pool.empty()) throw std::invalid_argument("balance_weights: the pool is empty");
  std::unordered_map<std::string, std::size_t> count;
  std::vector<std::string> cells;
  cells.reserve(pool.size());
  for (std::size_t i : pool) {
    cells.push_back(balance_cell(records.at(i), dataset_of.at(i)));
    ++count[cells.back()];
  }
  std::vector<double> weights;
  weights.reserve(pool.size());
  for (const std::string& cell : cells)
    weights.push_back(std::pow(static_cast<double>(count[cell]), -power));
  if (share == DatasetShare::Faces) {
    // Scale each dataset's weights so that its total is its count of faces.
    const std::vector<double> totals = dataset_shares(dataset_of, pool, weights);
    std::vector<double> faces(totals.size(), 0.0);
    for (std::size_t i : pool) faces[static_cast<std::size_t>(dataset_of[i])] += 1.0;
    for (std::size_t k = 0; k < pool.size(); ++k) {
      const auto dataset = static_cast<std::size_t>(dataset_of[pool[k]]);
      weights[k] *= faces[dataset] / totals[dataset];
    }
  }
  double total = 0;
  for (double w : weights) total += w;
  for (double& w : weights) w /= total;
  return weights;
}

Sampler::Sampler(std::vector<std::size_t> pool, std::uint64_t seed, std::vector<double> weights)
    : pool_(std::move(pool)), seed_(seed), use_weights_(!weights.empty()) {
  if (use_weights_) {
    if (weights.size() != pool_.size())
      throw std::invalid_argument("Sampler: one weight per face of the pool is needed");
    weighted_ = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
  }
}

std::vector<std::size_t> Sampler::batch(std::int64_t step, int size) {
  std::vector<std::size_t> out;
  out.reserve(static_cast<std::size_t>(size));
  if (use_weights_) {
    std::seed_seq seq{seed_, static_cast<std::uint64_t>(step), std::uint64_t{0xba1a}};
    std::mt19937_64 rng(seq);
    auto draw = weighted_;  // its state is the parameters only; a copy per step keeps it pure
    for (int j = 0; j < size; ++j) out.push_back(pool_[draw(rng)]);
    return out;
  }
  const auto n = static_cast<std::int64_t>(pool_.size());
  std::shared_ptr<const std::vector<std::size_t>> order;
  std::int64_t order_epoch = -1;
  for (int j = 0; j < size; ++j) {
    const std::int64_t global = step * size + j;
    if (global / n != order_epoch) {
      order_epoch = global / n;
      order = permutation(order_epoch);
    }
    out.push_back((*order)[static_cast<std::size_t>(global % n)]);
  }
  return out;
}

std::shared_ptr<const std::vector<std::size_t>> Sampler::permutation(std::int64_t epoch) {
  std::lock_guard lock(mutex_);
  auto found = epochs_.find(epoch);
  if (found == epochs_.end()) {
    std::vector<std::size_t> order = pool_;
    std::seed_seq seq{seed_, static_cast<std::uint64_t>(epoch), std::uint64_t{0x5eed}};
    std::mt19937_64 rng(seq);
    std::shuffle(order.begin(), order.end(), rng);
    auto shuffled = std::make_shared<const std::vector<std::size_t>>(std::move(order));
    epochs_.emplace(epoch, shuffled);
    // Keep a few recent epochs; the one just made may be the oldest.
    while (epochs_.size() > 3) epochs_.erase(epochs_.begin());
    return shuffled;
  }
  return found->second;
}

}  // namespace facegender
