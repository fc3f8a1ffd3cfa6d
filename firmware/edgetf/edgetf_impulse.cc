// edgetf: raw samples in, the model's prediction out, for libraries emitted with a front
// end (EDGETF_HAS_FRONT_END, set in edgetf_library.h; in other libraries this file
// compiles to nothing). The audio front end first (int16 PCM, clips and a stream); the
// motion front end (EDGETF_FRONT_END_MOTION: float windows) at the end of the file.
//
// Hand-written and the same in every library. The front end is a TFLite graph of TFLM's
// signal ops (front_end_metadata.h holds its array, sizes and golden vectors) run by an
// interpreter of its own, one window of int16 samples per Invoke, into an arena of its own
// (EDGETF_FRONT_END_ARENA_BYTES, planned by edgetf for the board like the model's). Its
// kernels keep state between windows (the noise estimate, PCAN's smoothing), so a clip is
// computed from a reset front end, as edgetf computed the training features and the golden
// vectors; a stream keeps that state running.
//
// Memory, all static: the front end's arena and interpreter, the window being filled
// (kWindowSamples int16), the ring of the last clip's frames (kClipFrames x kChannels
// int8), the scores and the recognizer's history. edgetf counts each in the RAM it reports
// for the board.
#include "edgetf_library.h"

#if EDGETF_HAS_FRONT_END && !EDGETF_FRONT_END_MOTION

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_log.h"
#include "tensorflow/lite/schema/schema_generated.h"

#include "edgetf.h"
#include "edgetf_impulse.h"
#include "edgetf_recognize.h"
#include "front_end_metadata.h"
#include "front_end_resolver.h"
#include "model_metadata.h"

static_assert(EDGETF_FRONT_END_ARENA_BYTES % 16 == 0,
              "EDGETF_FRONT_END_ARENA_BYTES must be a multiple of 16");

