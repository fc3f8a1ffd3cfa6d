"""Run a ``.tflite`` under LiteRT (``ai_edge_litert``), the reference TFLM is compared with."""

from __future__ import annotations

import numpy as np

from edgetf.base.errors import InterpreterError
from edgetf.base.native_output import captured_native_stderr


def litert_outputs(model: bytes, inputs: np.ndarray, *,
                   reference_kernels: bool = False) -> np.ndarray:
    """Run each already-quantized sample through LiteRT; raw output values, stacked.

    ``reference_kernels``: LiteRT's reference kernels instead of its optimized ones
    (XNNPACK, ruy), the kernels TFLM's are ported from.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.BUILTIN_REF if reference_kernels else OpResolverType.AUTO
    with captured_native_stderr() as log:
        try:
            interpreter = Interpreter(model_content=model,
                                      experimental_op_resolver_type=resolver)
            interpreter.allocate_tensors()
            input_index = interpreter.get_input_details()[0]["index"]
            output_index = interpreter.get_output_details()[0]["index"]
            outputs = []
            for sample in inputs:
                interpreter.set_tensor(input_index, sample[np.newaxis])
                interpreter.invoke()
                outputs.append(interpreter.get_tensor(output_index)[0].copy())
        except (RuntimeError, ValueError) as error:
            detail = str(error).strip().splitlines() or [log.last_meaningful_line()]
            raise InterpreterError(f"LiteRT could not run the model ({detail[0]})") from None
    return np.stack(outputs)

