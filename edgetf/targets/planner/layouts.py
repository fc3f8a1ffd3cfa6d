"""Sizes and alignments of TFLM's structs, per target: the facts the planner multiplies.

The arena holds TFLM's own structs (one TfLiteEvalTensor per tensor, one
NodeAndRegistration per op, kernels' OpData, ...), whose sizes depend on the target's
pointer size and on how TFLM was built (``USE_TFLM_COMPRESSION`` adds fields to the
allocator and to several kernels' OpData). So each target is a :class:`Layout`, a table
of ``sizeof``/``alignof`` pairs, never a scale factor applied to the 64-bit figures.

Provenance: every number below was printed by g++ 12.2.0 (Debian 12.2.0-14) compiling
``sizeof``/``alignof`` expressions, syntax only, against the headers (and, for structs
private to a ``.cc`` file, the ``.cc``) of tflite-micro commit 90b983c2b3f1
(2026-08-20), flatbuffers v25.9.23 and gemmlowp. ``HOST_64_COMPRESSION`` is
``-m64 -DUSE_TFLM_COMPRESSION``: the build of the ``tflite-micro`` wheel, whose
``_runtime.so`` exports ``GetCompressionMetadata``; the arena measurements of
``tests/test_arena_planner.py`` pin it. ``ILP32*`` are ``-m32 -malign-double`` (ARM's
EABI aligns int64 and double to 8, as ``-malign-double`` makes i386 do) and are not yet
pinned by any measurement on a board: they are here for the board tables to come.
The signal library's structs (``signal/micro/kernels/*.cc``, private to each file) were
printed the same way from esp-tflite-micro 1.4.0 (9fee33d), whose ``signal/`` folder is
tflite-micro 90b983c2b3f1's, with ``-m64`` and with ``-m32 -malign-double``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    """One target's struct table: ``structs[name] = (sizeof, alignof)``."""

    name: str
    pointer: int
    compression: bool
    structs: Mapping[str, tuple[int, int]]

    def size(self, struct: str) -> int:
        return self.structs[struct][0]

    def align(self, struct: str) -> int:
        return self.structs[struct][1]


# Structs whose size is the same on every target and build listed here (ints, floats
# and bools only); kernel OpData names follow TFLM's, builtin params are TfLite*Params.
_COMMON: dict[str, tuple[int, int]] = {
    "TfLiteIntArray": (4, 4),  # plus 4 bytes per element (a flexible array member)
    "OpDataAdd": (60, 4),
    "OpDataMul": (36, 4),
    "OpDataSub": (56, 4),  # sub.h: a bool and 13 ints
    "OpDataPooling": (32, 4),
    "OpDataLogistic": (16, 4),
    "OpDataReduce": (44, 4),
    "StridedSliceParams": (84, 4),
    "LeakyReluOpData": (24, 4),
    "OpDataSvdf": (36, 4),
    "OpDataPad": (56, 4),  # pad.h's OpData
    "TfLiteConvParams": (28, 4),
    "TfLiteDepthwiseConvParams": (28, 4),
    "TfLiteFullyConnectedParams": (16, 4),
    "TfLiteSoftmaxParams": (4, 4),
    "TfLiteReshapeParams": (36, 4),
    "TfLiteAddParams": (8, 4),
    "TfLiteSubParams": (8, 4),  # the same fields as TfLiteAddParams
    "TfLiteMulParams": (4, 4),
    "TfLitePoolParams": (40, 4),
    "TfLiteReducerParams": (1, 1),
    "TfLiteStridedSliceParams": (24, 4),
    "TfLiteConcatenationParams": (8, 4),
    "TfLiteTransposeConvParams": (20, 4),
    "TfLiteLeakyReluParams": (4, 4),
    "TfLiteShapeParams": (4, 4), "TfLitePackParams": (8, 4),
    "TfLiteSVDFParams": (12, 4),
    "TfLiteUnidirectionalSequenceLSTMParams": (16, 4),
    "TfLiteCastParams": (8, 4), "TfLiteDivParams": (4, 4),
    "TfLiteGatherParams": (8, 4),  # int axis, batch_dims
    "OpDataDiv": (28, 4),  # div.cc
    # TFLM's signal library, signal/micro/kernels/*.cc (see kernels_signal).
    "TFLMSignalWindowParams": (8, 4), "TFLMSignalEnergyParams": (8, 4),
    "TFLMSignalLogParams": (8, 4), "TfLitePcanParams": (4, 4),
}