namespace {

namespace fe = edgetf::front_end;
namespace md = edgetf::metadata;

constexpr int kFrameBytes = fe::kChannels;
constexpr std::size_t kClipBytes = static_cast<std::size_t>(fe::kClipFrames) * kFrameBytes;

alignas(16) uint8_t g_fe_arena[EDGETF_FRONT_END_ARENA_BYTES];
alignas(tflite::MicroInterpreter) unsigned char g_fe_storage[sizeof(tflite::MicroInterpreter)];
alignas(edgetf::FrontEndResolver) unsigned char
    g_fe_resolver_storage[sizeof(edgetf::FrontEndResolver)];
tflite::MicroInterpreter* g_fe = nullptr;

// The stream: the window being filled, the ring of the last clip's frames (oldest at
// g_ring_next once full), frames since the model last ran, samples pushed.
int16_t g_window[fe::kWindowSamples];
int g_window_fill = 0;
int8_t g_ring[kClipBytes];
int g_ring_next = 0;
int g_ring_count = 0;
int g_frames_since_run = 0;
bool g_ran = false;
uint64_t g_samples_pushed = 0;
int8_t g_scores_q[fe::kLabels];
float g_scores[fe::kLabels];
edgetf::Recognizer<fe::kLabels, fe::kHistory> g_recognizer(
    fe::kAverageWindowMs, fe::kThresholdQ, fe::kSuppressionMs, fe::kMinimumCount);

float Dequantize(int8_t q) {
  const edgetf::TensorSpec& out = md::kOutputs[0];
  return (static_cast<float>(q) - static_cast<float>(out.zero_point)) * out.scale;
}

// One window through the front end: kChannels int8 features into `frame`.
int FrontEndFrame(const int16_t* window, int8_t* frame) {
  std::memcpy(g_fe->input(0)->data.i16, window, sizeof(int16_t) * fe::kWindowSamples);
  if (g_fe->Invoke() != kTfLiteOk) return EDGETF_ERROR_FRONT_END;
  std::memcpy(frame, g_fe->output(0)->data.int8, kFrameBytes);
  return EDGETF_OK;
}

// A whole clip from a reset front end: kClipFrames frames into g_ring, oldest first.
int ClipFeatures(const int16_t* samples) {
  if (g_fe->Reset() != kTfLiteOk) return EDGETF_ERROR_FRONT_END;
  for (int f = 0; f < fe::kClipFrames; ++f) {
    const int status = FrontEndFrame(samples + static_cast<std::size_t>(f) * fe::kStrideSamples,
                                     g_ring + static_cast<std::size_t>(f) * kFrameBytes);
    if (status != EDGETF_OK) return status;
  }
  return EDGETF_OK;
}

// The ring's frames, oldest first, through the model: int8 scores into g_scores_q.
int RunModel(uint32_t* microseconds) {
  tflite::MicroInterpreter* model = edgetf::ModelInterpreter();
  int8_t* input = model->input(0)->data.int8;
  const std::size_t head = static_cast<std::size_t>(g_ring_next) * kFrameBytes;
  std::memcpy(input, g_ring + head, kClipBytes - head);
  std::memcpy(input + (kClipBytes - head), g_ring, head);
  const uint32_t start = edgetf::Micros();
  if (model->Invoke() != kTfLiteOk) return EDGETF_ERROR_INVOKE;
  if (microseconds != nullptr) *microseconds = edgetf::Micros() - start;
  std::memcpy(g_scores_q, model->output(0)->data.int8, fe::kLabels);
  for (int i = 0; i < fe::kLabels; ++i) g_scores[i] = Dequantize(g_scores_q[i]);
  return EDGETF_OK;
}

void ResetStream() {
  g_window_fill = 0;
  g_ring_next = 0;
  g_ring_count = 0;
  g_frames_since_run = 0;
  g_ran = false;
  g_samples_pushed = 0;
  g_recognizer.Reset();
  if (g_fe != nullptr) g_fe->Reset();
}

// Pushes samples; returns 1 when the recognizer reported a keyword (into `detection`
// when not NULL), 0 otherwise, or a negative edgetf_status. `ran` counts model runs.
int Push(const int16_t* samples, size_t count, edgetf_detection* detection, int* ran) {
  int reported = 0;
  for (size_t i = 0; i < count; ++i) {
    g_window[g_window_fill++] = samples[i];
    ++g_samples_pushed;
    if (g_window_fill < fe::kWindowSamples) continue;
    int status = FrontEndFrame(g_window, g_ring + static_cast<std::size_t>(g_ring_next) *
                                                      kFrameBytes);
    if (status != EDGETF_OK) return status;
    g_ring_next = (g_ring_next + 1) % fe::kClipFrames;
    if (g_ring_count < fe::kClipFrames) ++g_ring_count;
    // The next window starts a stride later (stride <= window: edgetf checks it).
    constexpr int kKeep = fe::kWindowSamples - fe::kStrideSamples;
    std::memmove(g_window, g_window + fe::kStrideSamples, sizeof(int16_t) * kKeep);
    g_window_fill = kKeep;
    ++g_frames_since_run;
    if (g_ring_count < fe::kClipFrames || (g_ran && g_frames_since_run < fe::kRunEveryFrames)) {
      continue;
    }
    status = RunModel(nullptr);
    if (status != EDGETF_OK) return status;
    g_ran = true;
    g_frames_since_run = 0;
    if (ran != nullptr) ++*ran;
    const uint32_t now_ms = static_cast<uint32_t>(g_samples_pushed * 1000u / fe::kSampleRate);
    int label = 0;
    float average_q = 0.0f;
    if (g_recognizer.Process(g_scores_q, now_ms, &label, &average_q)) {
      reported = 1;
      if (detection != nullptr) {
        const edgetf::TensorSpec& out = md::kOutputs[0];
        detection->label_index = label;
        detection->label = EDGETF_API(label)(label);
        detection->score = (average_q - static_cast<float>(out.zero_point)) * out.scale;
        detection->time_ms = now_ms;
      }
    }
  }
  return reported;
}

int Compare(const int8_t* expected, const int8_t* actual, std::size_t count, int vector,
            int output, edgetf_mismatch* mismatch, bool* has_mismatch) {
  int differences = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (expected[i] == actual[i]) continue;
    if (!*has_mismatch) {
      *mismatch = {vector, output, i, static_cast<double>(expected[i]),
                   static_cast<double>(actual[i])};
      *has_mismatch = true;
    }
    ++differences;
  }
  return differences;
}

}  // namespace

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {

int ImpulseInit() {
  if (g_fe != nullptr) return EDGETF_OK;
  const tflite::Model* model = tflite::GetModel(EDGETF_FRONT_END_ARRAY);
  if (model->version() != TFLITE_SCHEMA_VERSION) return EDGETF_ERROR_SCHEMA;
  auto* resolver = new (g_fe_resolver_storage) FrontEndResolver();
  if (RegisterFrontEndOps(*resolver) != kTfLiteOk) return EDGETF_ERROR_OPS;
  auto* interpreter = new (g_fe_storage) tflite::MicroInterpreter(
      model, *resolver, g_fe_arena, EDGETF_FRONT_END_ARENA_BYTES);
  if (interpreter->AllocateTensors() != kTfLiteOk) {
    MicroPrintf("edgetf: the front end's AllocateTensors failed with a %u-byte arena: if "
                "TFLM said bytes were missing, build with a larger "
                "-DEDGETF_FRONT_END_ARENA_BYTES=...",
                static_cast<unsigned>(EDGETF_FRONT_END_ARENA_BYTES));
    interpreter->~MicroInterpreter();
    return EDGETF_ERROR_FRONT_END;
  }
  const TfLiteTensor* in = interpreter->input(0);
  const TfLiteTensor* out = interpreter->output(0);
  if (in == nullptr || out == nullptr || in->type != kTfLiteInt16 || out->type != kTfLiteInt8 ||
      in->bytes != sizeof(int16_t) * fe::kWindowSamples ||
      out->bytes != static_cast<std::size_t>(fe::kChannels)) {
    interpreter->~MicroInterpreter();
    return EDGETF_ERROR_MODEL_MISMATCH;
  }
  g_fe = interpreter;
  ResetStream();
  return EDGETF_OK;
}

int ImpulseGoldenCount() { return fe::kGoldenClipCount; }

int ImpulseSelfTest(int first_vector, edgetf_mismatch* mismatch, bool* has_mismatch) {
  if (g_fe == nullptr || ModelInterpreter() == nullptr) return EDGETF_ERROR_NOT_INITIALIZED;
  int differences = 0;
  for (int c = 0; c < fe::kGoldenClipCount; ++c) {
    const int vector = first_vector + c;
    int status = ClipFeatures(fe::kGoldenClips + static_cast<std::size_t>(c) * fe::kClipSamples);
    if (status != EDGETF_OK) return status;
    g_ring_next = 0;
    differences += Compare(fe::kGoldenFeatures + c * kClipBytes, g_ring, kClipBytes, vector,
                           fe::kFeaturesOutput, mismatch, has_mismatch);
    status = RunModel(nullptr);
    if (status != EDGETF_OK) return status;
    differences += Compare(fe::kGoldenOutputs + c * fe::kLabels, g_scores_q, fe::kLabels,
                           vector, 0, mismatch, has_mismatch);
  }
  if (fe::kGoldenClipCount > 0) {
    // The first clip again, pushed as a stream in uneven pieces: the first model run
    // (when the ring fills) sees that clip's frames from a reset front end.
    ResetStream();
    int ran = 0;
    constexpr std::size_t kPiece = 97;
    for (std::size_t at = 0; at < static_cast<std::size_t>(fe::kClipSamples) && ran == 0;
         at += kPiece) {
      const std::size_t left = static_cast<std::size_t>(fe::kClipSamples) - at;
      const int status = Push(fe::kGoldenClips + at, left < kPiece ? left : kPiece, nullptr,
                              &ran);
      if (status < 0) return status;
    }
    if (ran == 0) return EDGETF_ERROR_FRONT_END;
    differences += Compare(fe::kGoldenOutputs, g_scores_q, fe::kLabels, first_vector,
                           fe::kStreamOutput, mismatch, has_mismatch);
    ResetStream();
  }
  return differences;
}

}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

