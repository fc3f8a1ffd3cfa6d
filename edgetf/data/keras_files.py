"""Load a user's Keras model as a tf_keras model, whatever saved it.

edgetf's optimisation stage needs Keras 2 (``tf_keras``, see :mod:`edgetf.base.tf_import`), but
users save models with Keras 3 as often as with tf_keras. tf_keras loads its own
``.keras``, ``.h5`` and SavedModel files directly, but not Keras 3's. A model saved by
Keras 3 (``.keras``, or ``.h5`` whose ``keras_version`` is 3.x) is rebuilt instead:
each layer config is rewritten into the tf_keras form and built with ``from_config``,
a Functional model's graph is replayed by calling those layers on tf_keras tensors,
Keras 3 loads the original for its weights, they are copied layer by layer (matched by
name), and both models must agree on a random input.

Reading the saved config (rather than walking a loaded Keras 3 model) uses public API
only, and finds an unportable layer before Keras 3 is asked to load it, so the error
can name it.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from edgetf.base.errors import ModelError
from edgetf.base.tf_import import import_tf

if TYPE_CHECKING:
    import tf_keras

_ACCEPTED = "expected a .keras or .h5 file or a SavedModel folder"
_SAVE_WITH_TF_KERAS = "save the model with tf-keras (TF_USE_LEGACY_KERAS=1) or replace the layer"
_SEED = 42
_TOLERANCE = 1e-5

# Keras 3 config keys that tf_keras does not accept, each with the value under which
# dropping it changes nothing. Any other value is left in, so tf_keras rejects it.
_INERT_KERAS3_KEYS: dict[str, Any] = {
    "optional": False,  # InputLayer
    "quantization_config": None,  # Dense, EinsumDense, Embedding
    "rms_scaling": False,  # LayerNormalization
    "input_axes": None,  # VarianceScaling initializers (GlorotUniform, HeNormal, ...)
    "output_axes": None,
}
# Keras 3 config keys that tf_keras spells differently, per layer class.
_RENAMED_KEYS = {
    ("InputLayer", "batch_shape"): "batch_input_shape",
    ("LeakyReLU", "negative_slope"): "alpha",
}
# Classes that exist in both but whose configs do not carry over: Keras 3 serialises
# a Lambda's Python code in its own format.
_NOT_PORTABLE = {"Lambda"}


def check_keras_path(path: str | os.PathLike) -> Path:
    """What the path alone shows, before TensorFlow is loaded: it exists and is a Keras
    file or SavedModel folder. Other formats are refused with where they belong by
    :func:`edgetf.data.model_formats.check_model_path`, the front door that calls this."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: no such file or folder; check the model path")
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise ModelError(f"{path}: folder is not a SavedModel (no saved_model.pb); {_ACCEPTED}")
        if not (path / "keras_metadata.pb").is_file():
            raise ModelError(
                f"{path}: a plain TensorFlow SavedModel, not a Keras model (no keras_metadata.pb);"
                " save the Keras model itself with model.save('model.keras')"
            )
        return path
    suffix = path.suffix.lower()
    if suffix not in (".keras", ".h5", ".hdf5"):
        raise ModelError(f"{path}: unsupported file type '{suffix}'; {_ACCEPTED}")
    return path


def load_keras_model(path: str | os.PathLike) -> tf_keras.Model:
    """Load ``path`` as an un-compiled ``tf_keras.Model``.

    Accepts a ``.keras`` file (Keras 3 or tf_keras), a Keras 2 ``.h5`` file and a
    tf_keras SavedModel folder. Raises :class:`ModelError` for anything else.
    """
    path = check_keras_path(path)
    if path.is_dir():
        return _load_tf_keras(path)
    config = _keras3_config(path)
    return _load_tf_keras(path) if config is None else _rebuild(path, config)


def _load_tf_keras(path: Path) -> Any:
    _, tf_keras = import_tf()
    try:
        model = tf_keras.models.load_model(path, compile=False)
    except Exception as exc:  # tf_keras raises OSError, ValueError, TypeError, KeyError...
        raise ModelError(f"{path}: cannot be loaded by tf-keras ({_first_line(exc)})") from exc
    if not isinstance(model, tf_keras.Model):
        raise ModelError(f"{path}: holds a {type(model).__name__}, not a Keras model")
    # compile=False still attaches a RestoredOptimizer (with its slot variables) to a
    # model loaded from a SavedModel, though the model is not compiled: drop it.
    model.optimizer = None
    return model


