// The signal-op operators over edgetf's arithmetic (see edgetf_signal_tflm.h). Compiled
// to nothing unless the generated op_resolver.h (or the build) defines EDGETF_OWN_SIGNAL:
// on boards whose TFLM has the signal library this file must not register a second set.
//
// Contracts are TFLM's (signal/micro/kernels, tflite-micro 90b983c): the same inputs and
// outputs, types and ranks, the options read from the same flexbuffer map (by key here,
// and every key the kernel needs must be present), the spectral subtraction's noise
// estimate zeroed at Prepare and at every interpreter reset. The Prepare checks go
// further than TFLM's where TFLM would read or write out of bounds (sizes that do not
// match the options, filter-bank tables that point outside the spectrum): such a model
// fails at AllocateTensors or Invoke with a message instead.
//
// Reset: the TFLM of 2023 has no reset callback; its MicroInterpreter::Reset() calls
// every operator's free() instead. The spectral subtraction registers its state reset as
// free() (its state is arena memory, nothing is released) and, where the registration
// has a reset member (TFLM since 2024), as reset() too.
//
// Memory (arena), per op: Window, Energy, PCAN, Log: 8 bytes of options; FilterBank:
// 8; SpectralSubtraction: 44 + 4 per channel; Rfft: 20 + the FFT's tables and work
// buffer (edgetf::signal::RfftBytes: 5 * fft_length + 76 on a 32-bit board for int16,
// RfftFloatBytes: 10 * fft_length + 76 for float), plus a scratch frame (fft_length
// values) only when frames are shorter than the FFT. The rest is
// Prepare's temporary tensors (TFLM's own kernels take the same).
#include "op_resolver.h"

#if defined(EDGETF_OWN_SIGNAL)

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "edgetf_signal.h"
#include "edgetf_signal_tflm.h"
#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/flatbuffer_utils.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_context.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {
namespace {

namespace sig = ::edgetf::EDGETF_LIBRARY_NS::signal;

// --- options --------------------------------------------------------------------------

// Reads int options by key; remembers the first missing one.
class Options {
 public:
  Options(const char* buffer, std::size_t length)
      : data_(reinterpret_cast<const uint8_t*>(buffer)), length_(length) {}
  int32_t Int(const char* key) {
    const flexbuffers::Reference value = Find(key);
    return value.IsNull() ? 0 : value.AsInt32();
  }
  bool Bool(const char* key) {
    const flexbuffers::Reference value = Find(key);
    return value.IsNull() ? false : value.AsBool();
  }
  const char* missing() const { return missing_; }

 private:
  flexbuffers::Reference Find(const char* key) {
    flexbuffers::Reference value;  // null
    if (data_ != nullptr && length_ > 0) {
      value = flexbuffers::GetRoot(data_, length_).AsMap()[key];
    }
    if (value.IsNull() && missing_ == nullptr) missing_ = key;
    return value;
  }
  const uint8_t* data_;
  std::size_t length_;
  const char* missing_ = nullptr;
};

// Every operator's options start with this: the missing key (nullptr when all were
// there), reported by Prepare, where an error can be returned.
struct Head {
  const char* missing;
};

template <typename T>
T* NewParams(TfLiteContext* context) {
  void* memory = context->AllocatePersistentBuffer(context, sizeof(T));
  if (memory == nullptr) return nullptr;
  std::memset(memory, 0, sizeof(T));
  return static_cast<T*>(memory);
}

TfLiteStatus Refuse(const char* op, const char* what) {
  MicroPrintf("%s: %s", op, what);
  return kTfLiteError;
}

bool OptionsRead(const char* op, const void* params) {
  if (params == nullptr) {
    MicroPrintf("%s: no arena left for its options", op);
    return false;
  }
  const Head* head = static_cast<const Head*>(params);
  if (head->missing != nullptr) {
    MicroPrintf("%s: option '%s' missing from the model", op, head->missing);
    return false;
  }
  return true;
}

// --- tensors at Prepare -----------------------------------------------------------------

int ElementCount(const TfLiteTensor* t) {
  int count = 1;
  for (int i = 0; i < t->dims->size; ++i) count *= t->dims->data[i];
  return count;
}

// The node's tensors as temporaries, freed when it goes out of scope.
class Temps {
 public:
  Temps(TfLiteContext* context, TfLiteNode* node, const char* op)
      : micro_(tflite::GetMicroContext(context)), node_(node), op_(op) {}
  ~Temps() {
    for (int i = 0; i < count_; ++i) micro_->DeallocateTempTfLiteTensor(held_[i]);
  }
  // Input or output `index`, of `type` and `rank` (-1: any rank); nullptr (after a
  // message) when absent or of another kind.
  TfLiteTensor* In(int index, TfLiteType type, int rank) {
    return Check(micro_->AllocateTempInputTensor(node_, index), "input", index, type, rank);
  }
  TfLiteTensor* Out(int index, TfLiteType type, int rank) {
    return Check(micro_->AllocateTempOutputTensor(node_, index), "output", index, type, rank);
  }
  bool Counts(int inputs, int outputs) {
    if (node_->inputs->size == inputs && node_->outputs->size == outputs) return true;
    MicroPrintf("%s: %d inputs and %d outputs, %d and %d expected", op_, node_->inputs->size,
                node_->outputs->size, inputs, outputs);
    return false;
  }

