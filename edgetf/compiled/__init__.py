"""The compiled runtime's foundation: a model as a fixed list of kernel calls.

:mod:`.program` computes, per op, the parameters TFLM's Prepare would (multipliers and
shifts, padding, activation clamps) as plain dataclasses: what the generated C will hold
as ``const`` data. :mod:`.oracle` runs that program in numpy integers exactly as TFLM's
int8 reference kernels do (:mod:`.kernels`, :mod:`.softmax`, :mod:`.fixed_point`), so
that it can be checked bit for bit against the TFLM interpreter (:mod:`.tflm_tensors`
reads every tensor of a TFLM run in a child process). :mod:`.memory_plan` places the
activations and kernel scratch in one static buffer; :mod:`.emit_c` (CMSIS-NN, with TFLM's
reference kernels of :mod:`.reference_calls` for what it lacks) and :mod:`.emit_esp_nn`
(ESP-NN) write the C program from both; :mod:`.emitters` picks the board's one.
"""