# Contain an int64 or a double (8-aligned on both targets), no pointers.
_WITH_8_BYTE_FIELDS: dict[str, tuple[int, int]] = {
    "OpDataQuantizeReference": (32, 8),
    "DequantizeOpData": (32, 8),
    "OpDataLSTM": (688, 8),
}

_HOST_64: dict[str, tuple[int, int]] = {
    **_COMMON,
    **_WITH_8_BYTE_FIELDS,
    "TfLiteEvalTensor": (24, 8),
    "TfLiteTensor": (112, 8),
    "TfLiteAffineQuantization": (24, 8),
    "NodeAndRegistration": (88, 8),
    "SubgraphAllocations": (16, 8),
    "ScratchBufferHandle": (8, 8),
    "ScratchBufferRequest": (16, 8),
    "AllocationInfo": (32, 8),
    "GreedyMemoryPlanner": (72, 8),
    "SingleArenaBufferAllocator": (72, 8),
    "RecordingSingleArenaBufferAllocator": (104, 8),
    "MicroAllocator": (72, 8),
    "RecordingMicroAllocator": (248, 8),
    "MicroBuiltinDataAllocator": (16, 8),  # micro_allocator.cc, anonymous namespace
    "MicroResourceVariables": (16, 8),
    "size_t": (8, 8),
    "void*": (8, 8),
    "OpDataConv": (72, 8),
    "OpDataFullyConnected": (64, 8),
    "SoftmaxParams": (80, 8),
    "OpDataConcatenation": (40, 8),  # concatenation.cc's OpData
    "OpDataTransposeConv": (80, 8),  # transpose_conv.cc's OpData
    "DecodeStateLut": (72, 8),  # kernels/decode_state_lut.h (the same in the wheel)
    "TfLiteAudioFrontendRfftParams": (48, 8),  # rfft.cc, any T
    "TFLMSignalFilterBankParams": (64, 8),
    "TFLMSignalSpectralSubtractionParams": (56, 8),
    "kiss_fftr_state": (24, 8),  # third_party/kissfft/tools/kiss_fftr.c
}

#: What USE_TFLM_COMPRESSION changes on the 64-bit host.
_COMPRESSION_64 = {
    "SubgraphAllocations": (24, 8),
    "RecordingMicroAllocator": (272, 8),
    "OpDataConv": (80, 8),
    "OpDataFullyConnected": (72, 8),
    "OpDataConcatenation": (80, 8),
    "OpDataTransposeConv": (88, 8),
}

_ILP32: dict[str, tuple[int, int]] = {
    **_COMMON,
    **_WITH_8_BYTE_FIELDS,
    "TfLiteEvalTensor": (12, 4),
    "TfLiteTensor": (64, 4),
    "TfLiteAffineQuantization": (12, 4),
    "NodeAndRegistration": (44, 4),
    "SubgraphAllocations": (8, 4),
    "ScratchBufferHandle": (4, 4),
    "ScratchBufferRequest": (12, 4),
    "AllocationInfo": (24, 4),
    "GreedyMemoryPlanner": (44, 4),
    "SingleArenaBufferAllocator": (36, 4),
    "RecordingSingleArenaBufferAllocator": (52, 4),
    "MicroAllocator": (36, 4),
    "RecordingMicroAllocator": (124, 4),
    "MicroBuiltinDataAllocator": (8, 4),
    "MicroResourceVariables": (12, 4),
    "size_t": (4, 4),
    "void*": (4, 4),
    "OpDataConv": (56, 4),
    "OpDataFullyConnected": (48, 4),
    "SoftmaxParams": (56, 8),
    "OpDataConcatenation": (24, 4),
    "OpDataTransposeConv": (72, 4),
    "DecodeStateLut": (36, 4),
    "TfLiteAudioFrontendRfftParams": (32, 4),
    "TFLMSignalFilterBankParams": (36, 4),
    "TFLMSignalSpectralSubtractionParams": (44, 4),
    "kiss_fftr_state": (12, 4),
}

_COMPRESSION_32 = {
    "SubgraphAllocations": (12, 4),
    "RecordingMicroAllocator": (136, 4),
    "OpDataConv": (64, 4),
    "OpDataFullyConnected": (56, 4),
    "OpDataConcatenation": (64, 4),
    "OpDataTransposeConv": (80, 4),
}

