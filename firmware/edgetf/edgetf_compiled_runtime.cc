// edgetf compiled runtime: the C API of <name>_inferencing.h over the model compiled to
// straight-line kernel calls (compiled_program.cc, generated), without TFLM's interpreter.
//
// Shipped only in libraries emitted with --runtime compiled, in place of
// edgetf_runtime.cc; the same functions, the same golden vectors (recorded by the TFLM
// interpreter in Python), the same status codes. What differs: there is no flatbuffer to
// parse and no tensor to allocate, so init only checks that the arena holds the static
// memory plan (<name>_compiled_arena_bytes()), and arena_used_bytes() is that plan.
// Portable like edgetf_runtime.cc: the C++ standard library and the generated program only.
#include "edgetf_library.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>

#ifndef EDGETF_HAVE_STD_CHRONO
#define EDGETF_HAVE_STD_CHRONO 1
#endif
#if EDGETF_HAVE_STD_CHRONO
#include <chrono>
#endif

#include "edgetf.h"
#include "golden_vectors.h"
#include "model_metadata.h"
#include "model_types.h"

#ifndef EDGETF_SELF_TEST_TOLERANCE
#define EDGETF_SELF_TEST_TOLERANCE 0
#endif
#ifndef EDGETF_SELF_TEST_FLOAT_TOLERANCE
#define EDGETF_SELF_TEST_FLOAT_TOLERANCE 1e-4
#endif

static_assert(EDGETF_ARENA_BYTES % 16 == 0, "EDGETF_ARENA_BYTES must be a multiple of 16");

// The generated program (compiled_program.cc), with this library's prefix.
extern "C" {
size_t EDGETF_API(compiled_arena_bytes)(void);
void* EDGETF_API(compiled_input)(uint8_t* arena, int index);
void* EDGETF_API(compiled_output)(uint8_t* arena, int index);
int EDGETF_API(compiled_run)(uint8_t* arena);
}

namespace {

namespace md = edgetf::metadata;
namespace golden = edgetf::golden;

#if EDGETF_ARENA_ON_HEAP
uint8_t* g_arena = nullptr;
#else
alignas(16) uint8_t g_arena_storage[EDGETF_ARENA_BYTES];
uint8_t* const g_arena = g_arena_storage;
#endif

bool g_ready = false;
edgetf_mismatch g_mismatch = {0, 0, 0, 0.0, 0.0};
bool g_has_mismatch = false;
uint32_t (*g_clock)(void) = nullptr;

uint32_t NowMicros() {
  if (g_clock != nullptr) return g_clock();
#if EDGETF_HAVE_STD_CHRONO
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now).count());
#else
  return 0;
#endif
}

void* Input(std::size_t i) { return EDGETF_API(compiled_input)(g_arena, static_cast<int>(i)); }
void* Output(std::size_t i) {
  return EDGETF_API(compiled_output)(g_arena, static_cast<int>(i));
}

double ValueAt(const void* data, edgetf_type type, std::size_t i) {
  switch (type) {
    case EDGETF_FLOAT32: return static_cast<const float*>(data)[i];
    case EDGETF_INT32: return static_cast<const int32_t*>(data)[i];
    case EDGETF_UINT8: return static_cast<const uint8_t*>(data)[i];
    case EDGETF_INT64: return static_cast<double>(static_cast<const int64_t*>(data)[i]);
    case EDGETF_BOOL: return static_cast<const bool*>(data)[i] ? 1.0 : 0.0;
    case EDGETF_INT16: return static_cast<const int16_t*>(data)[i];
    case EDGETF_INT8: return static_cast<const int8_t*>(data)[i];
  }
  return 0.0;
}

bool Differs(double expected, double actual, edgetf_type type) {
  const double difference = std::fabs(expected - actual);
  if (type == EDGETF_FLOAT32) {
    const double magnitude = std::fabs(expected) > 1.0 ? std::fabs(expected) : 1.0;
    return !(difference <= EDGETF_SELF_TEST_FLOAT_TOLERANCE * magnitude);  // NaN differs
  }
  return difference > EDGETF_SELF_TEST_TOLERANCE;
}