 private:
  TfLiteTensor* Check(TfLiteTensor* t, const char* kind, int index, TfLiteType type,
                      int rank) {
    if (t == nullptr) {
      MicroPrintf("%s: %s %d missing", op_, kind, index);
      return nullptr;
    }
    if (count_ < kMaxHeld) held_[count_++] = t;
    if (t->type != type || (rank >= 0 && t->dims->size != rank) ||
        (rank < 0 && t->dims->size < 1)) {
      MicroPrintf("%s: %s %d is %s of rank %d; the kernel takes %s of rank %d", op_, kind,
                  index, TfLiteTypeGetName(t->type), t->dims->size, TfLiteTypeGetName(type),
                  rank);
      return nullptr;
    }
    return t;
  }
  static constexpr int kMaxHeld = 8;
  tflite::MicroContext* micro_;
  TfLiteNode* node_;
  const char* op_;
  TfLiteTensor* held_[kMaxHeld] = {};
  int count_ = 0;
};

template <typename T>
const T* InData(TfLiteContext* context, TfLiteNode* node, int index) {
  return static_cast<const T*>(tflite::micro::GetEvalInput(context, node, index)->data.data);
}

template <typename T>
T* OutData(TfLiteContext* context, TfLiteNode* node, int index) {
  return static_cast<T*>(tflite::micro::GetEvalOutput(context, node, index)->data.data);
}

int EvalCount(const TfLiteEvalTensor* t) {
  int count = 1;
  for (int i = 0; i < t->dims->size; ++i) count *= t->dims->data[i];
  return count;
}

// --- SignalWindow ---------------------------------------------------------------------

struct WindowParams {
  Head head;
  int32_t shift;
};

void* WindowInit(TfLiteContext* context, const char* buffer, std::size_t length) {
  WindowParams* p = NewParams<WindowParams>(context);
  if (p == nullptr) return nullptr;
  Options options(buffer, length);
  p->shift = options.Int("shift");
  p->head.missing = options.missing();
  return p;
}

TfLiteStatus WindowPrepare(TfLiteContext* context, TfLiteNode* node) {
  constexpr const char* kOp = "SignalWindow";
  const auto* p = static_cast<const WindowParams*>(node->user_data);
  if (!OptionsRead(kOp, p)) return kTfLiteError;
  Temps t(context, node, kOp);
  if (!t.Counts(2, 1)) return kTfLiteError;
  TfLiteTensor* in = t.In(0, kTfLiteInt16, -1);
  TfLiteTensor* weights = t.In(1, kTfLiteInt16, 1);
  TfLiteTensor* out = t.Out(0, kTfLiteInt16, -1);
  if (in == nullptr || weights == nullptr || out == nullptr) return kTfLiteError;
  const int n = ElementCount(in);
  const int w = ElementCount(weights);
  if (in->dims->size != out->dims->size || n != ElementCount(out) || w == 0 || n % w != 0) {
    return Refuse(kOp, "the output must be the input's shape, a whole number of windows");
  }
  if (p->shift < 0 || p->shift > 31) return Refuse(kOp, "shift must be 0 to 31");
  return kTfLiteOk;
}

TfLiteStatus WindowEval(TfLiteContext* context, TfLiteNode* node) {
  const auto* p = static_cast<const WindowParams*>(node->user_data);
  const TfLiteEvalTensor* in = tflite::micro::GetEvalInput(context, node, 0);
  const TfLiteEvalTensor* weights = tflite::micro::GetEvalInput(context, node, 1);
  const int n = EvalCount(in);
  const int w = weights->dims->data[0];
  const int16_t* x = static_cast<const int16_t*>(in->data.data);
  int16_t* y = OutData<int16_t>(context, node, 0);
  for (int i = 0; i < n; i += w) {
    sig::ApplyWindow(x + i, static_cast<const int16_t*>(weights->data.data), w, p->shift,
                     y + i);
  }
  return kTfLiteOk;
}

// --- SignalFftAutoScale -----------------------------------------------------------------

TfLiteStatus AutoScalePrepare(TfLiteContext* context, TfLiteNode* node) {
  constexpr const char* kOp = "SignalFftAutoScale";
  Temps t(context, node, kOp);
  if (!t.Counts(1, 2)) return kTfLiteError;
  TfLiteTensor* in = t.In(0, kTfLiteInt16, 1);
  TfLiteTensor* out = t.Out(0, kTfLiteInt16, 1);
  TfLiteTensor* shift = t.Out(1, kTfLiteInt32, 0);
  if (in == nullptr || out == nullptr || shift == nullptr) return kTfLiteError;
  if (ElementCount(in) != ElementCount(out)) return Refuse(kOp, "output length != input's");
  return kTfLiteOk;
}

TfLiteStatus AutoScaleEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteEvalTensor* in = tflite::micro::GetEvalInput(context, node, 0);
  *OutData<int32_t>(context, node, 1) = sig::FftAutoScale(
      static_cast<const int16_t*>(in->data.data), EvalCount(in), OutData<int16_t>(context,
                                                                                  node, 0));
  return kTfLiteOk;
}

