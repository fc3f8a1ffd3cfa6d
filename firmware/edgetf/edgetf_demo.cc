// edgetf demo: boot report and a serial read-run-print loop, portable C++17.
//
// Output goes through the writer the board's main.cpp hands in, one line at a time,
// formatted without printf's %f (some embedded C libraries leave float formatting
// out to save flash).
#include "edgetf_library.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "edgetf.h"
#include "model_metadata.h"

namespace {

namespace md = edgetf::metadata;

// `value` with a comma every three digits ("23,940"): the boot line's arena figures.
void FormatCount(std::size_t value, char* out, std::size_t size) {
  char digits[24];
  const int n = std::snprintf(digits, sizeof(digits), "%lu", static_cast<unsigned long>(value));
  std::size_t at = 0;
  for (int i = 0; i < n && at + 1 < size; ++i) {
    if (i > 0 && (n - i) % 3 == 0 && at + 2 < size) out[at++] = ',';
    out[at++] = digits[i];
  }
  out[at] = '\0';
}

// Serial input is parsed value by value into a float buffer of the input's size, up to
// this many values; larger inputs (images) are best sent by the application itself.
constexpr std::size_t kMaxSerialValues = 2048;
constexpr std::size_t kInputValues = md::kInputs[0].elements;
constexpr std::size_t kSerialValues =
    kInputValues <= kMaxSerialValues ? kInputValues : 1;
constexpr bool kSerialInput = kInputValues <= kMaxSerialValues;
// Scores are printed for outputs up to this size; beyond it, only the top one.
constexpr std::size_t kMaxPrintedScores = 64;
constexpr std::size_t kOutputValues = md::kOutputs[0].elements;
constexpr std::size_t kScoreValues =
    kOutputValues <= kMaxPrintedScores ? kOutputValues : 1;
constexpr bool kPrintScores = kOutputValues <= kMaxPrintedScores;

edgetf_writer g_write = nullptr;
float g_values[kSerialValues];
float g_scores[kScoreValues];
std::size_t g_value_count = 0;
char g_token[40];
std::size_t g_token_length = 0;

void Write(const char* text) {
  if (g_write != nullptr) g_write(text);
}

// `value` with four decimals into `out` (at least 24 chars), without %f.
void FormatFixed(double value, char* out, std::size_t size) {
  if (value != value) {
    std::snprintf(out, size, "nan");
    return;
  }
  const bool negative = value < 0;
  double magnitude = negative ? -value : value;
  if (magnitude >= 1e9) {
    std::snprintf(out, size, "%s>1e9", negative ? "-" : "");
    return;
  }
  unsigned long scaled = static_cast<unsigned long>(magnitude * 10000.0 + 0.5);
  std::snprintf(out, size, "%s%lu.%04lu", negative ? "-" : "", scaled / 10000UL,
                scaled % 10000UL);
}

void PrintResult(int status, const edgetf_result& result) {
  char line[160];
  if (status != EDGETF_OK) {
    std::snprintf(line, sizeof(line), "edgetf: inference failed: %s\n",
                  edgetf_status_text(status));
    Write(line);
    return;
  }
  char score[24];
  FormatFixed(result.score, score, sizeof(score));
  std::snprintf(line, sizeof(line), "edgetf: label %d (%s) score %s in %lu us\n",
                result.label_index, result.label != nullptr ? result.label : "-", score,
                static_cast<unsigned long>(result.microseconds));
  Write(line);
  if (!kPrintScores) return;
  Write("edgetf: scores");
  for (std::size_t i = 0; i < kScoreValues; ++i) {
    char value[24];
    FormatFixed(g_scores[i], value, sizeof(value));
    std::snprintf(line, sizeof(line), " %s", value);
    Write(line);
  }
  Write("\n");
}

void Run(const float* input) {
  edgetf_result result = {0, nullptr, 0.0f, 0};
  const int status = EDGETF_API(run)(input, kInputValues, kPrintScores ? g_scores : nullptr,
                                kPrintScores ? kScoreValues : 0, &result);
  PrintResult(status, result);
}

void EndToken() {
  if (g_token_length == 0) return;
  g_token[g_token_length] = '\0';
  g_token_length = 0;
  // Values past the buffer are counted, not stored: EndLine reports the count.
  if (g_value_count < kSerialValues) g_values[g_value_count] = std::strtof(g_token, nullptr);
  ++g_value_count;
}

void EndLine() {
  EndToken();
  char line[160];
  if (g_value_count == 0) {
    // An empty line: nothing to do.
  } else if (!kSerialInput) {
    std::snprintf(line, sizeof(line),
                  "edgetf: the input has %u values, too many for serial input; "
                  "call " EDGETF_API_PREFIX "run from your code\n",
                  static_cast<unsigned>(kInputValues));
    Write(line);
  } else if (g_value_count != kInputValues) {
    std::snprintf(line, sizeof(line), "edgetf: got %u values, the model takes %u; "
                  "send one line of %u numbers separated by commas or spaces\n",
                  static_cast<unsigned>(g_value_count), static_cast<unsigned>(kInputValues),
                  static_cast<unsigned>(kInputValues));
    Write(line);
  } else {
    Run(g_values);
  }
  g_value_count = 0;
}

}  // namespace

