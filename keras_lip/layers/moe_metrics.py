"""Running means of a vector of named scalars, logged as separate entries."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_lip")
class MoeMetrics(keras.metrics.Metric):
    """Mean over updates of a fixed-length vector; `result()` is a dict.

    `MoeMlp` owns one, so its losses and routing statistics each get their
    own entry in `model.fit`'s logs (Keras merges dict results into the
    logs). Updates must happen where Keras' trainers carry metric state:
    in `Model.compute_loss` (see `MoeMlp.update_metrics`), not inside a
    layer's `call`, whose metric updates the JAX trainer drops
    (keras-team/keras#21639). Before any update the entries are NaN, so a
    model that never records them shows it.

    Args:
        names: the entry names, in the order of the vector.
        prefix: prepended to each name in `result()`.
        **kwargs: passed to `keras.metrics.Metric`.

    Example:

    >>> tracker = MoeMetrics(["a", "b"], prefix="moe/")
    >>> tracker.update_state([1.0, 2.0]); tracker.update_state([3.0, 4.0])
    >>> {k: float(v) for k, v in tracker.result().items()}
    {'moe/a': 2.0, 'moe/b': 3.0}
    """

    def __init__(self, names, prefix="", **kwargs):
        super().__init__(**kwargs)
        self.names = list(names)
        self.prefix = prefix
        self.total = self.add_variable(
            shape=(len(self.names),), initializer="zeros", name="total")
        self.count = self.add_variable(
            shape=(), initializer="zeros", name="count")

    def update_state(self, values):
        values = ops.cast(ops.convert_to_tensor(values), self.dtype)
        self.total.assign_add(values)
        self.count.assign_add(ops.ones((), self.dtype))

    def result(self):
        # 0/0 gives the NaN that marks "never updated".
        mean = self.total.value / self.count.value
        return {f"{self.prefix}{name}": mean[i]
                for i, name in enumerate(self.names)}

    def get_config(self):
        config = super().get_config()
        config.update({"names": self.names, "prefix": self.prefix})
        return config