HOST_64 = Layout("x86-64", 8, False, _HOST_64)
HOST_64_COMPRESSION = Layout("x86-64, USE_TFLM_COMPRESSION", 8, True,
                             {**_HOST_64, **_COMPRESSION_64})
#: What the tflite-micro wheel 0.dev20261023182759 (commit 8f6596d, two months after the
#: sources above; its C API moved into namespace tflite::micro) has that differs from
#: HOST_64_COMPRESSION. Read from its ``_runtime.so`` with ``objdump -d``: the constant
#: sizes and alignments passed to the allocation calls in
#: MicroAllocator::AllocatePersistentTfLiteTensorInternal and AllocateTempTfLiteTensor
#: (TfLiteTensor: 0x40, align 8), AllocateNodeAndRegistrations (operators << 6) and
#: ParseFullyConnected (0x20, align 8). Every other struct of HOST_64_COMPRESSION that the
#: planner uses was checked there too (kernels' Init, Parse* functions,
#: RecordingMicroAllocator::Create, StartModelAllocation, InitScratchBufferData,
#: CreateAllocationInfo) and agrees.
_WHEEL_20261023 = {
    "TfLiteTensor": (64, 8),
    "NodeAndRegistration": (64, 8),
    "TfLiteFullyConnectedParams": (32, 8),
}
HOST_64_WHEEL = Layout("x86-64, tflite-micro wheel 0.dev20261023182759 (8f6596d)", 8, True,
                       {**_HOST_64, **_COMPRESSION_64, **_WHEEL_20261023})
ILP32 = Layout("32-bit (-m32 -malign-double, unverified)", 4, False, _ILP32)
ILP32_COMPRESSION = Layout("32-bit, USE_TFLM_COMPRESSION (-m32 -malign-double, unverified)",
                           4, True, {**_ILP32, **_COMPRESSION_32})


# --- board builds, measured -----------------------------------------------------------
# Each number below was printed by compiling ``sizeof``/``alignof`` expressions with -S (no
# linking) against the sources the board's library ships, with that library's defines; a
# struct private to a ``.cc`` file was measured in a translation unit that includes it.