extern "C" {

int EDGETF_API(demo_begin)(edgetf_writer write) {
  g_write = write;
  char line[256];
  std::snprintf(line, sizeof(line), "edgetf: model %s (%u bytes, sha256 %.12s...), board %s, "
                "edgetf %s\n", md::kModelName, static_cast<unsigned>(md::kModelBytes),
                md::kModelSha256, md::kBoard, md::kEdgetfVersion);
  Write(line);
  const int status = EDGETF_API(init)();
  if (status == EDGETF_ERROR_ALLOCATION) {
    std::snprintf(line, sizeof(line),
                  "edgetf: init failed: AllocateTensors failed with a %u-byte arena. If TFLM "
                  "printed bytes missing above, raise it, e.g. build_flags = "
                  "-D " EDGETF_ARENA_OVERRIDE "=%u; otherwise TFLM's message above names the op "
                  "whose kernel refused the model\n",
                  static_cast<unsigned>(EDGETF_API(arena_size)()),
                  static_cast<unsigned>(EDGETF_API(arena_size)() * 2));
    Write(line);
    return status;
  }
  if (status != EDGETF_OK) {
    std::snprintf(line, sizeof(line), "edgetf: init failed: %s\n", edgetf_status_text(status));
    Write(line);
    return status;
  }
  char used[16];
  char size[16];
  char needed[16];
  FormatCount(EDGETF_API(arena_used_bytes)(), used, sizeof(used));
  FormatCount(EDGETF_API(arena_size)(), size, sizeof(size));
  FormatCount(md::kArenaNeededBytes, needed, sizeof(needed));
  // arena_used_bytes() is what stays allocated; TFLM needed more while it allocated, so
  // the smallest arena that works is the planned figure, not this one.
  std::snprintf(line, sizeof(line), "edgetf: arena %s of %s bytes (%s: %s needed%s%s)\n",
                used, size, md::kArenaMethod, needed, md::kArenaTable[0] ? " for " : "",
                md::kArenaTable);
  Write(line);
  const int differences = EDGETF_API(self_test)();
  edgetf_mismatch mismatch;
  if (differences == 0) {
    std::snprintf(line, sizeof(line), "edgetf: self-test PASS (%d golden vectors)\n",
                  md::kGoldenVectorCount);
  } else if (differences > 0 && EDGETF_API(self_test_mismatch)(&mismatch)) {
    char expected[24];
    char actual[24];
    FormatFixed(mismatch.expected, expected, sizeof(expected));
    FormatFixed(mismatch.actual, actual, sizeof(actual));
    std::snprintf(line, sizeof(line), "edgetf: self-test FAIL: %d values differ; first: vector "
                  "%d, output %d, index %u: expected %s, got %s\n", differences,
                  mismatch.vector, mismatch.output, static_cast<unsigned>(mismatch.index),
                  expected, actual);
  } else {
    std::snprintf(line, sizeof(line), "edgetf: self-test not run: %s\n",
                  edgetf_status_text(differences));
  }
  Write(line);
  return status;
}

void EDGETF_API(demo_input_char)(char c) {
  if (c == '\n' || c == '\r') {
    if (g_value_count > 0 || g_token_length > 0) EndLine();
  } else if (c == ',' || c == ' ' || c == '\t' || c == ';') {
    EndToken();
  } else if (g_token_length + 1 < sizeof(g_token)) {
    g_token[g_token_length++] = c;
  }
}

void EDGETF_API(demo_run_sample)(void) {
  const float* sample = EDGETF_API(sample_input)();
  if (sample != nullptr) Run(sample);
}

}  // extern "C"
