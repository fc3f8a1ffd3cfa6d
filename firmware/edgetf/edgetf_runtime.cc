// edgetf runtime: the portable wrapper around TFLM behind <name>_inferencing.h.
//
// Hand-written and the same in every generated library; the model-specific facts come
// from the generated headers included below, and the functions' prefix (<name>_) from
// edgetf_library.h (EDGETF_API), so two libraries' copies link side by side. Every
// include of edgetf's own headers is relative to this folder: with several libraries on
// the include path, each copy finds its own library's model. Portable on purpose: it includes only
// TFLM headers and the C++ standard library (never Arduino.h or a board SDK), so the
// same file builds for ESP-IDF, Arduino and a host compiler. Everything it needs from a
// board (a microsecond clock) is handed in through <name>_set_clock.
//
// Memory: the interpreter and the op resolver are constructed in static storage with
// placement new (no heap, no static constructors running before main); the tensor arena
// is a static 16-byte aligned array, or, where model_metadata.h sets
// EDGETF_ARENA_ON_HEAP (large arenas on the ESP32, whose static DRAM is capped), one
// heap block taken once in <name>_init.
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

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_log.h"
#include "tensorflow/lite/micro/system_setup.h"
#include "tensorflow/lite/schema/schema_generated.h"

#include "edgetf.h"
#include "golden_vectors.h"
#include "model_data.h"
#include "model_metadata.h"
#include "model_types.h"
#include "op_resolver.h"
#if EDGETF_HAS_FRONT_END
#include "edgetf_impulse.h"
#endif

#ifndef EDGETF_SELF_TEST_TOLERANCE
// Largest difference, in quantization steps, that still counts as equal for integer
// outputs. 0: the board must reproduce Python's TFLM bit for bit.
#define EDGETF_SELF_TEST_TOLERANCE 0
#endif
#ifndef EDGETF_SELF_TEST_FLOAT_TOLERANCE
// Relative tolerance for float outputs: compilers contract multiply-adds differently.
#define EDGETF_SELF_TEST_FLOAT_TOLERANCE 1e-4
#endif

// edgetf_type's values are TfLiteType's, so tensor types can be compared directly.
static constexpr bool SameType(edgetf_type ours, TfLiteType tflite) {
  return static_cast<int>(ours) == static_cast<int>(tflite);
}
static_assert(SameType(EDGETF_FLOAT32, kTfLiteFloat32), "edgetf_type must match TfLiteType");
static_assert(SameType(EDGETF_INT32, kTfLiteInt32), "edgetf_type must match TfLiteType");
static_assert(SameType(EDGETF_UINT8, kTfLiteUInt8), "edgetf_type must match TfLiteType");
static_assert(SameType(EDGETF_INT64, kTfLiteInt64), "edgetf_type must match TfLiteType");
static_assert(SameType(EDGETF_BOOL, kTfLiteBool), "edgetf_type must match TfLiteType");
static_assert(SameType(EDGETF_INT16, kTfLiteInt16), "edgetf_type must match TfLiteType");
static_assert(SameType(EDGETF_INT8, kTfLiteInt8), "edgetf_type must match TfLiteType");
static_assert(EDGETF_ARENA_BYTES % 16 == 0, "EDGETF_ARENA_BYTES must be a multiple of 16");