// --- SignalRfft -------------------------------------------------------------------------

struct RfftParams {
  Head head;
  int32_t fft_length;
  int32_t type;          // the schema's TensorType: 7 int16, 0 float32
  int32_t frame_length;  // the input's last dimension
  int scratch;           // -1: frames are read in place
  sig::Rfft* fft;        // int16
  sig::RfftFloat* fft_float;
};

constexpr int32_t kTypeFloat32 = 0;
constexpr int32_t kTypeInt16 = 7;

void* RfftInit(TfLiteContext* context, const char* buffer, std::size_t length) {
  RfftParams* p = NewParams<RfftParams>(context);
  if (p == nullptr) return nullptr;
  Options options(buffer, length);
  p->type = options.Int("T");
  p->fft_length = options.Int("fft_length");
  p->head.missing = options.missing();
  p->scratch = -1;
  if (p->head.missing != nullptr) return p;
  if (p->type == kTypeInt16) {
    const std::size_t bytes = sig::RfftBytes(p->fft_length);
    if (bytes != 0) {
      p->fft = sig::RfftMake(p->fft_length, context->AllocatePersistentBuffer(context, bytes),
                             bytes);
    }
  } else if (p->type == kTypeFloat32) {
    const std::size_t bytes = sig::RfftFloatBytes(p->fft_length);
    if (bytes != 0) {
      p->fft_float = sig::RfftFloatMake(
          p->fft_length, context->AllocatePersistentBuffer(context, bytes), bytes);
    }
  }
  return p;
}

