"""Knowledge distillation (Hinton, Vinyals and Dean, 2015): the loss and the targets.

The student learns from the teacher's softened class distribution as well as from the
labels. The teacher runs once, before training, and its logits travel with the labels
as one float32 target row ``[label, teacher logit 0, ..., teacher logit C-1]``. The loss
splits that row again. Packing the targets, rather than a custom training loop, keeps
plain ``model.fit``: tfmot's prune, cluster and QAT wrappers need nothing else, so every
step fine-tunes with the distillation loss through :class:`~edgetf.compress.common.Training`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgetf.base.tf_import import import_tf

#: Probabilities are turned into logits as log(p); p is floored first, because a float32
#: softmax gives exactly 0 for classes it is sure against (log would be -inf). The floor
#: is float32's smallest normal number: a larger one (say 1e-12) would lift every such
#: class to the same soft probability, (1e-12)^(1/T) = 1e-3 at T = 4, a made-up target.
MIN_PROBABILITY = float(np.finfo(np.float32).tiny)


def as_logits(outputs: np.ndarray) -> np.ndarray:
    """A model's outputs as logits: log-probabilities when they are probabilities.

    log(softmax(z)) differs from z by one constant per sample, which every softmax
    ignores, so the softened distributions are the same either way.
    """
    outputs = np.asarray(outputs, dtype=np.float32)
    if not looks_like_probabilities(outputs):
        return outputs
    return np.log(np.maximum(outputs, MIN_PROBABILITY)).astype(np.float32)


def looks_like_probabilities(outputs: np.ndarray) -> bool:
    """Rows in [0, 1] that sum to 1: a softmax output rather than logits.

    Decided on the values rather than on the last layer, because a teacher may be a QAT
    model (whose last layer is a tfmot wrapper) or a .tflite file.
    """
    return bool(outputs.size and outputs.min() >= 0 and outputs.max() <= 1
                and np.allclose(outputs.sum(axis=-1), 1.0, atol=1e-3))


@dataclass(frozen=True)
class Distillation:
    """The teacher's logits on the training and validation samples, and how to weigh them.

    ``alpha`` weighs the soft-target term, ``1 - alpha`` the usual cross-entropy with
    the labels; ``temperature`` softens both distributions in the soft-target term.
    """

    teacher_train_logits: np.ndarray
    teacher_val_logits: np.ndarray
    temperature: float = 4.0
    alpha: float = 0.9

    def targets(self, labels: np.ndarray, split: str) -> np.ndarray:
        """``[label, teacher logits...]`` per sample, for ``split`` 'train' or 'val'."""
        logits = self.teacher_train_logits if split == "train" else self.teacher_val_logits
        if len(logits) != len(labels):
            raise ValueError(f"{len(logits)} teacher outputs for {len(labels)} {split} labels")
        return pack_targets(labels, logits)

    def loss(self, from_logits: bool):
        """A Keras loss for a student whose outputs are logits, or probabilities."""
        temperature, alpha = self.temperature, self.alpha

        # A function, which Keras wraps and names after it; tf_keras has no public
        # LossFunctionWrapper to pass the settings through.
        def distillation(y_true, y_pred):
            return distillation_loss(y_true, y_pred, temperature=temperature, alpha=alpha,
                                     from_logits=from_logits)

        return distillation

    @staticmethod
    def metrics() -> list:
        """Accuracy against the label in column 0; named 'accuracy' like the usual one."""
        _, keras = import_tf()
        return [keras.metrics.MeanMetricWrapper(packed_accuracy, name="accuracy")]


def pack_targets(labels: np.ndarray, teacher_logits: np.ndarray) -> np.ndarray:
    # Labels are class indices, exact in float32 far beyond any class count.
    return np.concatenate([np.asarray(labels, np.float32)[:, None],
                           np.asarray(teacher_logits, np.float32)], axis=1)


def distillation_loss(y_true, y_pred, *, temperature: float, alpha: float, from_logits: bool):
    """Per-sample ``alpha·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − alpha)·CE(label, s)``.

    ``y_true`` holds packed targets (:func:`pack_targets`), ``y_pred`` the student's
    outputs. T² keeps the soft term's gradients on the scale of the hard term's as T
    grows (Hinton et al., section 2).
    """
    tf, _ = import_tf()
    y_true = tf.cast(y_true, tf.float32)
    labels = tf.cast(y_true[:, 0], tf.int32)
    teacher = y_true[:, 1:]
    student = y_pred if from_logits else _logits_of_probabilities(tf, y_pred)
    student = tf.cast(student, tf.float32)
    hard = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=student)
    soft_teacher = tf.nn.softmax(teacher / temperature)
    kl = tf.reduce_sum(
        soft_teacher * (tf.nn.log_softmax(teacher / temperature)
                        - tf.nn.log_softmax(student / temperature)), axis=-1)
    return alpha * temperature**2 * kl + (1.0 - alpha) * hard


def _logits_of_probabilities(tf, probabilities):
    """The logits behind a softmax output, else log-probabilities.

    tf_keras's own cross-entropy does the same (``backend._get_logits``): a softmax
    activation leaves its input on the output as ``_keras_logits`` (eager), and in a
    traced ``fit`` step the output is a Softmax op whose input is the logits. Without
    this the student's tiny probabilities, floored, would get no gradient, and the
    distilled student would be handicapped against one trained on labels alone. Where
    neither holds (e.g. a tfmot wrapper quantizes the softmax output) log(p) is used.
    """
    logits = getattr(probabilities, "_keras_logits", None)
    if logits is not None:
        return logits
    op = getattr(probabilities, "op", None)  # None for arrays and eager tensors
    if op is not None and op.type == "Softmax":
        return op.inputs[0]
    return tf.math.log(tf.maximum(tf.cast(probabilities, tf.float32), MIN_PROBABILITY))


def packed_accuracy(y_true, y_pred):
    """Top-1 accuracy of ``y_pred`` against the labels in column 0 of packed targets."""
    tf, _ = import_tf()
    labels = tf.cast(y_true[:, 0], tf.int64)
    return tf.cast(tf.equal(tf.argmax(y_pred, axis=-1), labels), tf.float32)
