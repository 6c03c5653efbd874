"""A generic two-tower contrastive model: the model-side contract."""

import math

import keras
from keras import ops

from keras_lip import distribution
from keras_lip import compat
from keras_lip import ops as lip_ops
from keras_lip.layers import l2_normalize
from keras_lip.losses import ContrastiveLoss
from keras_lip.optimizers import clip_global_gradients

INPUTS = ("images", "token_ids")


def image_shape_of(encoder):
    """`(H, W, C)` an image tower declares (`image_shape`, as keras_lip's
    and keras-hub's vision encoders do, or a functional model's input
    shape), or None."""
    shape = getattr(encoder, "image_shape", None)
    if shape is None:
        shape = _functional_input_shape(encoder)
    if shape is None or len(shape) != 3 or None in shape:
        return None
    return tuple(int(v) for v in shape)


def text_length_of(encoder):
    """The token length L a text tower declares (`max_sequence_length`, as
    keras_lip's and keras-hub's text encoders do, or a functional model's
    input shape), or None."""
    length = getattr(encoder, "max_sequence_length", None)
    if length is None:
        shape = _functional_input_shape(encoder)
        length = shape[0] if shape is not None and len(shape) == 1 else None
    return None if length is None else int(length)


def _functional_input(encoder):
    """The `input` structure of a built functional model, else None."""
    if not isinstance(encoder, keras.Model):
        return None
    try:
        return encoder.input
    except (AttributeError, ValueError):  # Subclassed or unbuilt.
        return None


def _functional_input_shape(encoder):
    spec = _functional_input(encoder)
    if isinstance(spec, dict) and len(spec) == 1:
        spec = next(iter(spec.values()))
    shape = getattr(spec, "shape", None)
    return None if shape is None else tuple(shape)[1:]


def _tower_input(encoder, x):
    """keras-hub encoders are functional models taking a one-key dict."""
    spec = _functional_input(encoder)
    if isinstance(spec, dict) and len(spec) == 1:
        return {next(iter(spec)): x}
    return x