namespace {

namespace md = edgetf::metadata;
namespace golden = edgetf::golden;

#if EDGETF_ARENA_ON_HEAP
uint8_t* g_arena = nullptr;
#else
alignas(16) uint8_t g_arena_storage[EDGETF_ARENA_BYTES];
uint8_t* const g_arena = g_arena_storage;
#endif

alignas(tflite::MicroInterpreter) unsigned char
    g_interpreter_storage[sizeof(tflite::MicroInterpreter)];
alignas(edgetf::OpResolver) unsigned char g_resolver_storage[sizeof(edgetf::OpResolver)];
tflite::MicroInterpreter* g_interpreter = nullptr;

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

// The i-th element of `data`, a run of `type` values, widened to double.
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

// Whether the interpreter's tensor is the one model_metadata.h describes: guards
// against a model array and generated headers from different runs.
bool Matches(const TfLiteTensor* tensor, const edgetf::TensorSpec& spec) {
  return tensor != nullptr && static_cast<int>(tensor->type) == static_cast<int>(spec.type) &&
         tensor->bytes == spec.bytes;
}

template <typename T>
void QuantizeInto(const float* values, std::size_t count, float scale, int32_t zero_point,
                  T* out) {
  constexpr float kLowest = static_cast<float>(std::numeric_limits<T>::lowest());
  constexpr float kHighest = static_cast<float>(std::numeric_limits<T>::max());
  for (std::size_t i = 0; i < count; ++i) {
    // Round half away from zero, then saturate: TFLite's Quantize kernel does the same.
    // A scale of 0 means no quantization parameters (as in Dequantized): round only.
    float q = scale == 0.0f ? std::round(values[i])
                            : std::round(values[i] / scale) + static_cast<float>(zero_point);
    // Written so that NaN fails both tests and becomes kLowest: converting a NaN (or
    // anything out of range) to an integer type is undefined behaviour.
    q = q > kLowest ? (q < kHighest ? q : kHighest) : kLowest;
    out[i] = static_cast<T>(q);
  }
}

int WriteInput(const float* input, TfLiteTensor* tensor, const edgetf::TensorSpec& spec) {
  switch (spec.type) {
    case EDGETF_FLOAT32:
      std::memcpy(tensor->data.f, input, spec.bytes);
      return EDGETF_OK;
    case EDGETF_INT8:
      QuantizeInto(input, spec.elements, spec.scale, spec.zero_point, tensor->data.int8);
      return EDGETF_OK;
    case EDGETF_UINT8:
      QuantizeInto(input, spec.elements, spec.scale, spec.zero_point, tensor->data.uint8);
      return EDGETF_OK;
    case EDGETF_INT16:
      QuantizeInto(input, spec.elements, spec.scale, spec.zero_point, tensor->data.i16);
      return EDGETF_OK;
    default:
      return EDGETF_ERROR_TYPE;
  }
}

float Dequantized(const TfLiteTensor* tensor, const edgetf::TensorSpec& spec, std::size_t i) {
  const double raw = ValueAt(tensor->data.raw, spec.type, i);
  if (spec.type == EDGETF_FLOAT32 || spec.scale == 0.0f) return static_cast<float>(raw);
  return static_cast<float>((raw - spec.zero_point) * spec.scale);
}

int InvokeTimed(uint32_t* microseconds) {
  const uint32_t start = NowMicros();
  const TfLiteStatus status = g_interpreter->Invoke();
  if (microseconds != nullptr) *microseconds = NowMicros() - start;
  return status == kTfLiteOk ? EDGETF_OK : EDGETF_ERROR_INVOKE;
}

bool TensorsMatchMetadata() {
  if (g_interpreter->inputs_size() != md::kInputCount ||
      g_interpreter->outputs_size() != md::kOutputCount) {
    return false;
  }
  for (std::size_t i = 0; i < md::kInputCount; ++i) {
    if (!Matches(g_interpreter->input(i), md::kInputs[i])) return false;
  }
  for (std::size_t i = 0; i < md::kOutputCount; ++i) {
    if (!Matches(g_interpreter->output(i), md::kOutputs[i])) return false;
  }
  return true;
}

// Compares output `o` of golden vector `v` with the interpreter's; counts differences
// and remembers the first one.
int CountDifferences(int v, std::size_t o) {
  const edgetf::TensorSpec& spec = md::kOutputs[o];
  const edgetf::GoldenTensor& expected = golden::kOutputs[o];
  const TfLiteTensor* tensor = g_interpreter->output(o);
  const std::size_t offset = static_cast<std::size_t>(v) * expected.elements;
  int differences = 0;
  for (std::size_t i = 0; i < expected.elements; ++i) {
    const double want = ValueAt(expected.data, spec.type, offset + i);
    const double got = ValueAt(tensor->data.raw, spec.type, i);
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

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {
// For edgetf_impulse.cc (a library with a front end runs this model on its frames).
tflite::MicroInterpreter* ModelInterpreter() { return g_interpreter; }
uint32_t Micros() { return NowMicros(); }
}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

extern "C" {

int EDGETF_API(init)(void) {
  if (g_interpreter != nullptr) return EDGETF_OK;
  tflite::InitializeTarget();
#if EDGETF_HAS_FRONT_END
  const int front_end = edgetf::ImpulseInit();
  if (front_end != EDGETF_OK) return front_end;
#endif
  const tflite::Model* model = tflite::GetModel(EDGETF_MODEL_ARRAY);
  if (model->version() != TFLITE_SCHEMA_VERSION) {
    MicroPrintf("edgetf: the model has schema version %d, this TFLM supports %d",
                static_cast<int>(model->version()), TFLITE_SCHEMA_VERSION);
    return EDGETF_ERROR_SCHEMA;
  }
  auto* resolver = new (g_resolver_storage) edgetf::OpResolver();
  if (edgetf::RegisterOps(*resolver) != kTfLiteOk) return EDGETF_ERROR_OPS;
#if EDGETF_ARENA_ON_HEAP && EDGETF_ARENA_IN_PSRAM
  if (g_arena == nullptr) {
    // The board's main takes it from PSRAM, 16-byte aligned, for the life of the program.
    g_arena = static_cast<uint8_t*>(edgetf_platform_alloc_arena(EDGETF_ARENA_BYTES));
    if (g_arena == nullptr) {
      MicroPrintf("edgetf: could not allocate the %u-byte arena in PSRAM (is PSRAM enabled "
                  "in sdkconfig?)", static_cast<unsigned>(EDGETF_ARENA_BYTES));
      return EDGETF_ERROR_OUT_OF_MEMORY;
    }
  }
#elif EDGETF_ARENA_ON_HEAP
  if (g_arena == nullptr) {
    // One block, kept for the life of the program; 15 spare bytes to align it to 16.
    static uint8_t* block = new (std::nothrow) uint8_t[EDGETF_ARENA_BYTES + 15];
    if (block == nullptr) {
      MicroPrintf("edgetf: could not allocate the %u-byte arena on the heap",
                  static_cast<unsigned>(EDGETF_ARENA_BYTES));
      return EDGETF_ERROR_OUT_OF_MEMORY;
    }
    const std::uintptr_t address = reinterpret_cast<std::uintptr_t>(block);
    g_arena = reinterpret_cast<uint8_t*>((address + 15) & ~static_cast<std::uintptr_t>(15));
  }
#endif
  auto* interpreter = new (g_interpreter_storage)
      tflite::MicroInterpreter(model, *resolver, g_arena, EDGETF_ARENA_BYTES);
  if (interpreter->AllocateTensors() != kTfLiteOk) {
    // TFLM returns the same error for a short arena and for a kernel that refuses the
    // model in Prepare; its own message, printed just before, says which.
    MicroPrintf("edgetf: AllocateTensors failed with a %u-byte arena: if TFLM said bytes "
                "were missing, build with a larger -DEDGETF_ARENA_BYTES=...; otherwise an "
                "op's kernel refused the model (see above)",
                static_cast<unsigned>(EDGETF_ARENA_BYTES));
    interpreter->~MicroInterpreter();
    return EDGETF_ERROR_ALLOCATION;
  }
  g_interpreter = interpreter;
  if (!TensorsMatchMetadata()) {
    MicroPrintf("edgetf: the model's inputs/outputs differ from model_metadata.h; "
                "emit the library again from one model");
    g_interpreter = nullptr;
    interpreter->~MicroInterpreter();
    return EDGETF_ERROR_MODEL_MISMATCH;
  }
  return EDGETF_OK;
}

int EDGETF_API(self_test)(void) {
  if (g_interpreter == nullptr) return EDGETF_ERROR_NOT_INITIALIZED;
  g_has_mismatch = false;
#if EDGETF_HAS_FRONT_END
  // Raw-sample vectors too: front end, then model, as one clip and as a stream.
  const int front_end_vectors = edgetf::ImpulseGoldenCount();
#else
  const int front_end_vectors = 0;
#endif
  if (golden::kVectorCount == 0 && front_end_vectors == 0) return EDGETF_ERROR_NO_GOLDEN;
  int differences = 0;
  for (int v = 0; v < golden::kVectorCount; ++v) {
    // Golden outputs were recorded from a freshly reset interpreter (variable tensors,
    // such as an LSTM's state, at their initial values).
    if (g_interpreter->Reset() != kTfLiteOk) return EDGETF_ERROR_INVOKE;
    for (std::size_t i = 0; i < md::kInputCount; ++i) {
      const edgetf::TensorSpec& spec = md::kInputs[i];
      const auto* data = static_cast<const uint8_t*>(golden::kInputs[i].data);
      std::memcpy(g_interpreter->input(i)->data.raw,
                  data + static_cast<std::size_t>(v) * spec.bytes, spec.bytes);
    }
    if (InvokeTimed(nullptr) != EDGETF_OK) return EDGETF_ERROR_INVOKE;
    for (std::size_t o = 0; o < md::kOutputCount; ++o) differences += CountDifferences(v, o);
  }
  g_interpreter->Reset();
#if EDGETF_HAS_FRONT_END
  const int front_end = edgetf::ImpulseSelfTest(golden::kVectorCount, &g_mismatch,
                                                &g_has_mismatch);
  g_interpreter->Reset();
  if (front_end < 0) return front_end;
  differences += front_end;
#endif
  return differences;
}

int EDGETF_API(self_test_mismatch)(edgetf_mismatch* mismatch) {
  if (g_has_mismatch && mismatch != nullptr) *mismatch = g_mismatch;
  return g_has_mismatch ? 1 : 0;
}

size_t EDGETF_API(arena_used_bytes)(void) {
  return g_interpreter == nullptr ? 0 : g_interpreter->arena_used_bytes();
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
  if (g_interpreter == nullptr) return EDGETF_ERROR_NOT_INITIALIZED;
  const edgetf::TensorSpec& in = md::kInputs[0];
  const edgetf::TensorSpec& out = md::kOutputs[0];
  if (input == nullptr || input_count != in.elements) return EDGETF_ERROR_ARGUMENT;
  if (scores != nullptr && score_count != out.elements) return EDGETF_ERROR_ARGUMENT;
  const int written = WriteInput(input, g_interpreter->input(0), in);
  if (written != EDGETF_OK) return written;
  uint32_t microseconds = 0;
  const int invoked = InvokeTimed(&microseconds);
  if (invoked != EDGETF_OK) return invoked;
  const TfLiteTensor* output = g_interpreter->output(0);
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
  if (g_interpreter == nullptr) return EDGETF_ERROR_NOT_INITIALIZED;
  const edgetf::TensorSpec& in = md::kInputs[0];
  const edgetf::TensorSpec& out = md::kOutputs[0];
  if (in.type != EDGETF_INT8 || out.type != EDGETF_INT8) return EDGETF_ERROR_TYPE;
  if (input == nullptr || output == nullptr || input_count != in.elements ||
      output_count != out.elements) {
    return EDGETF_ERROR_ARGUMENT;
  }
  std::memcpy(g_interpreter->input(0)->data.int8, input, in.bytes);
  const int invoked = InvokeTimed(microseconds);
  if (invoked != EDGETF_OK) return invoked;
  std::memcpy(output, g_interpreter->output(0)->data.int8, out.bytes);
  return EDGETF_OK;
}

void EDGETF_API(set_clock)(uint32_t (*micros)(void)) { g_clock = micros; }

}  // extern "C"
