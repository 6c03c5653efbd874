"""AdamW that decays only the variables a path pattern selects."""

import re

import keras

from keras_lip import compat

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

    Gradient clipping under `tf.distribute` is made global for every
    optimizer a keras_lip model compiles with (see
    `keras_lip.optimizers.clip_global_gradients`).

    Args:
        weight_decay_pattern: regex selecting the decayed variable paths.
        **kwargs: `keras.optimizers.AdamW` arguments.

    Example:

    >>> import keras
    >>> opt = MaskedAdamW(learning_rate=1e-3, weight_decay=0.1)
    >>> dense = keras.layers.Dense(2)
    >>> dense.build((None, 3))
    >>> opt.build(dense.trainable_variables)
    >>> [opt.decays(v) for v in (dense.kernel, dense.bias)]
    [True, False]
    """

    def __init__(self, weight_decay_pattern=KERNELS_ONLY, **kwargs):
        super().__init__(**kwargs)
        self.weight_decay_pattern = weight_decay_pattern
        self._decay_regex = re.compile(weight_decay_pattern)

    def build(self, var_list):
        # Paths are only known on Keras variables (TF hands the decay step
        # raw tf.Variables), so the exclusions are resolved here, once.
        compat.exclude_from_weight_decay(
            self, [compat.var_key(self, v) for v in var_list
                   if not self._decay_regex.search(v.path)])
        super().build(var_list)

    def decays(self, variable):
        """Whether this optimizer applies weight decay to `variable`."""
        return bool(self.weight_decay) and compat.uses_weight_decay(
            self, variable)

    def get_config(self):
        config = super().get_config()
        config["weight_decay_pattern"] = self.weight_decay_pattern
        return config