@keras.saving.register_keras_serializable(package="keras_lip")
class TwoTower(keras.Model):
    """Image tower + text tower + learned temperature and (optional) bias.

    The model maps `{"images": ..., "token_ids": ...}` to L2-normalised
    `{"image_embeddings", "text_embeddings"}` (float32, epsilon 1e-8 as in
    big_vision) and owns the learned log-temperature t (`logit_scale`,
    initialised to `log(temperature_init)`) and bias b (`logit_bias`;
    none when `bias_init=None`, as big_vision's CLIP-style models).

    Towers that declare their input geometry (`image_shape` /
    `max_sequence_length`, as keras_lip's `ViTEncoder`/`TextEncoder` and
    keras-hub's `SigLIPVisionEncoder`/`SigLIPTextEncoder` do) make the
    model built at construction, and every input is checked against that
    geometry; other towers are built by the first batch.

    Training path: `model.compile(optimizer, loss=SigmoidContrastiveLoss())`
    then `model.fit(dataset)` where the dataset yields those dicts and no
    labels. `compute_loss` feeds the forward pass' own `y_pred` plus t and b
    to the loss (no second forward pass), and adds any `add_loss` terms.
    Under `tf.distribute` the loss value is the replica's share of the global
    loss, so gradients summed over replicas are the global gradient; under
    `keras.distribution.DataParallel` it is the global loss. Gradient
    clipping of any optimizer is applied to the global gradient.

    Args:
        image_encoder: a Keras model/layer mapping images to `[batch, dim]`.
        text_encoder: a Keras model/layer mapping token ids to `[batch, dim]`.
        temperature_init: initial exp(t); big_vision's SigLIP default is 10.
        bias_init: initial b (SigLIP: −10), or None for no bias.
        **kwargs: passed to `keras.Model`.

    Example:

    >>> import numpy as np, keras
    >>> from keras_lip import losses
    >>> image_encoder = keras.Sequential([keras.layers.Flatten(),
    ...                                   keras.layers.Dense(8)])
    >>> text_encoder = keras.Sequential([keras.layers.Embedding(16, 8),
    ...                                  keras.layers.GlobalAveragePooling1D()])
    >>> model = TwoTower(image_encoder, text_encoder)
    >>> model.compile(optimizer="sgd", loss=losses.SigmoidContrastiveLoss())
    >>> batch = {"images": np.zeros((4, 2, 2, 3), "float32"),
    ...          "token_ids": np.ones((4, 5), "int32")}
    >>> sorted(model.predict(batch, verbose=0))
    ['image_embeddings', 'text_embeddings']
    """

    def __init__(self, image_encoder, text_encoder, temperature_init=10.0,
                 bias_init=-10.0, **kwargs):
        super().__init__(**kwargs)
        if not (math.isfinite(temperature_init) and temperature_init > 0):
            raise ValueError(
                "temperature_init must be a finite positive number (t is "
                f"stored as its log); got {temperature_init}.")
        if bias_init is not None and not math.isfinite(bias_init):
            raise ValueError(f"bias_init must be finite or None; got "
                             f"{bias_init}.")
        # === Layers ===
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder
        # === Config ===
        self.temperature_init = float(temperature_init)
        self.bias_init = None if bias_init is None else float(bias_init)
        self.logit_scale = self.add_weight(
            shape=(), name="logit_scale",
            initializer=keras.initializers.Constant(
                math.log(temperature_init)))
        self.logit_bias = None
        if bias_init is not None:
            self.logit_bias = self.add_weight(
                shape=(), name="logit_bias",
                initializer=keras.initializers.Constant(bias_init))
        if self.image_shape is not None and self.text_length is not None:
            self.build()

    @property
    def image_shape(self):
        """`(H, W, C)` of the images the image tower takes, or None."""
        return image_shape_of(self.image_encoder)

    @property
    def text_length(self):
        """Token length L of the text tower, or None."""
        return text_length_of(self.text_encoder)

    def _check_keys(self, inputs):
        if not isinstance(inputs, dict):
            raise ValueError(
                f"{type(self).__name__} takes a dict with keys {INPUTS}; got "
                f"{type(inputs).__name__}. (Keras reads a tuple `(images, "
                "token_ids)` given to fit() as `(x, y)`: pass "
                "{'images': ..., 'token_ids': ...} instead.)")
        for key in INPUTS:
            if key not in inputs:
                raise ValueError(
                    f"{type(self).__name__} inputs need the key '{key}'; got "
                    f"{sorted(inputs)}.")

    def build(self, input_shape=None):
        shapes = {"images": self.image_shape, "token_ids": self.text_length}
        if input_shape is not None:
            self._check_keys(input_shape)
            shapes = {"images": tuple(input_shape["images"][1:]),
                      "token_ids": input_shape["token_ids"][-1]}
        for encoder, shape in ((self.image_encoder, shapes["images"]),
                               (self.text_encoder, shapes["token_ids"])):
            if not encoder.built:
                shape = shape if isinstance(shape, tuple) else (shape,)
                encoder.build((None, *shape))
        self.built = True

    def _check_input(self, x, key, expected):
        shape = tuple(x.shape)
        if expected is not None and len(shape) == len(expected) + 1 and any(
                got is not None and got != want
                for got, want in zip(shape[1:], expected)):
            raise ValueError(
                f"{type(self).__name__}: {key} of shape {list(shape)} do not "
                f"match the model: expected [B, "
                f"{', '.join(str(v) for v in expected)}], got "
                f"[B, {', '.join(str(v) for v in shape[1:])}]. Preprocess "
                "the data to the model's input geometry (data.image_size / "
                "text length) or build the model for this geometry.")
        dtype = keras.backend.standardize_dtype(x.dtype)
        if key == "images" and not dtype.startswith(("float", "bfloat")):
            raise ValueError(
                f"{type(self).__name__}: images have dtype {dtype}; the "
                "towers take float images in [-1, 1] (big_vision's "
                "value_range(-1, 1)). Convert uint8 images with "
                "`images / 127.5 - 1` or use keras_lip.data pipelines.")

    def embed_images(self, images, training=None):
        """L2-normalised float32 image embeddings."""
        images = ops.convert_to_tensor(images)
        self._check_input(images, "images", self.image_shape)
        z = self.image_encoder(_tower_input(self.image_encoder, images),
                               training=training)
        return l2_normalize(ops.cast(z, "float32"))

    def embed_texts(self, token_ids, training=None):
        """L2-normalised float32 text embeddings."""
        token_ids = ops.convert_to_tensor(token_ids)
        length = self.text_length
        self._check_input(token_ids, "token_ids",
                          None if length is None else (length,))
        z = self.text_encoder(_tower_input(self.text_encoder, token_ids),
                              training=training)
        return l2_normalize(ops.cast(z, "float32"))

    def logits(self, image_embeddings, text_embeddings):
        """`zimg · ztxtᵀ · exp(t) + b`, `[images, texts]`."""
        return lip_ops.logits(image_embeddings, text_embeddings,
                              self.logit_scale, self.logit_bias)

    def call(self, inputs, training=None):
        self._check_keys(inputs)
        return {
            "image_embeddings": self.embed_images(inputs["images"], training),
            "text_embeddings": self.embed_texts(inputs["token_ids"], training),
        }

    def compile(self, optimizer="rmsprop", loss=None, **kwargs):
        """`keras.Model.compile`; `loss` must be a keras_lip contrastive
        loss. The optimizer clips the global gradient under tf.distribute
        (`keras_lip.optimizers.clip_global_gradients`)."""
        if not isinstance(loss, ContrastiveLoss):
            raise ValueError(
                f"{type(self).__name__} trains with a keras_lip contrastive "
                "loss (e.g. keras_lip.losses.SigmoidContrastiveLoss()); got "
                f"loss={loss!r}. (SigLIP and CLIP compile() with their "
                "paper's loss by default.)")
        super().compile(optimizer=optimizer, loss=loss, **kwargs)
        clip_global_gradients(self.optimizer)

    def compile_from_config(self, config):
        # Keras skips models with a custom `compile`; ours only checks and
        # fills in defaults, so the saved optimizer and loss are restored.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        outputs = dict(y_pred, logit_scale=self.logit_scale)
        if self.logit_bias is not None:
            outputs["logit_bias"] = self.logit_bias
        total = self.loss(None, outputs)
        for extra in self.losses:
            total = total + compat.aggregate_additional_loss(self, extra)
        return total

    def fit(self, *args, **kwargs):
        with distribution.readable_errors():
            return super().fit(*args, **kwargs)

    def evaluate(self, *args, **kwargs):
        with distribution.readable_errors():
            return super().evaluate(*args, **kwargs)

    def train_step(self, *args, **kwargs):
        return distribution.reducible_logs(super().train_step(*args, **kwargs))

    def test_step(self, *args, **kwargs):
        return distribution.reducible_logs(super().test_step(*args, **kwargs))

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras' TF trainer MEAN-reduces one whole distributed input batch
        # only to learn its shapes before `fit`; MultiWorkerMirroredStrategy
        # cannot reduce a dict ("Attempt to convert a value ({'images':
        # PerReplica...")). One replica's local batch has the same structure.
        strategy = getattr(self, "_distribute_strategy", None)
        if iterator is not None and strategy is not None:
            data_batch = distribution.first_local_batch(iterator, strategy)
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator,
                                             data_batch=data_batch)

    def get_config(self):
        config = super().get_config()
        config.update({
            "image_encoder": keras.saving.serialize_keras_object(
                self.image_encoder),
            "text_encoder": keras.saving.serialize_keras_object(
                self.text_encoder),
            "temperature_init": self.temperature_init,
            "bias_init": self.bias_init,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("image_encoder", "text_encoder"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
