// edgetf: the streaming keyword recognizer behind <name>_push_samples.
//
// Hand-written and the same in every library. Each model run's int8 scores go in with
// the stream time; a keyword comes out when the scores averaged over the last
// `average_window_ms` put one label above the threshold, with at least `minimum_count`
// runs spanning a quarter of the window, and that label differs from the last one
// reported or `suppression_ms` have passed since (TFLM micro_speech's rules). Integer
// only ("average > threshold" is "sum > threshold * count"), so edgetf's Python twin
// (edgetf/features/streaming.py) agrees with it bit for bit; its tests compile this
// header with the host compiler. Needs nothing but the C++ standard library: no TFLM,
// no heap (the history is a fixed array).
#ifndef EDGETF_RECOGNIZE_H_
#define EDGETF_RECOGNIZE_H_

#include <cstddef>
#include <cstdint>

#include "edgetf_library.h"

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {

template <int kLabels, int kHistory>
class Recognizer {
 public:
  constexpr Recognizer(int32_t average_window_ms, int32_t threshold_q, int32_t suppression_ms,
             int minimum_count)
      : window_ms_(average_window_ms), threshold_q_(threshold_q),
        suppression_ms_(suppression_ms), minimum_count_(minimum_count) {}

  void Reset() {
    count_ = 0;
    first_ = 0;
    last_label_ = -1;
    last_time_ = 0;
  }

  // One run's scores at `time_ms` (non-decreasing). Returns true when a new keyword is
  // reported: its label, its average score in int8 steps, and the time.
  bool Process(const int8_t* scores, uint32_t time_ms, int* label, float* average_q) {
    if (count_ == kHistory) Drop();
    const int slot = (first_ + count_) % kHistory;
    times_[slot] = time_ms;
    for (int i = 0; i < kLabels; ++i) scores_[slot][i] = scores[i];
    ++count_;
    while (count_ > 0 && static_cast<int64_t>(times_[first_]) <
                             static_cast<int64_t>(time_ms) - window_ms_) {
      Drop();
    }
    if (count_ < minimum_count_ ||
        static_cast<int64_t>(time_ms) - times_[first_] < window_ms_ / 4) {
      return false;
    }
    int best = 0;
    int32_t best_sum = 0;
    for (int i = 0; i < kLabels; ++i) {
      int32_t sum = 0;
      for (int r = 0; r < count_; ++r) sum += scores_[(first_ + r) % kHistory][i];
      if (i == 0 || sum > best_sum) {
        best = i;
        best_sum = sum;
      }
    }
    if (best_sum <= threshold_q_ * count_) return false;
    if (best == last_label_ &&
        static_cast<int64_t>(time_ms) - last_time_ <= suppression_ms_) {
      return false;
    }
    last_label_ = best;
    last_time_ = time_ms;
    *label = best;
    *average_q = static_cast<float>(best_sum) / static_cast<float>(count_);
    return true;
  }

  // RAM this recognizer takes, for the footprint (edgetf's firmware_contract counts it
  // as kHistory * (kLabels + 4) bytes plus a few words).
  static constexpr std::size_t kBytes = kHistory * (kLabels + 4);

 private:
  void Drop() {
    first_ = (first_ + 1) % kHistory;
    --count_;
  }

  int8_t scores_[kHistory][kLabels] = {};
  uint32_t times_[kHistory] = {};
  int first_ = 0;
  int count_ = 0;
  int last_label_ = -1;
  uint32_t last_time_ = 0;
  int32_t window_ms_;
  int32_t threshold_q_;
  int32_t suppression_ms_;
  int minimum_count_;
};

}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

#endif  // EDGETF_RECOGNIZE_H_
