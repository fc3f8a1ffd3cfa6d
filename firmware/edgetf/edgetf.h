/* edgetf: the types and status codes of every generated inferencing library.
 *
 * Hand-written and the same in every library edgetf emits. The functions themselves
 * carry each library's prefix and are declared in its umbrella header,
 * <name>_inferencing.h (<name>_init, <name>_self_test, <name>_run, ...), so that
 * libraries emitted for different models link into one program. Plain C so that C
 * sketches and C++ callers use it alike.
 *
 * Two libraries of the same edgetf version carry this file byte for byte; whichever copy
 * a translation unit finds first is the one it uses (the include guard skips the other).
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
  EDGETF_ERROR_NOT_INITIALIZED = -4, /* call <name>_init first */
  EDGETF_ERROR_INVOKE = -5,          /* the interpreter's Invoke failed */
  EDGETF_ERROR_ARGUMENT = -6,        /* a NULL pointer or a wrong element count */
  EDGETF_ERROR_TYPE = -7,            /* the call does not fit the tensor's type */
  EDGETF_ERROR_NO_GOLDEN = -8,       /* the library holds no golden vectors */
  EDGETF_ERROR_MODEL_MISMATCH = -9,  /* the model array and model_metadata.h disagree */
  EDGETF_ERROR_OUT_OF_MEMORY = -10,  /* a heap arena could not be allocated */
  EDGETF_ERROR_FRONT_END = -11       /* the front end's graph failed (init or Invoke) */
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

/* What <name>_run reports. */
typedef struct {
  int label_index;        /* index of the highest output value */
  const char* label;      /* its label, or NULL when the library has no label for it */
  float score;            /* its dequantized value */
  uint32_t microseconds;  /* time spent in Invoke (0 when no clock is available) */
} edgetf_result;

/* What <name>_classify and <name>_classify_float report (libraries with a front end): the
 * shape of Edge Impulse's run_classifier result. `scores` points into the library's own
 * buffer of `score_count` dequantized scores, valid until the next classify or push_samples
 * call. */
typedef struct {
  int label_index;            /* index of the highest score */
  const char* label;          /* its label, or NULL when the library has no label for it */
  float score;                /* its dequantized value */
  const float* scores;        /* every label's score */
  size_t score_count;
  uint32_t dsp_microseconds;  /* time spent in the front end (0 without a clock) */
  uint32_t microseconds;      /* time spent in the model's Invoke */
} edgetf_classification;

/* A keyword <name>_push_samples reported. */
typedef struct {
  int label_index;  /* the label heard */
  const char* label;
  float score;      /* its score averaged over the recognizer's window, dequantized */
  uint32_t time_ms; /* stream time of the report: samples pushed since the last reset */
} edgetf_detection;

/* The first disagreement found by the last <name>_self_test. */
typedef struct {
  int vector;       /* golden vector number, from 0 */
  int output;       /* model output number, from 0 */
  size_t index;     /* element within that output */
  double expected;  /* value the TFLM interpreter in Python produced */
  double actual;    /* value this build produced */
} edgetf_mismatch;

/* What the demo functions (<name>_demo_begin) print through. */
typedef void (*edgetf_writer)(const char* text);

/* One line describing a status code, for logs. Static inline: every library and the
 * application may use it without a symbol that two libraries would both define. */
static inline const char* edgetf_status_text(int status) {
  switch (status) {
    case EDGETF_OK: return "ok";
    case EDGETF_ERROR_SCHEMA: return "the model's schema version is not this TFLM's";
    case EDGETF_ERROR_OPS: return "an op could not be registered in the resolver";
    case EDGETF_ERROR_ALLOCATION:
      return "AllocateTensors failed: the arena is too small or a kernel refused the model";
    case EDGETF_ERROR_NOT_INITIALIZED: return "init has not succeeded";
    case EDGETF_ERROR_INVOKE: return "the interpreter's Invoke failed";
    case EDGETF_ERROR_ARGUMENT: return "a NULL pointer or a wrong element count";
    case EDGETF_ERROR_TYPE: return "the call does not fit the tensor's type";
    case EDGETF_ERROR_NO_GOLDEN: return "the library holds no golden vectors";
    case EDGETF_ERROR_MODEL_MISMATCH: return "the model array and model_metadata.h disagree";
    case EDGETF_ERROR_OUT_OF_MEMORY: return "the arena could not be allocated on the heap";
    case EDGETF_ERROR_FRONT_END: return "the front end's graph failed to allocate or run";
    default: return status > 0 ? "outputs differ from the golden vectors" : "unknown error";
  }
}

/* Only in libraries built with EDGETF_ARENA_IN_PSRAM=1: the board's main defines it once
 * and returns `bytes` of external RAM aligned to 16 (or NULL), which <name>_init takes as
 * the arena (every such library calls it once). The libraries stay free of board SDK
 * calls. */
void* edgetf_platform_alloc_arena(size_t bytes);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* EDGETF_EDGETF_H_ */
