// Stub of the TfLite C types that edgetf_lut_decode_tflm.cc and edgetf_runtime.cc use,
// with the member names of TFLM's tensorflow/lite/c/common.h (2023 and today); only what
// those files read is declared, and the layout is not TFLM's. For host checks only.
#pragma once
#include <cstddef>
#include <cstdint>

typedef enum { kTfLiteOk = 0, kTfLiteError = 1 } TfLiteStatus;
typedef enum {
  kTfLiteNoType = 0, kTfLiteFloat32 = 1, kTfLiteInt32 = 2, kTfLiteUInt8 = 3,
  kTfLiteInt64 = 4, kTfLiteBool = 6, kTfLiteInt16 = 7, kTfLiteInt8 = 9,
} TfLiteType;
typedef enum { kTfLiteNoQuantization = 0, kTfLiteAffineQuantization = 1 }
    TfLiteQuantizationType;
typedef enum { kTfLiteMemNone = 0, kTfLiteMmapRo, kTfLiteArenaRw } TfLiteAllocationType;

typedef struct { int size; int data[]; } TfLiteIntArray;
typedef struct { int size; float data[]; } TfLiteFloatArray;
typedef struct {
  TfLiteFloatArray* scale;
  TfLiteIntArray* zero_point;
  int32_t quantized_dimension;
} TfLiteAffineQuantization;
typedef struct { TfLiteQuantizationType type; void* params; } TfLiteQuantization;
typedef union {
  void* data;
  char* raw;
  float* f;
  int16_t* i16;
  uint8_t* uint8;
  int8_t* int8;
} TfLitePtrUnion;

typedef struct {
  TfLiteType type;
  TfLitePtrUnion data;
  TfLiteIntArray* dims;
  TfLiteAllocationType allocation_type;
  size_t bytes;
  TfLiteQuantization quantization;
} TfLiteTensor;

typedef struct {
  TfLitePtrUnion data;
  TfLiteIntArray* dims;
  TfLiteType type;
} TfLiteEvalTensor;

typedef struct {
  TfLiteIntArray* inputs;
  TfLiteIntArray* outputs;
  void* user_data;
} TfLiteNode;

typedef struct TfLiteContext {
  void* impl_;
  TfLiteEvalTensor* (*GetEvalTensor)(const struct TfLiteContext* context, int tensor_idx);
} TfLiteContext;

// The registration struct: TfLiteRegistration in the TFLM of 2023 (Chirale 2.0.0),
// TFLMRegistration since 2023's end; EDGETF_STUB_TFLM_REGISTRATION picks the newer one.
typedef struct {
  void* (*init)(TfLiteContext* context, const char* buffer, size_t length);
  void (*free)(TfLiteContext* context, void* buffer);
  TfLiteStatus (*prepare)(TfLiteContext* context, TfLiteNode* node);
  TfLiteStatus (*invoke)(TfLiteContext* context, TfLiteNode* node);
  int builtin_code;
  const char* custom_name;
}
#ifdef EDGETF_STUB_TFLM_REGISTRATION
TFLMRegistration;
#else
TfLiteRegistration;
#endif
