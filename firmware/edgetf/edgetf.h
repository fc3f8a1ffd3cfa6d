/* edgetf: the C API of a generated inferencing library.
 *
 * Hand-written and the same in every library edgetf emits; what differs per model
 * lives in the generated headers beside it (model_data.h, model_metadata.h,
 * op_resolver.h, golden_vectors.h). Plain C so that C sketches and C++ callers use it
 * alike; the implementation (edgetf_runtime.cc) is C++17 over TFLM.
 *
 * Typical use:
 *
 *   if (edgetf_init() != EDGETF_OK) { ... print edgetf_status_text(...) ... }
 *   if (edgetf_self_test() != 0) { ... the board disagrees with Python ... }
 *   float scores[16];
 *   edgetf_result result;
 *   edgetf_run(features, edgetf_input_size(), scores, 16, &result);
 *   printf("%s %.3f in %lu us\n", result.label, result.score, result.microseconds);
 *
 * The convenience calls (edgetf_run, edgetf_run_int8) use the model's first input and
 * first output; edgetf_self_test covers every input and output.
 */
#ifndef EDGETF_EDGETF_H_
#define EDGETF_EDGETF_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: 0 is success, every failure is negative. */
typedef enum {
  EDGETF_OK = 0,
  EDGETF_ERROR_SCHEMA = -1,          /* the model's schema version is not TFLM's */
  EDGETF_ERROR_OPS = -2,             /* registering an op in the resolver failed */
  EDGETF_ERROR_ALLOCATION = -3,      /* AllocateTensors failed: the arena is too small */
  EDGETF_ERROR_NOT_INITIALIZED = -4, /* call edgetf_init first */
  EDGETF_ERROR_INVOKE = -5,          /* the interpreter's Invoke failed */
  EDGETF_ERROR_ARGUMENT = -6,        /* a NULL pointer or a wrong element count */
  EDGETF_ERROR_TYPE = -7,            /* the call does not fit the tensor's type */
  EDGETF_ERROR_NO_GOLDEN = -8,       /* the library holds no golden vectors */
  EDGETF_ERROR_MODEL_MISMATCH = -9,  /* the model array and model_metadata.h disagree */
  EDGETF_ERROR_OUT_OF_MEMORY = -10   /* a heap arena could not be allocated */
} edgetf_status;

/* Tensor element types; the values are TFLM's TfLiteType values. */
typedef enum {
  EDGETF_FLOAT32 = 1,
  EDGETF_INT32 = 2,
  EDGETF_UINT8 = 3,
  EDGETF_INT64 = 4,
  EDGETF_BOOL = 6,
  EDGETF_INT16 = 7,
  EDGETF_INT8 = 9
} edgetf_type;

/* What edgetf_run reports. */
typedef struct {
  int label_index;        /* index of the highest output value */
  const char* label;      /* its label, or NULL when the library has no label for it */
  float score;            /* its dequantized value */
  uint32_t microseconds;  /* time spent in Invoke (0 when no clock is available) */
} edgetf_result;

/* The first disagreement found by the last edgetf_self_test. */
typedef struct {
  int vector;       /* golden vector number, from 0 */
  int output;       /* model output number, from 0 */
  size_t index;     /* element within that output */
  double expected;  /* value the TFLM interpreter in Python produced */
  double actual;    /* value this build produced */
} edgetf_mismatch;

/* Set up TFLM, the op resolver and the arena, and allocate tensors. Idempotent.
 * Returns EDGETF_OK or a negative edgetf_status. On EDGETF_ERROR_ALLOCATION, TFLM has
 * already printed (MicroPrintf) how many bytes were missing; raise EDGETF_ARENA_BYTES. */
int edgetf_init(void);

/* Run the embedded golden vectors (inputs and the outputs TFLM produced for them in
 * Python). Returns the number of output values that differ by more than
 * EDGETF_SELF_TEST_TOLERANCE (0 = pass), or a negative edgetf_status. The interpreter
 * is reset before each vector, as the vectors were recorded. */
int edgetf_self_test(void);

/* Whether the last self test found a mismatch; if so, and `mismatch` is not NULL,
 * the first one is copied there. */
int edgetf_self_test_mismatch(edgetf_mismatch* mismatch);

/* Bytes of the arena the interpreter really uses (0 before a successful init). */
size_t edgetf_arena_used_bytes(void);

/* Bytes of the arena the library reserved (EDGETF_ARENA_BYTES). */
size_t edgetf_arena_size(void);

/* Elements of the first input and of the first output. */
size_t edgetf_input_size(void);
size_t edgetf_output_size(void);

/* Number of labels, and label i (NULL when out of range). */
int edgetf_label_count(void);
const char* edgetf_label(int index);

/* A sample input (edgetf_input_size() floats) for demos: the first golden input, as
 * floats. NULL when the library has no golden vectors. */
const float* edgetf_sample_input(void);

/* Float in, result out: quantize `input` with the first input's scale and zero point,
 * run, dequantize the first output into `scores` (when not NULL; `score_count` must
 * then be edgetf_output_size()), and fill `result` (when not NULL) with the top label
 * and the time taken. `input_count` must be edgetf_input_size(). */
int edgetf_run(const float* input, size_t input_count, float* scores, size_t score_count,
               edgetf_result* result);

/* Raw int8 in and out, for models whose first input and output are int8: no
 * quantization, no copies beyond the tensors'. `microseconds` may be NULL. */
int edgetf_run_int8(const int8_t* input, size_t input_count, int8_t* output,
                    size_t output_count, uint32_t* microseconds);

/* One line describing a status code, for logs. */
const char* edgetf_status_text(int status);

/* Give the library a microsecond clock (e.g. Arduino's micros, or esp_timer on
 * ESP-IDF). Without one, timings use std::chrono::steady_clock where the build has it
 * (EDGETF_HAVE_STD_CHRONO, default 1) and are 0 otherwise. */
void edgetf_set_clock(uint32_t (*micros)(void));
/* Only in libraries built with EDGETF_ARENA_IN_PSRAM=1: the board's main defines it and
 * returns `bytes` of external RAM aligned to 16 (or NULL), which edgetf_init takes as the
 * arena. The library itself stays free of board SDK calls. */
void* edgetf_platform_alloc_arena(size_t bytes);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* EDGETF_EDGETF_H_ */