TfLiteStatus RfftPrepare(TfLiteContext* context, TfLiteNode* node) {
  constexpr const char* kOp = "SignalRfft";
  auto* p = static_cast<RfftParams*>(node->user_data);
  if (!OptionsRead(kOp, p)) return kTfLiteError;
  if (p->type != kTypeInt16 && p->type != kTypeFloat32) {
    return Refuse(kOp, "edgetf's kernel computes int16 (T = 7) and float32 (T = 0) FFTs only");
  }
  if (!sig::RfftLengthSupported(p->fft_length)) {
    return Refuse(kOp, "fft_length must be a power of two from 8 to 32768");
  }
  if (p->fft == nullptr && p->fft_float == nullptr) {
    return Refuse(kOp, "no arena left for the FFT's tables");
  }
  const TfLiteType type = p->type == kTypeInt16 ? kTfLiteInt16 : kTfLiteFloat32;
  const std::size_t value_bytes = p->type == kTypeInt16 ? sizeof(int16_t) : sizeof(float);
  Temps t(context, node, kOp);
  if (!t.Counts(1, 1)) return kTfLiteError;
  TfLiteTensor* in = t.In(0, type, -1);
  TfLiteTensor* out = t.Out(0, type, -1);
  if (in == nullptr || out == nullptr) return kTfLiteError;
  p->frame_length = in->dims->data[in->dims->size - 1];
  const int frames = p->frame_length > 0 ? ElementCount(in) / p->frame_length : 0;
  if (in->dims->size != out->dims->size || p->frame_length > p->fft_length ||
      out->dims->data[out->dims->size - 1] != p->fft_length + 2 ||
      ElementCount(out) != frames * (p->fft_length + 2)) {
    return Refuse(kOp, "shapes do not fit fft_length (frames of at most fft_length samples "
                       "in, fft_length + 2 values per frame out)");
  }
  if (p->frame_length < p->fft_length) {
    // Shorter frames are zero-padded in a scratch buffer, as TFLM's kernel does.
    return context->RequestScratchBufferInArena(
        context, value_bytes * static_cast<std::size_t>(p->fft_length), &p->scratch);
  }
  return kTfLiteOk;
}

// Each frame of `in` (frame_length values, zero-padded to fft_length in `padded` when
// shorter) through `apply` into fft_length / 2 + 1 complex values of `out`.
template <typename T, typename C, typename Apply>
void EachFrame(const RfftParams& p, const T* in, int n, T* padded, C* out, Apply apply) {
  for (int at = 0; at < n; at += p.frame_length) {
    const T* frame = in + at;
    if (padded != nullptr) {
      std::memcpy(padded, frame, sizeof(T) * static_cast<std::size_t>(p.frame_length));
      std::memset(padded + p.frame_length, 0,
                  sizeof(T) * static_cast<std::size_t>(p.fft_length - p.frame_length));
      frame = padded;
    }
    apply(frame, out);
    out += p.fft_length / 2 + 1;
  }
}

TfLiteStatus RfftEval(TfLiteContext* context, TfLiteNode* node) {
  const auto* p = static_cast<const RfftParams*>(node->user_data);
  const TfLiteEvalTensor* in = tflite::micro::GetEvalInput(context, node, 0);
  void* scratch = p->scratch >= 0 ? context->GetScratchBuffer(context, p->scratch) : nullptr;
  const int n = EvalCount(in);
  if (p->fft != nullptr) {
    EachFrame(*p, static_cast<const int16_t*>(in->data.data), n,
              static_cast<int16_t*>(scratch),
              reinterpret_cast<sig::Cpx16*>(OutData<int16_t>(context, node, 0)),
              [p](const int16_t* frame, sig::Cpx16* y) { sig::RfftApply(p->fft, frame, y); });
  } else {
    EachFrame(*p, static_cast<const float*>(in->data.data), n, static_cast<float*>(scratch),
              reinterpret_cast<sig::CpxF*>(OutData<float>(context, node, 0)),
              [p](const float* frame, sig::CpxF* y) {
                sig::RfftFloatApply(p->fft_float, frame, y);
              });
  }
  return kTfLiteOk;
}

// --- SignalEnergy -----------------------------------------------------------------------