extern "C" {

int EDGETF_API(classify)(const int16_t* samples, size_t sample_count,
                         edgetf_classification* result) {
  if (g_fe == nullptr || edgetf::ModelInterpreter() == nullptr) {
    return EDGETF_ERROR_NOT_INITIALIZED;
  }
  if (samples == nullptr || sample_count != static_cast<size_t>(fe::kClipSamples)) {
    return EDGETF_ERROR_ARGUMENT;
  }
  ResetStream();
  const uint32_t start = edgetf::Micros();
  int status = ClipFeatures(samples);
  const uint32_t dsp = edgetf::Micros() - start;
  g_ring_next = 0;
  uint32_t microseconds = 0;
  if (status == EDGETF_OK) status = RunModel(&microseconds);
  ResetStream();  // the ring held this clip, not a stream
  if (status != EDGETF_OK) return status;
  if (result != nullptr) {
    int best = 0;
    for (int i = 1; i < fe::kLabels; ++i) {
      if (g_scores[i] > g_scores[best]) best = i;
    }
    result->label_index = best;
    result->label = EDGETF_API(label)(best);
    result->score = g_scores[best];
    result->scores = g_scores;
    result->score_count = fe::kLabels;
    result->dsp_microseconds = dsp;
    result->microseconds = microseconds;
  }
  return EDGETF_OK;
}

int EDGETF_API(push_samples)(const int16_t* samples, size_t sample_count,
                             edgetf_detection* detection) {
  if (g_fe == nullptr || edgetf::ModelInterpreter() == nullptr) {
    return EDGETF_ERROR_NOT_INITIALIZED;
  }
  if (samples == nullptr && sample_count != 0) return EDGETF_ERROR_ARGUMENT;
  return Push(samples, sample_count, detection, nullptr);
}

const float* EDGETF_API(stream_scores)(void) { return g_ran ? g_scores : nullptr; }

void EDGETF_API(stream_reset)(void) { ResetStream(); }

size_t EDGETF_API(front_end_arena_used_bytes)(void) {
  return g_fe == nullptr ? 0 : g_fe->arena_used_bytes();
}

}  // extern "C"

