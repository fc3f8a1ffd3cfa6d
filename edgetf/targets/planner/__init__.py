"""A pure-Python TFLM arena planner and its per-build tables.

It computes the tensor arena a TFLM build needs for a model from the flatbuffer alone:
TFLM's allocator replayed (:mod:`.arena`), its GreedyMemoryPlanner (:mod:`.greedy`) over
the lifetimes TFLM derives (:mod:`.lifetimes`), the struct sizes of each target
(:mod:`.layouts`) and one table per kernel library and TFLM version (:mod:`.kernels`,
:mod:`.kernels_reference`). The entry point is :func:`.plan.plan_arena`.

This package may import only edgetf's flatbuffer reader and op tables
(``edgetf.tflite.reader``, ``edgetf.tflite.ops``) and the base helpers
(``edgetf.base.errors``): never TensorFlow, tflite-micro or a later stage.
"""

from edgetf.targets.planner.kernels_reference import REFERENCE_64
from edgetf.targets.planner.plan import ArenaPlanResult, plan_arena

__all__ = ["REFERENCE_64", "ArenaPlanResult", "plan_arena"]