struct EnergyParams {
  Head head;
  int32_t start;
  int32_t end;
};

void* EnergyInit(TfLiteContext* context, const char* buffer, std::size_t length) {
  EnergyParams* p = NewParams<EnergyParams>(context);
  if (p == nullptr) return nullptr;
  Options options(buffer, length);
  p->end = options.Int("end_index");
  p->start = options.Int("start_index");
  p->head.missing = options.missing();
  return p;
}

TfLiteStatus EnergyPrepare(TfLiteContext* context, TfLiteNode* node) {
  constexpr const char* kOp = "SignalEnergy";
  const auto* p = static_cast<const EnergyParams*>(node->user_data);
  if (!OptionsRead(kOp, p)) return kTfLiteError;
  Temps t(context, node, kOp);
  if (!t.Counts(1, 1)) return kTfLiteError;
  TfLiteTensor* in = t.In(0, kTfLiteInt16, 1);
  TfLiteTensor* out = t.Out(0, kTfLiteUInt32, 1);
  if (in == nullptr || out == nullptr) return kTfLiteError;
  if (p->start < 0 || p->start > p->end || p->end > ElementCount(out) ||
      2 * p->end > ElementCount(in)) {
    return Refuse(kOp, "start_index..end_index lies outside the spectrum");
  }
  return kTfLiteOk;
}

TfLiteStatus EnergyEval(TfLiteContext* context, TfLiteNode* node) {
  const auto* p = static_cast<const EnergyParams*>(node->user_data);
  sig::Energy(reinterpret_cast<const sig::Cpx16*>(InData<int16_t>(context, node, 0)),
              p->start, p->end, OutData<uint32_t>(context, node, 0));
  return kTfLiteOk;
}

// --- SignalFilterBank -------------------------------------------------------------------

struct FilterBankParams {
  Head head;
  int32_t channels;
};

void* FilterBankInit(TfLiteContext* context, const char* buffer, std::size_t length) {
  FilterBankParams* p = NewParams<FilterBankParams>(context);
  if (p == nullptr) return nullptr;
  Options options(buffer, length);
  p->channels = options.Int("num_channels");
  p->head.missing = options.missing();
  return p;
}

TfLiteStatus FilterBankPrepare(TfLiteContext* context, TfLiteNode* node) {
  constexpr const char* kOp = "SignalFilterBank";
  const auto* p = static_cast<const FilterBankParams*>(node->user_data);
  if (!OptionsRead(kOp, p)) return kTfLiteError;
  Temps t(context, node, kOp);
  if (!t.Counts(6, 1)) return kTfLiteError;
  TfLiteTensor* energy = t.In(0, kTfLiteUInt32, 1);
  TfLiteTensor* tables[5];
  for (int i = 0; i < 5; ++i) {
    tables[i] = t.In(1 + i, kTfLiteInt16, 1);
    if (tables[i] == nullptr) return kTfLiteError;
  }
  TfLiteTensor* out = t.Out(0, kTfLiteUInt64, 1);
  if (energy == nullptr || out == nullptr) return kTfLiteError;
  if (p->channels < 1 || ElementCount(out) != p->channels ||
      ElementCount(tables[0]) != ElementCount(tables[1]) ||
      ElementCount(tables[2]) < p->channels + 1 || ElementCount(tables[3]) < p->channels + 1 ||
      ElementCount(tables[4]) < p->channels + 1) {
    return Refuse(kOp, "num_channels does not fit the output or the channel tables");
  }
  return kTfLiteOk;
}

TfLiteStatus FilterBankEval(TfLiteContext* context, TfLiteNode* node) {
  const auto* p = static_cast<const FilterBankParams*>(node->user_data);
  const TfLiteEvalTensor* energy = tflite::micro::GetEvalInput(context, node, 0);
  sig::FilterBankTables tables;
  tables.channels = p->channels;
  tables.weights = InData<int16_t>(context, node, 1);
  tables.unweights = InData<int16_t>(context, node, 2);
  tables.frequency_starts = InData<int16_t>(context, node, 3);
  tables.weight_starts = InData<int16_t>(context, node, 4);
  tables.widths = InData<int16_t>(context, node, 5);
  tables.weight_count = EvalCount(tflite::micro::GetEvalInput(context, node, 1));
  if (!sig::FilterBankTablesFit(tables, EvalCount(energy))) {
    return Refuse("SignalFilterBank", "its tables name bins or weights outside the arrays");
  }
  sig::FilterBank(tables, static_cast<const uint32_t*>(energy->data.data),
                  OutData<uint64_t>(context, node, 0));
  return kTfLiteOk;
}

