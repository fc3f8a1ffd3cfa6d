"""The one error type that reaches users.

Every problem a user can fix (a bad file, a wrong option, a model a step cannot
handle) is raised as an :class:`EdgetfError` subclass whose message names the
file, the problem and the fix in one line. The CLI prints that line and exits
with :attr:`EdgetfError.exit_code`; anything else escaping is a bug in edgetf.
"""

from __future__ import annotations


class EdgetfError(Exception):
    """A problem the user can act on; ``str(error)`` is the whole message."""

    exit_code = 2


class DataError(EdgetfError):
    """The dataset cannot be read or does not make sense."""


class ModelError(EdgetfError):
    """The model file cannot be read, or does not fit the data."""


class ConfigError(EdgetfError):
    """An option or config-file value is out of range or unknown."""


class OptimizationError(EdgetfError):
    """A compression step (prune, cluster, QAT) cannot handle the model."""


class ConversionError(EdgetfError):
    """The TFLite converter refused the model."""


class TfliteFormatError(EdgetfError):
    """A ``.tflite`` file is not a readable TFLite flatbuffer."""


class InterpreterError(EdgetfError):
    """The LiteRT or TFLM interpreter could not run the model."""


class ToolError(EdgetfError):
    """An external tool edgetf drives (PlatformIO) is missing or failed."""


class FirmwareError(EdgetfError):
    """The model cannot become firmware for the board (TFLM cannot run it, or it does
    not fit)."""
