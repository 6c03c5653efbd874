"""SigLIP's optimizer: AdamW that decays only kernels, big_vision-style."""

import re

import keras

from keras_lip import distribution

# big_vision's default `wd_mults`: only '.*/kernel$' is decayed, never t, b,
# LayerNorm scales/biases, biases, embeddings, position embeddings, probes.
KERNELS_ONLY = r"(^|/)kernel$"


@keras.saving.register_keras_serializable(package="keras_lip")
class MaskedAdamW(keras.optimizers.AdamW):
    """`keras.optimizers.AdamW` whose weight decay applies only to variables
    whose path matches `weight_decay_pattern` (a regex, `re.search`).

    The default pattern decays kernels only (Dense, conv and attention
    kernels), as big_vision's `wd_mults=[('.*/kernel$', 1.0)]`. Use
    `weight_decay_pattern=".*"` to decay everything, or any regex over
    `variable.path` (e.g. `r"(^|/)(kernel|embeddings)$"`). Keras' own
    `exclude_from_weight_decay()` still works on top, but unlike the
    pattern it is not saved with the optimizer's config.

    Decay is Keras' decoupled form: `w -= weight_decay * learning_rate * w`
    each step, with the *current* learning rate.

    Gradient clipping under `tf.distribute`: Keras' TensorFlow optimizers
    clip each replica's partial gradient before summing them, so
    `global_clipnorm` sees the wrong norm. This class sums the gradients
    over replicas first and clips the global gradient, as on one device and
    on JAX (one extra gradient all-reduce per step when clipping is on).

    Args:
        weight_decay_pattern: regex selecting the decayed variable paths.
        **kwargs: `keras.optimizers.AdamW` arguments.

    Example:

    >>> import keras

from keras_lip import distribution
    >>> opt = MaskedAdamW(learning_rate=1e-3, weight_decay=0.1)
    >>> dense = keras.layers.Dense(2)
    >>> dense.build((None, 3))
    >>> opt.build(dense.trainable_variables)
    >>> [opt._use_weight_decay(v) for v in (dense.kernel, dense.bias)]
    [True, False]
    """

    def __init__(self, weight_decay_pattern=KERNELS_ONLY, **kwargs):
        super().__init__(**kwargs)
        self.weight_decay_pattern = weight_decay_pattern
        self._decay_regex = re.compile(weight_decay_pattern)

    def build(self, var_list):
        # Paths are only known on Keras variables (TF hands the decay step
        # raw tf.Variables), so the exclusions are resolved here, once.
        excluded = set(getattr(self, "_exclude_from_weight_decay", ()))
        excluded.update(self._var_key(v) for v in var_list
                        if not self._decay_regex.search(v.path))
        self._exclude_from_weight_decay = excluded
        self._exclude_from_weight_decay_cache = {}
        super().build(var_list)

    def _clip_gradients(self, grads):
        if not (self.clipnorm or self.global_clipnorm or self.clipvalue):
            return grads
        reduced, replicas = distribution.replica_sum(grads)
        if reduced is None:
            return super()._clip_gradients(grads)
        # Every replica clips the same global gradient and contributes 1/N
        # of it; Keras' own all-reduce then sums back exactly that.
        clipped = super()._clip_gradients(reduced)
        return [None if g is None else g / replicas for g in clipped]

    def get_config(self):
        config = super().get_config()
        config["weight_decay_pattern"] = self.weight_decay_pattern
        return config


def _peak(learning_rate):
    if isinstance(learning_rate, (int, float)):
        return float(learning_rate)
    peak = getattr(learning_rate, "peak_learning_rate", None)
    if peak is None:
        raise ValueError(
            "siglip_optimizer needs the peak learning rate to convert "
            "big_vision's weight decay; pass peak_learning_rate= with a "
            f"schedule ({type(learning_rate).__name__}) that has no "
            "`peak_learning_rate` attribute.")
    return float(peak)


def siglip_optimizer(learning_rate=1e-3, weight_decay=1e-4, beta_2=0.95,
                     global_clipnorm=1.0, peak_learning_rate=None,
                     weight_decay_pattern=KERNELS_ONLY, epsilon=1e-8,
                     **kwargs):
    """The SigLIP paper's optimizer settings as a `MaskedAdamW`.

    big_vision adds `wd · params` *after* scaling by the base learning rate,
    so its decay per step is `wd · schedule(step)`, independent of `lr`.
    Keras multiplies weight decay by the current learning rate, so the
    Keras value is `weight_decay / peak_learning_rate` (1e-4 / 1e-3 = 0.1
    for SigLIP's defaults): the same update as big_vision.

    Args:
        learning_rate: float or `keras.optimizers.schedules` schedule
            (big_vision SigLIP: 1e-3 with warm-up and cosine/rsqrt decay).
        weight_decay: big_vision's `config.wd` (SigLIP: 1e-4).
        beta_2: Adam's second-moment decay (SigLIP: 0.95, for stability).
        global_clipnorm: gradient clipping (big_vision `grad_clip_norm`: 1).
        peak_learning_rate: the schedule's peak learning rate (defaults to
            `learning_rate` when it is a float, or the schedule's
            `peak_learning_rate` attribute).
        weight_decay_pattern: which variables decay (default: kernels).
        epsilon: optax's Adam default, 1e-8. (Keras adds it to the
            uncorrected √v, optax to the bias-corrected one: a difference
            only while v is tiny.)
        **kwargs: other `MaskedAdamW` arguments.

    Returns:
        A `MaskedAdamW`.
    """
    peak = peak_learning_rate or _peak(learning_rate)
    return MaskedAdamW(
        learning_rate=learning_rate, weight_decay=weight_decay / peak,
        beta_2=beta_2, global_clipnorm=global_clipnorm, epsilon=epsilon,
        weight_decay_pattern=weight_decay_pattern, **kwargs)