// --- SignalFilterBankSquareRoot ---------------------------------------------------------

TfLiteStatus SquareRootPrepare(TfLiteContext* context, TfLiteNode* node) {
  constexpr const char* kOp = "SignalFilterBankSquareRoot";
  Temps t(context, node, kOp);
  if (!t.Counts(2, 1)) return kTfLiteError;
  TfLiteTensor* in = t.In(0, kTfLiteUInt64, 1);
  TfLiteTensor* shift = t.In(1, kTfLiteInt32, 0);
  TfLiteTensor* out = t.Out(0, kTfLiteUInt32, 1);
  if (in == nullptr || shift == nullptr || out == nullptr) return kTfLiteError;
  if (ElementCount(in) != ElementCount(out)) return Refuse(kOp, "output length != input's");
  return kTfLiteOk;
}

TfLiteStatus SquareRootEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteEvalTensor* in = tflite::micro::GetEvalInput(context, node, 0);
  sig::FilterBankSquareRoot(static_cast<const uint64_t*>(in->data.data), EvalCount(in),
                            *InData<int32_t>(context, node, 1),
                            OutData<uint32_t>(context, node, 0));
  return kTfLiteOk;
}

// --- SignalFilterBankSpectralSubtraction -----------------------------------------------

struct SubtractionParams {
  Head head;
  sig::SpectralSubtractionOptions options;
  uint32_t* noise;
};

void SubtractionReset(TfLiteContext*, void* buffer) {
  auto* p = static_cast<SubtractionParams*>(buffer);
  if (p != nullptr && p->noise != nullptr) {
    std::memset(p->noise, 0, sizeof(uint32_t) * static_cast<std::size_t>(p->options.channels));
  }
}

void* SubtractionInit(TfLiteContext* context, const char* buffer, std::size_t length) {
  SubtractionParams* p = NewParams<SubtractionParams>(context);
  if (p == nullptr) return nullptr;
  Options options(buffer, length);
  sig::SpectralSubtractionOptions& o = p->options;
  o.alternate_one_minus_smoothing =
      static_cast<uint32_t>(options.Int("alternate_one_minus_smoothing"));
  o.alternate_smoothing = static_cast<uint32_t>(options.Int("alternate_smoothing"));
  o.clamping = options.Bool("clamping");
  o.min_signal_remaining = static_cast<uint32_t>(options.Int("min_signal_remaining"));
  o.channels = options.Int("num_channels");
  o.one_minus_smoothing = static_cast<uint32_t>(options.Int("one_minus_smoothing"));
  o.smoothing = static_cast<uint32_t>(options.Int("smoothing"));
  o.smoothing_bits = static_cast<uint32_t>(options.Int("smoothing_bits"));
  o.spectral_subtraction_bits = static_cast<uint32_t>(options.Int("spectral_subtraction_bits"));
  p->head.missing = options.missing();
  if (p->head.missing == nullptr && o.channels > 0) {
    p->noise = static_cast<uint32_t*>(context->AllocatePersistentBuffer(
        context, sizeof(uint32_t) * static_cast<std::size_t>(o.channels)));
  }
  return p;
}