#endif  // EDGETF_HAS_FRONT_END && !EDGETF_FRONT_END_MOTION

// --- the motion front end -------------------------------------------------------------
//
// One window of float samples (kWindowSamples x kAxes, interleaved) is the front end's
// input tensor; one Invoke gives kFeatures int8 values, copied into the model's input.
// The graph keeps no state, so no reset is needed between windows. Memory, all static:
// the front end's arena (the window lives there, as the graph's input) and interpreter,
// and the scores; edgetf counts each in the RAM it reports for the board.
#if EDGETF_HAS_FRONT_END && EDGETF_FRONT_END_MOTION

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_log.h"
#include "tensorflow/lite/schema/schema_generated.h"

#include "edgetf.h"
#include "edgetf_impulse.h"
#include "front_end_metadata.h"
#include "front_end_resolver.h"
#include "model_metadata.h"

static_assert(EDGETF_FRONT_END_ARENA_BYTES % 16 == 0,
              "EDGETF_FRONT_END_ARENA_BYTES must be a multiple of 16");

namespace {

namespace fe = edgetf::front_end;
namespace md = edgetf::metadata;

alignas(16) uint8_t g_fe_arena[EDGETF_FRONT_END_ARENA_BYTES];
alignas(tflite::MicroInterpreter) unsigned char g_fe_storage[sizeof(tflite::MicroInterpreter)];
alignas(edgetf::FrontEndResolver) unsigned char
    g_fe_resolver_storage[sizeof(edgetf::FrontEndResolver)];
tflite::MicroInterpreter* g_fe = nullptr;
int8_t g_scores_q[fe::kLabels];
float g_scores[fe::kLabels];

// One window through the front end, then the model: int8 values left in the model's
// input, int8 scores in g_scores_q, float scores in g_scores.
int Classify(const float* samples, uint32_t* dsp_microseconds, uint32_t* microseconds) {
  tflite::MicroInterpreter* model = edgetf::ModelInterpreter();
  const uint32_t start = edgetf::Micros();
  std::memcpy(g_fe->input(0)->data.f, samples, sizeof(float) * fe::kInputValues);
  if (g_fe->Invoke() != kTfLiteOk) return EDGETF_ERROR_FRONT_END;
  std::memcpy(model->input(0)->data.int8, g_fe->output(0)->data.int8, fe::kFeatures);
  const uint32_t between = edgetf::Micros();
  if (model->Invoke() != kTfLiteOk) return EDGETF_ERROR_INVOKE;
  if (dsp_microseconds != nullptr) *dsp_microseconds = between - start;
  if (microseconds != nullptr) *microseconds = edgetf::Micros() - between;
  std::memcpy(g_scores_q, model->output(0)->data.int8, fe::kLabels);
  const edgetf::TensorSpec& out = md::kOutputs[0];
  for (int i = 0; i < fe::kLabels; ++i) {
    g_scores[i] = (static_cast<float>(g_scores_q[i]) - static_cast<float>(out.zero_point)) *
                  out.scale;
  }
  return EDGETF_OK;
}

int Compare(const int8_t* expected, const int8_t* actual, std::size_t count, int vector,
            int output, edgetf_mismatch* mismatch, bool* has_mismatch) {
  int differences = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (expected[i] == actual[i]) continue;
    if (!*has_mismatch) {
      *mismatch = {vector, output, i, static_cast<double>(expected[i]),
                   static_cast<double>(actual[i])};
      *has_mismatch = true;
    }
    ++differences;
  }
  return differences;
}

}  // namespace

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {

int ImpulseInit() {
  if (g_fe != nullptr) return EDGETF_OK;
  const tflite::Model* model = tflite::GetModel(EDGETF_FRONT_END_ARRAY);
  if (model->version() != TFLITE_SCHEMA_VERSION) return EDGETF_ERROR_SCHEMA;
  auto* resolver = new (g_fe_resolver_storage) FrontEndResolver();
  if (RegisterFrontEndOps(*resolver) != kTfLiteOk) return EDGETF_ERROR_OPS;
  auto* interpreter = new (g_fe_storage) tflite::MicroInterpreter(
      model, *resolver, g_fe_arena, EDGETF_FRONT_END_ARENA_BYTES);
  if (interpreter->AllocateTensors() != kTfLiteOk) {
    MicroPrintf("edgetf: the front end's AllocateTensors failed with a %u-byte arena: if "
                "TFLM said bytes were missing, build with a larger "
                "-DEDGETF_FRONT_END_ARENA_BYTES=...",
                static_cast<unsigned>(EDGETF_FRONT_END_ARENA_BYTES));
    interpreter->~MicroInterpreter();
    return EDGETF_ERROR_FRONT_END;
  }
  const TfLiteTensor* in = interpreter->input(0);
  const TfLiteTensor* out = interpreter->output(0);
  if (in == nullptr || out == nullptr || in->type != kTfLiteFloat32 ||
      out->type != kTfLiteInt8 || in->bytes != sizeof(float) * fe::kInputValues ||
      out->bytes != static_cast<std::size_t>(fe::kFeatures)) {
    interpreter->~MicroInterpreter();
    return EDGETF_ERROR_MODEL_MISMATCH;
  }
  g_fe = interpreter;
  return EDGETF_OK;
}

int ImpulseGoldenCount() { return fe::kGoldenWindowCount; }

int ImpulseSelfTest(int first_vector, edgetf_mismatch* mismatch, bool* has_mismatch) {
  if (g_fe == nullptr || ModelInterpreter() == nullptr) return EDGETF_ERROR_NOT_INITIALIZED;
  int differences = 0;
  for (int w = 0; w < fe::kGoldenWindowCount; ++w) {
    const int vector = first_vector + w;
    const int status = Classify(
        fe::kGoldenWindows + static_cast<std::size_t>(w) * fe::kInputValues, nullptr, nullptr);
    if (status != EDGETF_OK) return status;
    // The front end's output (the model's input buffer may hold activations by now).
    differences += Compare(fe::kGoldenFeatures + static_cast<std::size_t>(w) * fe::kFeatures,
                           g_fe->output(0)->data.int8, fe::kFeatures, vector,
                           fe::kFeaturesOutput, mismatch, has_mismatch);
    differences += Compare(fe::kGoldenOutputs + static_cast<std::size_t>(w) * fe::kLabels,
                           g_scores_q, fe::kLabels, vector, 0, mismatch, has_mismatch);
  }
  return differences;
}

}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

