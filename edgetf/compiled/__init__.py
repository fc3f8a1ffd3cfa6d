"""The compiled runtime's foundation: a model as a fixed list of kernel calls.

:mod:`.program` computes, per op, the parameters TFLM's Prepare would (multipliers and
shifts, padding, activation clamps) as plain dataclasses: what the generated C will hold
as ``const`` data. :mod:`.oracle` runs that program in numpy integers exactly as TFLM's
int8 reference kernels do (:mod:`.kernels`, :mod:`.softmax`, :mod:`.fixed_point`), so
that it can be checked bit for bit against the TFLM interpreter (:mod:`.tflm_tensors`
reads every tensor of a TFLM run in a child process). :mod:`.memory_plan` places the
activations and kernel scratch in one static buffer; :mod:`.emit_c` (CMSIS-NN, TFLM's
reference kernels via :mod:`.reference_calls`) and :mod:`.emit_esp_nn` (ESP-NN) write the
program; :mod:`.emitters` picks one by the board's kernel library (``emit-firmware
--runtime compiled``); :mod:`.figures` gives both runtimes' arenas for inspect and tune.
"""