def _keras3_config(path: Path) -> dict | None:
    """The model config if Keras 3 saved ``path``, ``None`` if tf_keras did."""
    if path.suffix.lower() != ".keras":
        import h5py  # a TensorFlow dependency

        try:
            with h5py.File(path, "r") as h5:
                version, config = h5.attrs.get("keras_version"), h5.attrs.get("model_config")
        except OSError as exc:
            raise ModelError(f"{path}: not a readable HDF5 file ({_first_line(exc)})") from exc
        if config is None:
            raise ModelError(f"{path}: holds no model (weights only?); save it with model.save()")
        is_keras3 = str(version).startswith("3.")
        return json.loads(config) if is_keras3 else None
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = json.loads(archive.read("metadata.json"))
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ModelError(
            f"{path}: not a valid .keras archive ({_first_line(exc)});"
            " save the model again with model.save()"
        ) from exc
    return config if str(metadata.get("keras_version", "")).startswith("3.") else None


def _rebuild(path: Path, config: dict) -> Any:
    """Rebuild a Keras 3 model in tf_keras, copy its weights and check the outputs."""
    import keras  # Keras 3: TF_USE_LEGACY_KERAS only redirects tf.keras, not this

    rebuilt = _build_model(config, str(path))
    try:
        original = keras.saving.load_model(path, compile=False)
    except Exception as exc:
        raise ModelError(f"{path}: Keras 3 cannot load it ({_first_line(exc)})") from exc
    _copy_weights(original, rebuilt, path)
    _check_same_outputs(original, rebuilt, path)
    return rebuilt


def _build_model(entry: dict, where: str) -> Any:
    """A tf_keras model from a Keras 3 Sequential or Functional config entry."""
    _, tf_keras = import_tf()
    class_name, config = entry["class_name"], entry["config"]
    if class_name == "Sequential":
        model = tf_keras.Sequential(name=config["name"])
        for layer in config["layers"]:
            model.add(_build_layer(layer, where))
        if not model.built and config.get("build_input_shape"):
            model.build(config["build_input_shape"])
        return model
    if class_name == "Functional":
        return _build_functional(config, where)
    raise ModelError(
        f"{where}: holds a {class_name}, not a Sequential or Functional model (subclassed?);"
        " rebuild it as a Functional model or save it with tf-keras (TF_USE_LEGACY_KERAS=1)"
    )


def _build_functional(config: dict, where: str) -> Any:
    """Call tf_keras layers on tf_keras tensors, following the config's call nodes.

    tf_keras's own ``from_config`` cannot take a converted config: both Kerases number
    a nested Functional's calls from 1 (node 0 links its own inputs to its outputs),
    but a nested Sequential's from 0 in Keras 3 and from 1 in tf_keras (when it has an
    Input); and given a
    node index that never appears, tf_keras's ``from_config`` loops forever instead of
    raising. Walking the graph here keeps Keras 3's numbering (its ``get_tensor``).
    """
    tf, tf_keras = import_tf()
    outputs: dict[tuple[str, int], Any] = {}  # (layer name, node index) -> its outputs

    def tensor(history: list) -> Any:
        name, node_index, tensor_index = history
        return tf.nest.flatten(outputs[(name, node_index)])[tensor_index]

    def resolve(value: Any) -> Any:  # call arguments with Keras 3 tensors replaced
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return tensor(value["config"]["keras_history"])
        if isinstance(value, dict):  # None is every call argument's default (mask=None)
            return {key: resolve(item) for key, item in value.items() if item is not None}
        return [resolve(item) for item in value] if isinstance(value, list) else value

    pending = []
    for entry in config["layers"]:
        layer, name = _build_layer(entry, where), entry["name"]
        if entry["class_name"] == "InputLayer":
            outputs[(name, 0)] = layer.output
        first = 1 if entry["class_name"] == "Functional" else 0
        nodes = enumerate(entry["inbound_nodes"], start=first)
        pending += [(layer, (name, index), node) for index, node in nodes]
    while pending:  # a shared layer's later call may need layers listed after it
        waiting = []
        for layer, key, node in pending:
            needed = [t["config"]["keras_history"][:2] for t in _keras_tensors(node)]
            if all(tuple(history) in outputs for history in needed):
                args, kwargs = resolve(node["args"]), resolve(node.get("kwargs", {}))
                outputs[key] = layer(*args, **kwargs)
            else:
                waiting.append((layer, key, node))
        if len(waiting) == len(pending):
            raise ModelError(f"{where}: the model graph is incomplete; save the model again")
        pending = waiting

    def structure(refs: Any) -> Any:  # one ["name", 0, 0], or a list or dict of them
        if isinstance(refs, dict):
            return {key: structure(item) for key, item in refs.items()}
        return tensor(refs) if isinstance(refs[0], str) else [structure(r) for r in refs]

    inputs, model_outputs = structure(config["input_layers"]), structure(config["output_layers"])
    return tf_keras.Model(inputs, model_outputs, name=config["name"])