#: Chirale_TensorFLowLite 2.0.0 (46da2f9; its bundled TFLM of 2023 and CMSIS-NN V.11.0.0)
#: for the Nano 33 BLE: arm-none-eabi-g++ 12.2.1 ``-mcpu=cortex-m4 -mthumb -mfloat-abi=hard
#: -mfpu=fpv4-sp-d16``, ``-DARDUINO=10607 -DARDUINO_ARCH_MBED ...``, no TF_LITE_STATIC_MEMORY
#: (an Arduino library cannot set it, and Chirale does not): hence the 64-byte TfLiteTensor
#: and 44-byte NodeAndRegistration. ARM's EABI aligns int64/double to 8 and, for bare-metal
#: arm-none-eabi, makes enums as small as their values (-fshort-enums): hence the 4-byte,
#: 1-aligned TfLiteFullyConnectedParams. Kernel OpData of ``kernels/cmsis_nn/*.cpp`` are
#: named CmsisNn*; ``UnidirectionalSequenceLstmOpData`` is the 2023 LSTM's.
_CHIRALE_2023_M4: dict[str, tuple[int, int]] = {
    "TfLiteEvalTensor": (12, 4), "TfLiteTensor": (64, 4), "TfLiteAffineQuantization": (12, 4),
    "TfLiteIntArray": (4, 4), "NodeAndRegistration": (44, 4), "SubgraphAllocations": (8, 4),
    "ScratchBufferHandle": (4, 4), "ScratchBufferRequest": (12, 4), "AllocationInfo": (24, 4),
    "GreedyMemoryPlanner": (44, 4), "SingleArenaBufferAllocator": (36, 4),
    "MicroAllocator": (36, 4), "MicroBuiltinDataAllocator": (8, 4), "size_t": (4, 4),
    "void*": (4, 4),
    "OpDataConv": (56, 4), "OpDataFullyConnected": (36, 4), "SoftmaxParams": (56, 8),
    "OpDataMul": (36, 4), "OpDataPooling": (32, 4), "OpDataLogistic": (16, 4),
    "OpDataReduce": (40, 4), "StridedSliceParams": (84, 4), "LeakyReluOpData": (24, 4),
    "OpDataSvdf": (36, 4), "OpDataQuantizeReference": (32, 8), "DequantizeOpData": (32, 8),
    "OpDataPad": (56, 4), "OpDataConcatenation": (24, 4), "OpDataTransposeConv": (72, 4),
    "UnidirectionalSequenceLstmOpData": (384, 4),
    "CmsisNnConvOpData": (60, 4), "CmsisNnDepthwiseConvOpData": (60, 4),
    "CmsisNnFullyConnectedOpData": (60, 4), "CmsisNnSoftmaxParams": (64, 8),
    "CmsisNnAddOpData": (60, 4), "CmsisNnPoolingOpData": (36, 4),
    "TfLiteConvParams": (24, 4), "TfLiteDepthwiseConvParams": (28, 4),
    "TfLiteFullyConnectedParams": (4, 1), "TfLiteSoftmaxParams": (4, 4),
    "TfLiteReshapeParams": (36, 4), "TfLiteAddParams": (2, 1), "TfLiteMulParams": (1, 1),
    "TfLitePoolParams": (40, 4), "TfLiteReducerParams": (1, 1),
    "TfLiteStridedSliceParams": (20, 4), "TfLiteConcatenationParams": (8, 4),
    "TfLiteTransposeConvParams": (16, 4), "TfLiteLeakyReluParams": (4, 4),
    "TfLiteShapeParams": (4, 4), "TfLitePackParams": (8, 4),
    # sub.h's OpDataSub of 2023: a bool and 12 ints (one fewer than today's).
    "OpDataSub": (52, 4), "TfLiteSubParams": (2, 1),
    "TfLiteSVDFParams": (8, 4), "TfLiteUnidirectionalSequenceLSTMParams": (16, 4),
    "TfLiteCastParams": (8, 4), "TfLiteGatherParams": (8, 4),  # two enums; two ints
    # edgetf's own TFLM_DECODE (firmware/edgetf/edgetf_lut_decode.h): one per output.
    "EdgetfLutPlan": (8, 4),
    # edgetf's own signal kernels (firmware/edgetf/edgetf_signal*.{h,cc}): each options
    # struct starts with a pointer; EdgetfRfft is edgetf::signal::Rfft or RfftFloat (3 + 16
    # int32, 3 pointers); the RFFT's options hold both (int16, float) tables' pointers.
    "EdgetfSignalWindowParams": (8, 4), "EdgetfSignalEnergyParams": (12, 4),
    "EdgetfSignalFilterBankParams": (8, 4), "EdgetfSignalSubtractionParams": (44, 4),
    "EdgetfSignalPcanParams": (8, 4), "EdgetfSignalLogParams": (12, 4),
    "EdgetfSignalRfftParams": (28, 4), "EdgetfRfft": (88, 4),
}
CHIRALE_2023_M4 = Layout("Cortex-M4F, Chirale 2.0.0 (TFLM of 2023), arm-none-eabi", 4, False,
                         _CHIRALE_2023_M4)

#: espressif/esp-tflite-micro 1.4.0 (9fee33d), whose TFLM files are those of tflite-micro
#: 90b983c2b3f1, with its CMakeLists' TF_LITE_STATIC_MEMORY and -DESP_NN and no
#: USE_TFLM_COMPRESSION: g++ 12.2.0 ``-m32 -malign-double`` (Xtensa's ABI, like ARM's,
#: aligns int64/double to 8; i386's would align them to 4 without -malign-double), the
#: flags of the measuring rig's esp32 build. It is :data:`ILP32` except for the two structs
#: TF_LITE_STATIC_MEMORY shrinks (TfLiteTensor 64 -> 40, NodeAndRegistration 44 -> 32) and
#: the NodeData of ``kernels/esp_nn/{conv,depthwise_conv,softmax}.cc`` (the reference OpData
#: plus a scratch index).
_ESP_TFLITE_MICRO_32 = {
    **_ILP32,
    "TfLiteTensor": (40, 4),
    "NodeAndRegistration": (32, 4),
    "EspNnConvNodeData": (60, 4),
    "EspNnDepthwiseConvNodeData": (60, 4),
    "EspNnSoftmaxNodeData": (64, 8),
}
ESP_TFLITE_MICRO_32 = Layout("32-bit (ESP32 Xtensa; -m32 -malign-double), esp-tflite-micro 1.4.0,"
                             " TF_LITE_STATIC_MEMORY", 4, False, _ESP_TFLITE_MICRO_32)
