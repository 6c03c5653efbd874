"""Shared plumbing of the contrastive losses: input checks and the Loss base."""

import keras
from keras import ops

from keras_lip.ops import NEGATIVES
from keras_lip.ops import validate_negatives


def prepare_embeddings(image_embeddings, text_embeddings):
    """Casts to float32 and checks that the two batches pair up."""
    zimg = ops.cast(image_embeddings, "float32")
    ztxt = ops.cast(text_embeddings, "float32")
    img_shape, txt_shape = tuple(zimg.shape), tuple(ztxt.shape)
    if len(img_shape) != 2 or len(txt_shape) != 2:
        raise ValueError(
            "Embeddings must be [batch, dim] matrices; got image_embeddings "
            f"of shape {img_shape} and text_embeddings of shape {txt_shape}."
        )
    for axis, what in ((0, "batch size"), (1, "embedding width")):
        a, b = img_shape[axis], txt_shape[axis]
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"image_embeddings and text_embeddings differ in {what}: "
                f"shapes {img_shape} and {txt_shape}. Image i is paired with "
                "text i, so both need the same [batch, dim] shape."
            )
    return zimg, ztxt


def prepare_scalar(value, name):
    """Accepts t or b as a scalar or a shape-(1,) array (big_vision's layout)."""
    value = ops.cast(value, "float32")
    if tuple(value.shape) not in ((), (1,)):
        raise ValueError(
            f"{name} must be a scalar or have shape (1,); got shape "
            f"{tuple(value.shape)}."
        )
    return ops.reshape(value, ())


class ContrastiveLoss(keras.losses.Loss):
    """Base class: a loss over the output dict of a two-tower model.

    `y_pred` is a dict with `"image_embeddings"`, `"text_embeddings"` (both
    L2-normalised, `[batch, dim]`), `"logit_scale"` (t, a log-temperature) and,
    for losses that use it, `"logit_bias"`. `y_true` is ignored: the positives
    are the pairs on the diagonal. Subclasses implement `compute(**y_pred)`.
    """

    allowed_negatives = NEGATIVES

    def __init__(self, negatives="auto", check_finite=True, name=None,
                 dtype=None):
        super().__init__(name=name, reduction="sum_over_batch_size",
                         dtype=dtype or "float32")
        self.negatives = validate_negatives(negatives, self.allowed_negatives)
        self.check_finite = check_finite

    def __call__(self, y_true, y_pred, sample_weight=None):
        # `Loss.__call__` would convert `y_true=None` to a tensor and reduce
        # per-example values; these losses return a reduced scalar already.
        if sample_weight is not None:
            raise ValueError(
                f"{type(self).__name__} does not support sample_weight: every "
                "pair in the batch is a negative for every other pair."
            )
        with keras.name_scope(self.name):
            return self.call(y_true, y_pred)

    def call(self, y_true, y_pred):
        del y_true  # The positives are the diagonal pairs.
        if not isinstance(y_pred, dict):
            raise ValueError(
                f"{type(self).__name__} expects y_pred to be a dict with keys "
                f"{self.required_keys}; got {type(y_pred).__name__}. Use a "
                "keras_lip two-tower model, or pass that dict yourself."
            )
        missing = [k for k in self.required_keys if k not in y_pred]
        if missing:
            raise ValueError(
                f"{type(self).__name__}: y_pred is missing keys {missing}; "
                f"it has {sorted(y_pred)}."
            )
        return self.compute(**{k: y_pred[k] for k in self.required_keys})

    def get_config(self):
        config = super().get_config()
        config.pop("reduction", None)
        config.update(
            {"negatives": self.negatives, "check_finite": self.check_finite}
        )
        return config