// As edgetf_runtime.cc: round half away from zero, saturate, NaN to the lowest value.
template <typename T>
void QuantizeInto(const float* values, std::size_t count, float scale, int32_t zero_point,
                  T* out) {
  constexpr float kLowest = static_cast<float>(std::numeric_limits<T>::lowest());
  constexpr float kHighest = static_cast<float>(std::numeric_limits<T>::max());
  for (std::size_t i = 0; i < count; ++i) {
    float q = scale == 0.0f ? std::round(values[i])
                            : std::round(values[i] / scale) + static_cast<float>(zero_point);
    q = q > kLowest ? (q < kHighest ? q : kHighest) : kLowest;
    out[i] = static_cast<T>(q);
  }
}

int WriteInput(const float* input, void* data, const edgetf::TensorSpec& spec) {
  switch (spec.type) {
    case EDGETF_FLOAT32:
      std::memcpy(data, input, spec.bytes);
      return EDGETF_OK;
    case EDGETF_INT8:
      QuantizeInto(input, spec.elements, spec.scale, spec.zero_point,
                   static_cast<int8_t*>(data));
      return EDGETF_OK;
    case EDGETF_INT16:
      QuantizeInto(input, spec.elements, spec.scale, spec.zero_point,
                   static_cast<int16_t*>(data));
      return EDGETF_OK;
    default:
      return EDGETF_ERROR_TYPE;
  }
}

float Dequantized(const void* data, const edgetf::TensorSpec& spec, std::size_t i) {
  const double raw = ValueAt(data, spec.type, i);
  if (spec.type == EDGETF_FLOAT32 || spec.scale == 0.0f) return static_cast<float>(raw);
  return static_cast<float>((raw - spec.zero_point) * spec.scale);
}

int RunTimed(uint32_t* microseconds) {
  const uint32_t start = NowMicros();
  const int failed_step = EDGETF_API(compiled_run)(g_arena);
  if (microseconds != nullptr) *microseconds = NowMicros() - start;
  return failed_step == 0 ? EDGETF_OK : EDGETF_ERROR_INVOKE;
}

int CountDifferences(int v, std::size_t o) {
  const edgetf::TensorSpec& spec = md::kOutputs[o];
  const edgetf::GoldenTensor& expected = golden::kOutputs[o];
  const void* actual = Output(o);
  const std::size_t offset = static_cast<std::size_t>(v) * expected.elements;
  int differences = 0;
  for (std::size_t i = 0; i < expected.elements; ++i) {
    const double want = ValueAt(expected.data, spec.type, offset + i);
    const double got = ValueAt(actual, spec.type, i);
    if (!Differs(want, got, spec.type)) continue;
    if (!g_has_mismatch) {
      g_mismatch = {v, static_cast<int>(o), i, want, got};
      g_has_mismatch = true;
    }
    ++differences;
  }
  return differences;
}

}  // namespace

