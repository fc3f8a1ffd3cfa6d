"""The compiled runtime's foundation: a model as a fixed list of kernel calls.

:mod:`.program` computes, per op, the parameters TFLM's Prepare would (multipliers and
shifts, padding, activation clamps) as plain dataclasses: what the generated C will hold
as ``const`` data. :mod:`.oracle` runs that program in numpy integers exactly as TFLM's
int8 reference kernels do (:mod:`.kernels`, :mod:`.softmax`, :mod:`.fixed_point`), so
that it can be checked bit for bit against the TFLM interpreter (:mod:`.tflm_tensors`
reads every tensor of a TFLM run in a child process). :mod:`.memory_plan` places the
activations and kernel scratch in one static buffer; :mod:`.emit_c` writes a first C
program over CMSIS-NN from both, :mod:`.emit_esp_nn` the same program as C++ over ESP-NN
(not wired into ``emit-firmware``). :mod:`.figures` gives both runtimes' arenas of a model on
a board (compiled plan, its lower bound, TFLM's) for ``inspect``, ``tune`` and the benchmark.
"""