def _build_layer(entry: dict, where: str) -> Any:
    """A tf_keras layer (or nested model) from one Keras 3 layer entry."""
    _, tf_keras = import_tf()
    class_name = entry["class_name"]
    if class_name in ("Sequential", "Functional"):
        return _build_model(entry, where)
    where = f"{where}: layer '{entry['config'].get('name', '?')}' (class {class_name})"
    cls = getattr(tf_keras.layers, class_name, None)
    portable = isinstance(cls, type) and issubclass(cls, tf_keras.layers.Layer)
    if not _is_builtin(entry) or not portable or class_name in _NOT_PORTABLE:
        raise ModelError(f"{where} has no tf-keras equivalent; {_SAVE_WITH_TF_KERAS}")
    config = {
        _RENAMED_KEYS.get((class_name, key), key): value
        for key, value in _normalise(entry["config"], where).items()
    }
    try:
        return cls.from_config(config)
    except (TypeError, ValueError) as exc:
        raise ModelError(
            f"{where} has settings tf-keras does not accept ({_first_line(exc)});"
            f" {_SAVE_WITH_TF_KERAS}"
        ) from exc


def _normalise(value: Any, where: str) -> Any:
    """Rewrite nested Keras 3 objects (dtype policies, initializers, ...) for tf_keras."""
    if isinstance(value, list):
        return [_normalise(item, where) for item in value]
    if not isinstance(value, dict):
        return value
    if "class_name" in value and "config" in value:  # a serialised Keras object
        if value["class_name"] in ("DTypePolicy", "FloatDTypePolicy"):
            return value["config"]["name"]  # tf_keras takes the policy's name, "float32"
        if not _is_builtin(value):  # custom functions: {"class_name": "function", "config": name}
            name = value["config"] if isinstance(value["config"], str) else value["class_name"]
            raise ModelError(f"{where} uses custom object '{name}'; {_SAVE_WITH_TF_KERAS}")
        return {"class_name": value["class_name"], "config": _normalise(value["config"], where)}
    return {
        key: _normalise(item, where)
        for key, item in value.items()
        if not (key in _INERT_KERAS3_KEYS and item == _INERT_KERAS3_KEYS[key])
    }


def _is_builtin(entry: dict) -> bool:
    """Whether a serialised object is Keras's own (a custom one names its module)."""
    module = entry.get("module") or "keras"  # legacy .h5 configs have no module key
    registered = entry.get("registered_name")
    return module.split(".")[0] == "keras" and registered in (None, entry["class_name"])


def _keras_tensors(value: Any) -> list[dict]:
    """The ``__keras_tensor__`` entries in a (nested) call node, in order."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [value]
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [tensor for item in value for tensor in _keras_tensors(item)]
    return []


def _copy_weights(source: Any, target: Any, path: Path) -> None:
    """Copy weights layer by layer, matching by name; recurse into nested models."""
    for layer in target.layers:
        source_layer = source.get_layer(layer.name)
        if hasattr(layer, "layers"):
            _copy_weights(source_layer, layer, path)
            continue
        try:
            layer.set_weights(source_layer.get_weights())
        except ValueError as exc:
            raise ModelError(
                f"{path}: layer '{layer.name}' weights do not fit the tf-keras rebuild"
                f" ({_first_line(exc)}); {_SAVE_WITH_TF_KERAS}"
            ) from exc


def _check_same_outputs(source: Any, target: Any, path: Path) -> None:
    """Both models must agree on a random input, so a silent mis-rebuild cannot pass."""
    tf, _ = import_tf()
    rng = np.random.default_rng(_SEED)
    inputs = []
    for tensor in source.inputs:
        shape = tuple(2 if dim is None else dim for dim in tensor.shape)  # batch and free dims
        dtype = np.dtype(tensor.dtype)
        if np.issubdtype(dtype, np.integer):
            inputs.append(rng.integers(0, 2, size=shape).astype(dtype))
        else:
            inputs.append(rng.standard_normal(shape).astype(dtype))
    feed = inputs[0] if len(inputs) == 1 else inputs
    expected = tf.nest.flatten(source(feed, training=False))
    actual = tf.nest.flatten(target(feed, training=False))
    for got, want in zip(actual, expected, strict=True):
        got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
        # rtol as well as atol: a float32 output of 1000 cannot be exact to 1e-5.
        if got.shape != want.shape or not np.allclose(
            got, want, rtol=_TOLERANCE, atol=_TOLERANCE, equal_nan=True
        ):
            raise ModelError(
                f"{path}: the tf-keras rebuild does not give the Keras 3 model's outputs"
                f" (within {_TOLERANCE}); save the model with tf-keras (TF_USE_LEGACY_KERAS=1)"
            )


def _first_line(exc: BaseException) -> str:
    """The first line of an exception message, short enough for a one-line error."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