extern "C" {

int EDGETF_API(classify_float)(const float* samples, size_t value_count,
                               edgetf_classification* result) {
  if (g_fe == nullptr || edgetf::ModelInterpreter() == nullptr) {
    return EDGETF_ERROR_NOT_INITIALIZED;
  }
  if (samples == nullptr || value_count != static_cast<size_t>(fe::kInputValues)) {
    return EDGETF_ERROR_ARGUMENT;
  }
  uint32_t dsp = 0;
  uint32_t microseconds = 0;
  const int status = Classify(samples, &dsp, &microseconds);
  if (status != EDGETF_OK) return status;
  if (result != nullptr) {
    int best = 0;
    for (int i = 1; i < fe::kLabels; ++i) {
      if (g_scores[i] > g_scores[best]) best = i;
    }
    result->label_index = best;
    result->label = EDGETF_API(label)(best);
    result->score = g_scores[best];
    result->scores = g_scores;
    result->score_count = fe::kLabels;
    result->dsp_microseconds = dsp;
    result->microseconds = microseconds;
  }
  return EDGETF_OK;
}

size_t EDGETF_API(front_end_arena_used_bytes)(void) {
  return g_fe == nullptr ? 0 : g_fe->arena_used_bytes();
}

}  // extern "C"

#endif  // EDGETF_HAS_FRONT_END && EDGETF_FRONT_END_MOTION
