"""The extension tables resolve: every training step and every model format is whole, so a
new one cannot half-exist (docs/extending.md says how to add one)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from edgetf.base.errors import ConfigError, ModelError
from edgetf.data.model_formats import FORMATS, check_model_path, recognise, trainable_suffixes
from edgetf.train.options import FIELD_NAMES, TrainQuantizeOptions
from edgetf.train.steps import STEPS
from edgetf.tune.space import BY_NAME, PARAMS, STEP_DOMAINS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
STEP_OPTIONS = [option for step in STEPS for option in step.options]


def _set_value(name: str):
    """A value of the entry that sets its option: its example, else a default choice."""
    param = BY_NAME[name]
    if param.example is not None:
        return param.example
    return next(value for value in param.default.candidates()
                if param.to_options(value)[param.option])


def test_every_step_runs_on_its_own_options_and_is_in_tune_space():
    names = [step.name for step in STEPS]
    assert len(set(names)) == len(names)
    assert [step.quantizes for step in STEPS] == [False] * (len(STEPS) - 1) + [True]
    defaults = TrainQuantizeOptions()
    assert {step.name for step in STEPS if step.applies(defaults)} == {"qat"}
    assert len({option.name for option in STEP_OPTIONS}) == len(STEP_OPTIONS)
    assert set(STEP_DOMAINS) <= {option.name for option in STEP_OPTIONS}
    entries = [param.name for param in PARAMS]
    for step in STEPS:
        assert callable(step.run) and step.options, step.name
        for option in step.options:
            assert option.name in FIELD_NAMES and option.meaning, option.name
            param = BY_NAME[option.name]
            assert (param.kind, param.scope, param.default) == (
                option.kind, "compression", STEP_DOMAINS.get(option.name))
            if option.off is not None:
                assert param.to_options(option.off) == {option.name: None}
            # Each step runs when its options are set (and only then, for its first option).
            if option is step.options[0] and option.name in STEP_DOMAINS:
                options = TrainQuantizeOptions(**param.to_options(_set_value(option.name)))
                assert step.applies(options.check()), step.name
            # Exclusions name earlier entries (tune samples in order), and train-quantize
            # refuses what the space leaves out.
            for other in option.needs + option.unless:
                assert entries.index(other) < entries.index(option.name), (option.name, other)
            for other in option.needs:
                assert BY_NAME[other].example is not None, other
                with pytest.raises(ConfigError):
                    TrainQuantizeOptions(**param.to_options(_set_value(option.name))).check()
            for other in option.unless:
                both = {**BY_NAME[other].to_options(_set_value(other)),
                        **param.to_options(_set_value(option.name))}
                with pytest.raises(ConfigError):
                    TrainQuantizeOptions(**both).check()


def test_every_model_format_is_recognised_read_and_installed(tmp_path):
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    suffixes = [suffix for entry in FORMATS.values() for suffix in entry.suffixes]
    assert len(set(suffixes)) == len(suffixes)
    assert [entry.name for entry in FORMATS.values() if entry.folder] == ["keras"]
    for name, entry in FORMATS.items():
        assert entry.name == name and entry.accepts
        importlib.import_module(entry.module)
        assert entry.extra is None or entry.extra in extras, name
        for suffix in entry.suffixes:
            assert suffix == suffix.lower() and recognise(f"m{suffix.upper()}") is entry
        if entry.trainable:
            assert callable(entry.check) and not entry.refusal
            assert set(entry.suffixes) <= set(trainable_suffixes())
            continue
        # Recognised, not trainable: refused before the file is even looked for, with
        # what to give instead.
        path = tmp_path / f"model{entry.suffixes[0]}"
        with pytest.raises(ModelError) as refused:
            check_model_path(path)
        message = str(refused.value)
        assert message.startswith(f"{path}: unsupported file type '{entry.suffixes[0]}'")
        assert FORMATS["keras"].accepts in message and "\n" not in message
    with pytest.raises(ModelError, match=r"'\.onnx'; expected a \.keras or \.h5 file"):
        (tmp_path / "m.onnx").write_bytes(b"x")
        check_model_path(tmp_path / "m.onnx")