TfLiteStatus SubtractionPrepare(TfLiteContext* context, TfLiteNode* node) {
  constexpr const char* kOp = "SignalFilterBankSpectralSubtraction";
  auto* p = static_cast<SubtractionParams*>(node->user_data);
  if (!OptionsRead(kOp, p)) return kTfLiteError;
  Temps t(context, node, kOp);
  if (!t.Counts(1, 2)) return kTfLiteError;
  TfLiteTensor* in = t.In(0, kTfLiteUInt32, 1);
  TfLiteTensor* out = t.Out(0, kTfLiteUInt32, 1);
  TfLiteTensor* noise = t.Out(1, kTfLiteUInt32, 1);
  if (in == nullptr || out == nullptr || noise == nullptr) return kTfLiteError;
  const int32_t c = p->options.channels;
  if (c < 1 || ElementCount(in) != c || ElementCount(out) != c || ElementCount(noise) != c) {
    return Refuse(kOp, "num_channels does not fit the input and outputs");
  }
  if (p->options.smoothing_bits > 31 || p->options.spectral_subtraction_bits > 63) {
    return Refuse(kOp, "smoothing_bits or spectral_subtraction_bits out of range");
  }
  if (p->noise == nullptr) return Refuse(kOp, "no arena left for the noise estimate");
  SubtractionReset(context, p);
  return kTfLiteOk;
}

TfLiteStatus SubtractionEval(TfLiteContext* context, TfLiteNode* node) {
  auto* p = static_cast<SubtractionParams*>(node->user_data);
  sig::SpectralSubtraction(p->options, InData<uint32_t>(context, node, 0), p->noise,
                           OutData<uint32_t>(context, node, 0));
  std::memcpy(OutData<uint32_t>(context, node, 1), p->noise,
              sizeof(uint32_t) * static_cast<std::size_t>(p->options.channels));
  return kTfLiteOk;
}

// --- SignalPCAN -------------------------------------------------------------------------

struct PcanParams {
  Head head;
  int32_t snr_shift;
};

void* PcanInit(TfLiteContext* context, const char* buffer, std::size_t length) {
  PcanParams* p = NewParams<PcanParams>(context);
  if (p == nullptr) return nullptr;
  Options options(buffer, length);
  p->snr_shift = options.Int("snr_shift");
  p->head.missing = options.missing();
  return p;
}

TfLiteStatus PcanPrepare(TfLiteContext* context, TfLiteNode* node) {
  constexpr const char* kOp = "SignalPCAN";
  const auto* p = static_cast<const PcanParams*>(node->user_data);
  if (!OptionsRead(kOp, p)) return kTfLiteError;
  Temps t(context, node, kOp);
  if (!t.Counts(3, 1)) return kTfLiteError;
  TfLiteTensor* in = t.In(0, kTfLiteUInt32, 1);
  TfLiteTensor* noise = t.In(1, kTfLiteUInt32, 1);
  TfLiteTensor* lut = t.In(2, kTfLiteInt16, 1);
  TfLiteTensor* out = t.Out(0, kTfLiteUInt32, 1);
  if (in == nullptr || noise == nullptr || lut == nullptr || out == nullptr) {
    return kTfLiteError;
  }
  const int n = ElementCount(in);
  if (ElementCount(noise) != n || ElementCount(out) != n) {
    return Refuse(kOp, "the noise estimate and output must be as long as the input");
  }
  if (ElementCount(lut) < sig::kPcanLutEntries) {
    return Refuse(kOp, "the gain table has fewer than 125 entries");
  }
  return kTfLiteOk;
}

TfLiteStatus PcanEval(TfLiteContext* context, TfLiteNode* node) {
  const auto* p = static_cast<const PcanParams*>(node->user_data);
  const TfLiteEvalTensor* in = tflite::micro::GetEvalInput(context, node, 0);
  sig::Pcan(static_cast<const uint32_t*>(in->data.data), InData<uint32_t>(context, node, 1),
            InData<int16_t>(context, node, 2), p->snr_shift, EvalCount(in),
            OutData<uint32_t>(context, node, 0));
  return kTfLiteOk;
}

// --- SignalFilterBankLog ----------------------------------------------------------------

struct LogParams {
  Head head;
  int32_t correction_bits;
  int32_t output_scale;
};

