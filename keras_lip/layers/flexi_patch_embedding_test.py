"""FlexiPatchEmbedding: per-call patch size over one stored kernel."""

import keras
import numpy as np
from keras import ops

from keras_lip import layers
from keras_lip.testing import TestCase


def _images(size=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(2, size, size, 3)).astype("float32")


class _Probe(keras.Model):
    """FlexiPatchEmbedding at a fixed per-model patch size + a linear read."""

    def __init__(self, seqhw):
        super().__init__(name="probe")
        self.seqhw = seqhw
        self.embed = layers.FlexiPatchEmbedding(8, patch_size=6, posemb_size=4)
        self.readout = keras.layers.Dense(1)

    def call(self, images):
        tokens = self.embed(images, seqhw=self.seqhw)
        return self.readout(ops.mean(tokens, axis=1))


class FlexiPatchEmbeddingTest(TestCase):
    def setUp(self):
        self.embed = layers.FlexiPatchEmbedding(8, patch_size=6, posemb_size=4)
        self.embed.build((None, None, None, 3))
        rng = np.random.default_rng(1)
        for variable in self.embed.weights:
            variable.assign(rng.normal(size=variable.shape))

    def test_stored_size_is_a_plain_vit_embedding(self):
        images = _images()
        kernel = np.asarray(self.embed.kernel)
        patches = images.reshape(2, 4, 6, 4, 6, 3).transpose(0, 1, 3, 2, 4, 5)
        expected = np.einsum("bhwyxc,yxco->bhwo", patches, kernel)
        expected = expected.reshape(2, 16, 8) + np.asarray(self.embed.bias)
        expected += np.asarray(self.embed.pos_embedding)
        self.assertAllClose(self.embed(images), expected, atol=1e-4)
        self.assertAllClose(self.embed(images, seqhw=4), expected, atol=1e-4)

    def test_per_call_patch_sizes(self):
        images = _images()
        self.assertEqual(tuple(self.embed(images, seqhw=8).shape), (2, 64, 8))
        self.assertEqual(tuple(self.embed(images, patch_size=(12, 8)).shape),
                         (2, 6, 8))
        self.assertEqual(self.embed.resolve_patch_size((64, 64), 7), (9, 9))
        self.assertEqual(self.embed.resolve_patch_size((64, 48), (4, 2)),
                         (16, 24))

    def test_pixels_beyond_the_grid_are_dropped(self):
        # 27 px with seqhw=4 -> patch 6, 24 px used (as big_vision).
        images = _images(27)
        changed = images.copy()
        changed[:, 24:] = 5.0
        changed[:, :, 24:] = -5.0
        self.assertAllClose(self.embed(images, seqhw=4),
                            self.embed(changed, seqhw=4), atol=0, rtol=0)
        # The grid is H // patch, which may exceed seqhw (also as there):
        # 24 px with seqhw=5 -> patch 4 -> 6x6 tokens.
        self.assertEqual(tuple(self.embed(_images(), seqhw=5).shape),
                         (2, 36, 8))

    def test_upsampled_patches_give_the_same_tokens(self):
        # The PI property end to end: every 6x6 patch upsampled to 12x12
        # (bilinear, like the preprocessing) and embedded at patch 12 gives
        # the tokens of the original at patch 6 (same grid, same posemb).
        import tensorflow as tf

        patches = _images().reshape(2, 4, 6, 4, 6, 3)
        patches = patches.transpose(0, 1, 3, 2, 4, 5)
        big = tf.image.resize(patches.reshape(-1, 6, 6, 3), (12, 12),
                              "bilinear").numpy()
        big = big.reshape(2, 4, 4, 12, 12, 3).transpose(0, 1, 3, 2, 4, 5)
        self.assertAllClose(self.embed(big.reshape(2, 48, 48, 3),
                                       patch_size=12),
                            self.embed(_images()), atol=1e-4)

    def test_bad_calls(self):
        with self.assertRaisesRegex(ValueError, "not both"):
            self.embed(_images(), seqhw=4, patch_size=6)
        with self.assertRaisesRegex(ValueError, "is empty"):
            self.embed(_images(), seqhw=30)
        with self.assertRaisesRegex(ValueError, "static image size"):
            self.embed.resolve_patch_size((None, 24), 4)

    def test_serialization(self):
        revived = self.run_serialization_test(self.embed)
        self.assertEqual(revived.patch_size, (6, 6))
        self.assertEqual(revived.posemb_size, (4, 4))
        out = ops.convert_to_numpy(self.embed(_images(), seqhw=3))
        self.assertTrue(np.all(np.isfinite(out)))

    def test_trains_in_a_jitted_step_at_a_resampled_size(self):
        # seqhw 6 on 24 px: patch 4 (kernel PI-resized from 6) and a 6x6
        # posemb grid (resized from 4): gradients reach both stored weights.
        keras.utils.set_random_seed(0)
        model = _Probe(seqhw=6)
        images = _images()
        model(images)
        before = [np.asarray(v) for v in (model.embed.kernel,
                                          model.embed.pos_embedding)]
        model.compile(keras.optimizers.SGD(0.01), "mse", jit_compile=True)
        history = model.fit(images, np.array([[1.0], [-1.0]]), epochs=5,
                            verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        for old, variable in zip(before, (model.embed.kernel,
                                          model.embed.pos_embedding)):
            self.assertGreater(np.abs(np.asarray(variable) - old).max(), 0)
