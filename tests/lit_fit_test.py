"""LiT trains to the same weights on N replicas as on one device (LiT's
default optimizer: decay, global-norm clipping; and SGD with a tight clip,
where a clip over the wrong gradient would show), and the locked tower
stays bit-identical under the distribution."""

import contextlib

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_lip import losses, models, optimizers
from keras_lip.testing import TestCase
from keras_lip.testing import tiny_batch
from keras_lip.testing.lit_fixtures import tiny_towers
from keras_lip.testing.replicas import data_parallel_scope

BATCH, STEPS = 8, 3


def _dataset():
    data = tiny_batch(BATCH * STEPS, image_size=16, text_len=8, vocab_size=50)
    return tf.data.Dataset.from_tensor_slices(data).batch(
        BATCH, drop_remainder=True)


def _fit(scope, initial_weights, image, compile_args):
    with scope:
        model = models.LiT(*tiny_towers(image), image_pooling="auto")
        model.compile(**compile_args())
        model.set_weights(initial_weights)
        model.fit(_dataset(), epochs=1, verbose=0, shuffle=False)
    return model


class LitDistributedFitTest(TestCase):
    @parameterized.named_parameters(
        # Adam turns rounding-level gradient differences of rarely-moving
        # elements into visible steps, so the tolerance is loose-ish (as
        # in tests/siglip_fit_test.py).
        ("lit_defaults_cnn_batchnorm", "cnn",
         lambda: dict(optimizer=optimizers.lit_optimizer(
             learning_rate=1e-2)), 5e-3),
        ("sgd_tight_clip_vit", "vit", lambda: dict(
            optimizer=keras.optimizers.SGD(1.0, global_clipnorm=0.1),
            loss=losses.SigmoidContrastiveLoss()), 2e-5),
    )
    def test_matches_single_device(self, image, compile_args, tolerance):
        initial = models.LiT(*tiny_towers(image), image_pooling="auto")
        initial_weights = initial.get_weights()
        single = _fit(contextlib.nullcontext(), initial_weights, image,
                      compile_args)
        replicated = _fit(data_parallel_scope(2, jax_devices=4),
                          initial_weights, image, compile_args)
        locked = {id(v) for v in single.image_encoder.weights}
        moved = 0.0
        for variable, got, want, start in zip(
                single.weights, replicated.get_weights(),
                single.get_weights(), initial_weights):
            if id(variable) in locked:  # Bit-identical, BatchNorm included.
                np.testing.assert_array_equal(got, start, variable.path)
                np.testing.assert_array_equal(want, start, variable.path)
                continue
            if variable.path.endswith("key/bias"):
                continue  # Zero gradient in exact arithmetic.
            scale = max(float(np.max(np.abs(want))), 1e-3)
            np.testing.assert_allclose(got, want, rtol=0,
                                       atol=tolerance * scale,
                                       err_msg=variable.path)
            moved = max(moved, float(np.max(np.abs(want - start))))
        self.assertGreater(moved, 1e-2)