void* LogInit(TfLiteContext* context, const char* buffer, std::size_t length) {
  LogParams* p = NewParams<LogParams>(context);
  if (p == nullptr) return nullptr;
  Options options(buffer, length);
  p->correction_bits = options.Int("input_correction_bits");
  p->output_scale = options.Int("output_scale");
  p->head.missing = options.missing();
  return p;
}

TfLiteStatus LogPrepare(TfLiteContext* context, TfLiteNode* node) {
  constexpr const char* kOp = "SignalFilterBankLog";
  const auto* p = static_cast<const LogParams*>(node->user_data);
  if (!OptionsRead(kOp, p)) return kTfLiteError;
  Temps t(context, node, kOp);
  if (!t.Counts(1, 1)) return kTfLiteError;
  TfLiteTensor* in = t.In(0, kTfLiteUInt32, 1);
  TfLiteTensor* out = t.Out(0, kTfLiteInt16, 1);
  if (in == nullptr || out == nullptr) return kTfLiteError;
  if (ElementCount(in) != ElementCount(out)) return Refuse(kOp, "output length != input's");
  if (p->correction_bits < 0 || p->correction_bits > 31) {
    return Refuse(kOp, "input_correction_bits must be 0 to 31");
  }
  return kTfLiteOk;
}

TfLiteStatus LogEval(TfLiteContext* context, TfLiteNode* node) {
  const auto* p = static_cast<const LogParams*>(node->user_data);
  const TfLiteEvalTensor* in = tflite::micro::GetEvalInput(context, node, 0);
  sig::FilterBankLog(static_cast<const uint32_t*>(in->data.data), EvalCount(in),
                     p->output_scale, p->correction_bits, OutData<int16_t>(context, node, 0));
  return kTfLiteOk;
}

// --- registrations ----------------------------------------------------------------------

// Sets `reset` where the registration type has one (TFLM since 2024).
template <typename R>
auto SetReset(R* r, void (*reset)(TfLiteContext*, void*), int)
    -> decltype(r->reset = reset, void()) {
  r->reset = reset;
}
template <typename R>
void SetReset(R*, void (*)(TfLiteContext*, void*), long) {}

}  // namespace

SignalRegistration* SignalWindowRegistration() {
  static SignalRegistration r = tflite::micro::RegisterOp(WindowInit, WindowPrepare, WindowEval);
  return &r;
}

SignalRegistration* SignalFftAutoScaleRegistration() {
  static SignalRegistration r =
      tflite::micro::RegisterOp(nullptr, AutoScalePrepare, AutoScaleEval);
  return &r;
}

SignalRegistration* SignalRfftRegistration() {
  static SignalRegistration r = tflite::micro::RegisterOp(RfftInit, RfftPrepare, RfftEval);
  return &r;
}

SignalRegistration* SignalEnergyRegistration() {
  static SignalRegistration r = tflite::micro::RegisterOp(EnergyInit, EnergyPrepare, EnergyEval);
  return &r;
}

SignalRegistration* SignalFilterBankRegistration() {
  static SignalRegistration r =
      tflite::micro::RegisterOp(FilterBankInit, FilterBankPrepare, FilterBankEval);
  return &r;
}

SignalRegistration* SignalFilterBankSquareRootRegistration() {
  static SignalRegistration r =
      tflite::micro::RegisterOp(nullptr, SquareRootPrepare, SquareRootEval);
  return &r;
}

SignalRegistration* SignalFilterBankSpectralSubtractionRegistration() {
  static SignalRegistration r = [] {
    SignalRegistration made = tflite::micro::RegisterOp(SubtractionInit, SubtractionPrepare,
                                                        SubtractionEval, SubtractionReset);
    SetReset(&made, SubtractionReset, 0);
    return made;
  }();
  return &r;
}

SignalRegistration* SignalPcanRegistration() {
  static SignalRegistration r = tflite::micro::RegisterOp(PcanInit, PcanPrepare, PcanEval);
  return &r;
}

SignalRegistration* SignalFilterBankLogRegistration() {
  static SignalRegistration r = tflite::micro::RegisterOp(LogInit, LogPrepare, LogEval);
  return &r;
}

}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

#endif  // EDGETF_OWN_SIGNAL
