"""`model.fit` under N replicas ends with the weights of single-device fit.

SGD is used on purpose: Adam-style optimizers are invariant to a constant
gradient scale and would hide a loss that is N× too large or too small.
"""

import contextlib

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_lip import losses
from keras_lip.testing import TestCase
from keras_lip.testing import toy_two_tower
from keras_lip.testing.replicas import data_parallel_scope

BATCH, STEPS = 24, 5


def _dataset():
    rng = np.random.default_rng(0)
    data = {
        "images": rng.normal(size=(BATCH * STEPS, 4, 4, 3)).astype("float32"),
        "token_ids": rng.integers(0, 32, size=(BATCH * STEPS, 6)).astype(
            "int32"),
    }
    return tf.data.Dataset.from_tensor_slices(data).batch(
        BATCH, drop_remainder=True)


def _fit(scope, initial_weights, negatives):
    with scope:
        model = toy_two_tower(seed=1)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                      loss=losses.SigmoidContrastiveLoss(negatives=negatives))
        model.predict(next(iter(_dataset())), verbose=0)  # Build.
        if initial_weights is not None:
            model.set_weights(initial_weights)
        history = model.fit(_dataset(), epochs=1, verbose=0, shuffle=False)
    return model, history.history["loss"][-1]


class DistributedFitTest(TestCase):
    @parameterized.parameters("auto", "ring", "gather")
    def test_same_weights_as_single_device(self, negatives):
        initial = toy_two_tower(seed=1)
        initial.predict(next(iter(_dataset())), verbose=0)
        initial_weights = initial.get_weights()
        single, single_loss = _fit(contextlib.nullcontext(), initial_weights,
                                   "auto")
        replicated, replicated_loss = _fit(
            data_parallel_scope(4, jax_devices=8), initial_weights, negatives)
        moved = 0.0
        for got, want, start in zip(replicated.get_weights(),
                                    single.get_weights(), initial_weights):
            scale = max(float(np.max(np.abs(want))), 1e-6)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * scale)
            moved = max(moved, float(np.max(np.abs(want - start))))
        self.assertGreater(moved, 1e-2)  # Training really changed the weights.
        # The reported (unscaled) loss is the global loss, not a share.
        self.assertAllClose(replicated_loss, single_loss, rtol=1e-5)
        # evaluate() takes the forward-only path (no gradient tape).
        with data_parallel_scope(4, jax_devices=8):
            replicated_eval = replicated.evaluate(_dataset(), verbose=0)
        self.assertAllClose(replicated_eval,
                            single.evaluate(_dataset(), verbose=0), rtol=1e-5)
