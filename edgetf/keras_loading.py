"""Load a user's Keras model as a tf_keras model, whatever saved it.

edgetf's optimisation stage needs Keras 2 (``tf_keras``, see :mod:`edgetf._tf`), but
users save models with Keras 3 as often as with tf_keras. tf_keras loads its own
``.keras``, ``.h5`` and SavedModel files directly. A model saved by Keras 3 (``.keras``,
or ``.h5`` whose ``keras_version`` is 3.x) is rebuilt instead: its config is rewritten
into the tf_keras form and passed to ``from_config``, Keras 3 loads the weights, they
are copied layer by layer, and both models must agree on a random input.

Going through the config rather than walking the Keras 3 graph keeps to public API
(``get_config``/``from_config``, ``get_weights``/``set_weights``) and keeps layer names,
so the weights can be matched by name.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from edgetf._tf import import_tf
from edgetf.errors import ModelError

_ACCEPTED = "expected a .keras or .h5 file or a SavedModel folder"
_SAVE_WITH_TF_KERAS = "save the model with tf-keras (TF_USE_LEGACY_KERAS=1) or replace the layer"
_SEED = 42
_ATOL = 1e-5

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


def load_keras_model(path: str | os.PathLike) -> Any:
    """Load ``path`` as an un-compiled ``tf_keras.Model``.

    Accepts a ``.keras`` file (Keras 3 or tf_keras), a Keras 2 ``.h5`` file and a
    tf_keras SavedModel folder. Raises :class:`ModelError` for anything else.
    """
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
        return _load_tf_keras(path)
    suffix = path.suffix.lower()
    if suffix not in (".keras", ".h5", ".hdf5"):
        raise ModelError(f"{path}: unsupported file type '{suffix}'; {_ACCEPTED}")
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
            f"{path}: not a valid .keras archive ({_first_line(exc)}); save it again with model.save()"
        ) from exc
    return config if str(metadata.get("keras_version", "")).startswith("3.") else None


def _rebuild(path: Path, config: dict) -> Any:
    """Rebuild a Keras 3 model in tf_keras, copy its weights and check the outputs."""
    _, tf_keras = import_tf()
    import keras  # Keras 3, even with TF_USE_LEGACY_KERAS set

    rebuilt = tf_keras.models.model_from_config(_convert_model(config, str(path)))
    try:
        original = keras.saving.load_model(path, compile=False)
    except Exception as exc:
        raise ModelError(f"{path}: Keras 3 cannot load it ({_first_line(exc)})") from exc
    _copy_weights(original, rebuilt, path)
    _check_same_outputs(original, rebuilt, path)
    return rebuilt


def _convert_model(entry: dict, where: str) -> dict:
    """A Keras 3 Sequential or Functional model entry, in tf_keras form."""
    class_name, config = entry["class_name"], entry["config"]
    if class_name == "Sequential":
        layers = [_convert_layer(layer, where) for layer in config["layers"]]
        new_config = {"name": config["name"], "layers": layers}
        if "build_input_shape" in config:
            new_config["build_input_shape"] = config["build_input_shape"]
    elif class_name in ("Functional", "Model") and "layers" in config:
        new_config = {
            "name": config["name"],
            "trainable": config.get("trainable", True),
            "layers": [_convert_layer(layer, where) for layer in config["layers"]],
            "input_layers": _tensor_refs(config["input_layers"]),
            "output_layers": _tensor_refs(config["output_layers"]),
        }
    else:
        raise ModelError(
            f"{where}: holds a {class_name}, not a Sequential or Functional model (subclassed?);"
            " rebuild it as a Functional model or save it with tf-keras (TF_USE_LEGACY_KERAS=1)"
        )
    return {"class_name": "Functional" if "input_layers" in new_config else class_name,
            "config": new_config}


def _convert_layer(entry: dict, where: str) -> dict:
    """One layer entry of a model config, in tf_keras form (nested models included)."""
    _, tf_keras = import_tf()
    class_name, name = entry["class_name"], entry["config"].get("name", "?")
    layer_where = f"{where}: layer '{name}' (class {class_name})"
    if class_name in ("Sequential", "Functional"):
        converted = _convert_model(entry, where)
    else:
        cls = getattr(tf_keras.layers, class_name, None)
        portable = isinstance(cls, type) and issubclass(cls, tf_keras.layers.Layer)
        if not _is_builtin(entry) or not portable or class_name in _NOT_PORTABLE:
            raise ModelError(f"{layer_where} has no tf-keras equivalent; {_SAVE_WITH_TF_KERAS}")
        config = {
            _RENAMED_KEYS.get((class_name, key), key): value
            for key, value in _normalise(entry["config"], layer_where).items()
        }
        try:
            cls.from_config(config)  # fail here, where the layer can be named
        except (TypeError, ValueError) as exc:
            raise ModelError(
                f"{layer_where} has settings tf-keras does not accept ({_first_line(exc)});"
                f" {_SAVE_WITH_TF_KERAS}"
            ) from exc
        converted = {"class_name": class_name, "config": config}
    converted["name"] = name
    if "inbound_nodes" in entry:
        converted["inbound_nodes"] = [_inbound_node(n, layer_where) for n in entry["inbound_nodes"]]
    return converted


def _normalise(value: Any, where: str) -> Any:
    """Rewrite nested Keras 3 objects (dtype policies, initializers, ...) for tf_keras."""
    if isinstance(value, list):
        return [_normalise(item, where) for item in value]
    if not isinstance(value, dict):
        return value
    if "class_name" in value and "config" in value:  # a serialised Keras object
        if value["class_name"] in ("DTypePolicy", "FloatDTypePolicy"):
            return value["config"]["name"]  # tf_keras takes the policy's name, "float32"
        if not _is_builtin(value):
            raise ModelError(
                f"{where} uses custom object {value['class_name']}; {_SAVE_WITH_TF_KERAS}"
            )
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


def _inbound_node(node: Any, where: str) -> list:
    """A Keras 3 call node ``{"args", "kwargs"}`` as tf_keras's ``[[layer, node, tensor, kwargs]]``."""
    if isinstance(node, list):  # already in the tf_keras form (legacy .h5 configs)
        return node
    args, kwargs = node.get("args", []), node.get("kwargs", {})
    kwargs = {key: value for key, value in kwargs.items() if value is not None}
    tensors = _keras_tensors(args[0]) if len(args) == 1 else []
    if not tensors or _keras_tensors(kwargs):
        raise ModelError(
            f"{where} is called with arguments tf-keras cannot describe (several positional"
            " or keyword tensors); save the model with tf-keras (TF_USE_LEGACY_KERAS=1)"
        )
    return [[*tensor["config"]["keras_history"], kwargs] for tensor in tensors]


def _keras_tensors(value: Any) -> list[dict]:
    """The ``__keras_tensor__`` entries in a (nested) argument, in order."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [value]
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [tensor for item in value for tensor in _keras_tensors(item)]
    return []


def _tensor_refs(refs: list) -> list:
    """Keras 3 writes one input or output as ``[name, 0, 0]``; tf_keras wants a list of them."""
    return [refs] if refs and isinstance(refs[0], str) else refs


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
    worst = max(
        float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(e, np.float64))))
        for a, e in zip(actual, expected, strict=True)
    )
    if worst > _ATOL:
        raise ModelError(
            f"{path}: the tf-keras rebuild differs from the Keras 3 model by {worst:.3g}"
            f" (> {_ATOL}); save the model with tf-keras (TF_USE_LEGACY_KERAS=1)"
        )


def _first_line(exc: BaseException) -> str:
    """The first line of an exception message, short enough for a one-line error."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
