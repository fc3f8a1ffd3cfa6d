"""``edgetf tune``: the best model for a board's RAM, flash and latency, found by Optuna.

Each trial is a real ``train_quantize`` run in its own folder, scored on the validation
split under TFLM and measured by the same figures ``inspect`` and ``emit-firmware`` use;
the result is the Pareto front of accuracy against flash and RAM (and latency when
capped), a report, and the chosen trial as an ordinary run folder.

May import base, tflite, tflm, targets, data, compress, train, codegen and analyze.
"""