extern "C" {

int EDGETF_API(init)(void) {
  if (g_ready) return EDGETF_OK;
  // The static plan is exact: an arena smaller than it cannot work (no allocator
  // message here; the demo prints the status and the figure to raise it to).
  if (EDGETF_ARENA_BYTES < EDGETF_API(compiled_arena_bytes)()) return EDGETF_ERROR_ALLOCATION;
#if EDGETF_ARENA_ON_HEAP && EDGETF_ARENA_IN_PSRAM
  if (g_arena == nullptr) {
    g_arena = static_cast<uint8_t*>(edgetf_platform_alloc_arena(EDGETF_ARENA_BYTES));
    if (g_arena == nullptr) return EDGETF_ERROR_OUT_OF_MEMORY;
  }
#elif EDGETF_ARENA_ON_HEAP
  if (g_arena == nullptr) {
    static uint8_t* block = new (std::nothrow) uint8_t[EDGETF_ARENA_BYTES + 15];
    if (block == nullptr) return EDGETF_ERROR_OUT_OF_MEMORY;
    const std::uintptr_t address = reinterpret_cast<std::uintptr_t>(block);
    g_arena = reinterpret_cast<uint8_t*>((address + 15) & ~static_cast<std::uintptr_t>(15));
  }
#endif
  g_ready = true;
  return EDGETF_OK;
}

int EDGETF_API(self_test)(void) {
  if (!g_ready) return EDGETF_ERROR_NOT_INITIALIZED;
  g_has_mismatch = false;
  if (golden::kVectorCount == 0) return EDGETF_ERROR_NO_GOLDEN;
  int differences = 0;
  for (int v = 0; v < golden::kVectorCount; ++v) {
    for (std::size_t i = 0; i < md::kInputCount; ++i) {
      const edgetf::TensorSpec& spec = md::kInputs[i];
      const auto* data = static_cast<const uint8_t*>(golden::kInputs[i].data);
      std::memcpy(Input(i), data + static_cast<std::size_t>(v) * spec.bytes, spec.bytes);
    }
    if (RunTimed(nullptr) != EDGETF_OK) return EDGETF_ERROR_INVOKE;
    for (std::size_t o = 0; o < md::kOutputCount; ++o) differences += CountDifferences(v, o);
  }
  return differences;
}

int EDGETF_API(self_test_mismatch)(edgetf_mismatch* mismatch) {
  if (g_has_mismatch && mismatch != nullptr) *mismatch = g_mismatch;
  return g_has_mismatch ? 1 : 0;
}

size_t EDGETF_API(arena_used_bytes)(void) {
  return g_ready ? EDGETF_API(compiled_arena_bytes)() : 0;
}

size_t EDGETF_API(arena_size)(void) { return EDGETF_ARENA_BYTES; }

size_t EDGETF_API(input_size)(void) { return md::kInputs[0].elements; }

size_t EDGETF_API(output_size)(void) { return md::kOutputs[0].elements; }

int EDGETF_API(label_count)(void) { return static_cast<int>(md::kLabelCount); }

const char* EDGETF_API(label)(int index) {
  if (index < 0 || static_cast<std::size_t>(index) >= md::kLabelCount) return nullptr;
  return md::kLabels[index];
}

const float* EDGETF_API(sample_input)(void) { return golden::kSampleInput; }

int EDGETF_API(run)(const float* input, size_t input_count, float* scores, size_t score_count,
                    edgetf_result* result) {
  if (!g_ready) return EDGETF_ERROR_NOT_INITIALIZED;
  const edgetf::TensorSpec& in = md::kInputs[0];
  const edgetf::TensorSpec& out = md::kOutputs[0];
  if (input == nullptr || input_count != in.elements) return EDGETF_ERROR_ARGUMENT;
  if (scores != nullptr && score_count != out.elements) return EDGETF_ERROR_ARGUMENT;
  const int written = WriteInput(input, Input(0), in);
  if (written != EDGETF_OK) return written;
  uint32_t microseconds = 0;
  const int ran = RunTimed(&microseconds);
  if (ran != EDGETF_OK) return ran;
  const void* output = Output(0);
  int best = 0;
  float best_score = -std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < out.elements; ++i) {
    const float value = Dequantized(output, out, i);
    if (scores != nullptr) scores[i] = value;
    if (value > best_score) {
      best_score = value;
      best = static_cast<int>(i);
    }
  }
  if (result != nullptr) {
    result->label_index = best;
    result->label = EDGETF_API(label)(best);
    result->score = best_score;
    result->microseconds = microseconds;
  }
  return EDGETF_OK;
}

int EDGETF_API(run_int8)(const int8_t* input, size_t input_count, int8_t* output,
                         size_t output_count, uint32_t* microseconds) {
  if (!g_ready) return EDGETF_ERROR_NOT_INITIALIZED;
  const edgetf::TensorSpec& in = md::kInputs[0];
  const edgetf::TensorSpec& out = md::kOutputs[0];
  if (in.type != EDGETF_INT8 || out.type != EDGETF_INT8) return EDGETF_ERROR_TYPE;
  if (input == nullptr || output == nullptr || input_count != in.elements ||
      output_count != out.elements) {
    return EDGETF_ERROR_ARGUMENT;
  }
  std::memcpy(Input(0), input, in.bytes);
  const int ran = RunTimed(microseconds);
  if (ran != EDGETF_OK) return ran;
  std::memcpy(output, Output(0), out.bytes);
  return EDGETF_OK;
}

void EDGETF_API(set_clock)(uint32_t (*micros)(void)) { g_clock = micros; }

}  // extern "C"
