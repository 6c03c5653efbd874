"""A generic two-tower contrastive model: the model-side contract."""

import math

import keras
from keras import ops

from keras_lip.layers import l2_normalize
from keras_lip.losses import ContrastiveLoss


@keras.saving.register_keras_serializable(package="keras_lip")
class TwoTower(keras.Model):
    """Image tower + text tower + learned temperature and bias.

    The model maps `{"images": ..., "token_ids": ...}` to L2-normalised
    `{"image_embeddings", "text_embeddings"}` (float32, epsilon 1e-8 as in
    big_vision) and owns the learned log-temperature t (`logit_scale`,
    initialised to `log(temperature_init)`) and bias b (`logit_bias`).

    Training path: `model.compile(optimizer, loss=SigmoidContrastiveLoss())`
    then `model.fit(dataset)` where the dataset yields those dicts and no
    labels. `compute_loss` feeds the forward pass' own `y_pred` plus t and b
    to the loss (no second forward pass), and adds any `add_loss` terms.
    Under `tf.distribute` the loss value is the replica's share of the global
    loss, so gradients summed over replicas are the global gradient; under
    `keras.distribution.DataParallel` it is the global loss.

    Args:
        image_encoder: a Keras model/layer mapping images to `[batch, dim]`.
        text_encoder: a Keras model/layer mapping token ids to `[batch, dim]`.
        temperature_init: initial exp(t); big_vision's SigLIP default is 10.
        bias_init: initial b; SigLIP's default is −10.
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
                f"stored as its log); got {temperature_init}."
            )
        if not math.isfinite(bias_init):
            raise ValueError(f"bias_init must be finite; got {bias_init}.")
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder
        self.temperature_init = float(temperature_init)
        self.bias_init = float(bias_init)
        self.logit_scale = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(math.log(temperature_init)),
            name="logit_scale",
        )
        self.logit_bias = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(bias_init),
            name="logit_bias",
        )

    def embed_images(self, images, training=None):
        """L2-normalised float32 image embeddings."""
        z = self.image_encoder(images, training=training)
        return l2_normalize(ops.cast(z, "float32"))

    def embed_texts(self, token_ids, training=None):
        """L2-normalised float32 text embeddings."""
        z = self.text_encoder(token_ids, training=training)
        return l2_normalize(ops.cast(z, "float32"))

    def call(self, inputs, training=None):
        for key in ("images", "token_ids"):
            if key not in inputs:
                raise ValueError(
                    f"{type(self).__name__} inputs need the key '{key}'; got "
                    f"{sorted(inputs)}."
                )
        return {
            "image_embeddings": self.embed_images(inputs["images"], training),
            "text_embeddings": self.embed_texts(inputs["token_ids"], training),
        }

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        if self.loss is None:
            return super().compute_loss(x, y, y_pred, sample_weight, training)
        if not isinstance(self.loss, ContrastiveLoss):
            raise ValueError(
                f"{type(self).__name__} trains with a keras_lip contrastive "
                "loss (e.g. keras_lip.losses.SigmoidContrastiveLoss()); got "
                f"loss={self.loss!r}."
            )
        outputs = dict(y_pred, logit_scale=self.logit_scale,
                       logit_bias=self.logit_bias)
        total = self.loss(None, outputs)
        for extra in self.losses:
            total = total + self._aggregate_additional_loss(extra)
        return total

    def train_step(self, *args, **kwargs):
        return self._reducible_logs(super().train_step(*args, **kwargs))

    def test_step(self, *args, **kwargs):
        return self._reducible_logs(super().test_step(*args, **kwargs))

    def _reducible_logs(self, logs):
        if keras.config.backend() != "tensorflow":
            return logs  # JAX: (logs, state); nothing to do.
        from keras_lip.distribution import tf_replicas

        return tf_replicas.vector_logs_if_multi_worker(logs)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras' TF trainer MEAN-reduces one whole distributed input batch
        # only to learn its shapes before `fit`; MultiWorkerMirroredStrategy
        # cannot reduce a dict ("Attempt to convert a value ({'images':
        # PerReplica...")). One replica's local batch has the same structure.
        strategy = getattr(self, "_distribute_strategy", None)
        if iterator is not None and strategy is not None:
            from keras_lip.distribution import tf_replicas

            data_batch = tf_replicas.first_local_batch(iterator, strategy)
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
