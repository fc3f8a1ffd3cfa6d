// edgetf's LUT decoder: expands a look-up-table compressed tensor (TFLM's DECODE
// format, decode type 0) into its values. Hand-written from the format, not from TFLM.
//
// No TFLM header is needed here (only the C++ standard library), so the host tests
// build and check this part alone; edgetf_lut_decode_tflm.cc wraps it as the
// TFLM_DECODE custom operator for boards whose TFLM has no DECODE kernel.
//
// The format (tflite-micro's compression/lut.py and decode.py, and the
// DecodeStateLut kernel of tflite-micro 90b983c / esp-tflite-micro 1.4.0):
//
// * indices: one b-bit index per element (b = 1..7), element after element, packed
//   most significant bit first ("big-endian bit order"); the last byte is padded with
//   zero bits.
// * ancillary: a 16-byte header, then the value tables:
//     byte 0  decode type (0 = LUT),            byte 1  header version (1),
//     byte 4  LUT version (1),
//     byte 5  bits 2-0: b; bits 7-4: the compression axis (0xF: one table),
//     byte 6  value-table stride: entries per channel table,
//     bytes 16..  `channels` tables of `stride` values each, of the output's type.
// * channels: the output tensor's quantization scale count (1 when unquantized).
//   TFLM takes the channel axis from the output's quantized_dimension, not from the
//   header: axis 0 (each channel one contiguous block of elements/channels values),
//   or, when the quantized dimension is the last one and there is more than one
//   channel, the "alternate axis" (the channel index cycles fastest: element i uses
//   table i % channels). Any other quantized dimension is refused.
//
// Validation is stricter than TFLM's (which checks only the two version bytes): every
// size is checked and every index is compared with the stride once, so a damaged model
// fails at AllocateTensors instead of reading past the model's buffers when it runs.
// Two mismatches between the compressed data and the output's quantization, which TFLM
// would decode silently along the wrong axis or with the wrong tables, are refused too:
// a header axis that is not the one the quantization gives, and value tables whose
// count is not the output's channel count (the ancillary tensor must be exactly
// 16 + channels * stride * value-size bytes, which is what tflite-micro writes).
#ifndef EDGETF_LUT_DECODE_H_
#define EDGETF_LUT_DECODE_H_

#include <cstddef>
#include <cstdint>

#include "edgetf_library.h"

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {
namespace lut {

constexpr std::size_t kHeaderBytes = 16;
constexpr uint8_t kDecodeTypeLut = 0;
constexpr uint8_t kHeaderVersion = 1;
constexpr uint8_t kLutVersion = 1;
constexpr int kMaxBitWidth = 7;
constexpr uint8_t kPerTensorAxis = 0xF;

enum Status {
  kOk = 0,
  kShortAncillary,     // fewer than 16 bytes
  kNotLut,             // decode type is not 0 (Huffman, pruning, custom)
  kBadHeaderVersion,   // byte 1 != 1
  kBadLutVersion,      // byte 4 != 1
  kBadBitWidth,        // byte 5 bits 2-0 not in 1..7
  kBadStride,          // byte 6 is 0
  kBadValueType,       // value size not 1, 2, 4 or 8 bytes
  kNoElements,         // the output has no elements
  kBadChannels,        // no channel, or elements not a multiple of channels
  kBadAxis,            // quantized dimension neither 0 nor last; or header disagrees
  kShortValueTables,   // ancillary shorter than 16 + channels * stride * value size
  kExtraValueTables,   // ancillary longer than that: tables for other channels
  kShortIndices,       // fewer index bytes than ceil(elements * b / 8)
  kIndexPastTable,     // an index >= stride (would read another channel's table)
};

// One line of English for a Status, for MicroPrintf.
const char* StatusText(Status status);

// What the three tensors of one DECODE output look like, as the wrapper reads them.
struct TensorFacts {
  const uint8_t* indices;       // the encoded tensor's data
  std::size_t index_bytes;
  const uint8_t* ancillary;     // the ancillary tensor's data
  std::size_t ancillary_bytes;
  std::size_t elements;         // the output's element count
  std::size_t value_bytes;      // the output's element size: 1, 2, 4 or 8
  std::size_t channels;         // the output's scale count; 1 when unquantized
  int quantized_dimension;      // the output's; 0 when unquantized
  int rank;                     // the output's number of dimensions
};

// What decoding needs besides the three data pointers and the element count: 8 bytes,
// the only persistent memory the TFLM wrapper keeps per output.
struct Plan {
  uint32_t channels;
  uint8_t bit_width;
  uint8_t stride;
  uint8_t alternate_axis;  // 1: element i uses table i % channels
  uint8_t value_bytes;
};

// Checks `facts` (header, sizes, every index) and fills `plan`. Nothing is written to
// `plan` unless the result is kOk.
Status MakePlan(const TensorFacts& facts, Plan* plan);

// Writes `elements` values to `out` (elements * plan.value_bytes bytes), from the
// `indices` and `ancillary` data that MakePlan accepted with the same element count.
void Decode(const Plan& plan, const uint8_t* indices, const uint8_t* ancillary,
            std::size_t elements, void* out);

}  // namespace lut
}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

#endif  // EDGETF_LUT_DECODE_H_
