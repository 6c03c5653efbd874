"""FlexiViT's PI-resize of patch kernels and the resize weights behind it."""

import numpy as np
import tensorflow as tf
from absl.testing import parameterized
from keras import ops

from keras_lip import layers
from keras_lip.layers.patch_resample import pi_resize_matrices
from keras_lip.layers.resize_weights import linear_resize_matrix
from keras_lip.testing import TestCase
from keras_lip.testing import golden_dir
from keras_lip.testing import value_and_grad

GOLDEN = dict(np.load(golden_dir("flexi", "resample_patchemb.npz")))
CASES = [k for k in GOLDEN if k.startswith("k32/to_")]


def _resize_2d(x, new_hw, antialias=False):
    """`tf.image.resize` of `[h, w]` in float64 (the preprocessing resize)."""
    return tf.image.resize(x[None, :, :, None], new_hw, "bilinear",
                           antialias=antialias)[0, :, :, 0].numpy()


class ResizeWeightsTest(TestCase):
    @parameterized.parameters((32, 8), (32, 24), (32, 48), (7, 4), (3, 1),
                              (1, 5))
    def test_matches_tf_bilinear(self, old, new):
        x = np.random.default_rng(old * new).normal(size=(old, old))
        m = linear_resize_matrix(old, new, False)
        self.assertAllClose(m @ x @ m.T, _resize_2d(x, (new, new)), atol=1e-6)
        # TF's antialiased resize uses the same widened triangle kernel.
        m = linear_resize_matrix(old, new, True)
        self.assertAllClose(m @ x @ m.T, _resize_2d(x, (new, new), True),
                            atol=1e-5)

    def test_cached_and_read_only(self):
        a = linear_resize_matrix(9, 4, True)
        self.assertIs(a, linear_resize_matrix(9, 4, True))
        with self.assertRaises(ValueError):
            a[0, 0] = 1.0
        self.assertIs(pi_resize_matrices((9, 9), (4, 4)),
                      pi_resize_matrices((9, 9), (4, 4)))


class ResamplePatchEmbeddingTest(TestCase):
    @parameterized.parameters(*CASES)
    def test_matches_big_vision(self, key):
        new_hw = tuple(int(s) for s in key.split("_")[1].split("x"))
        out = layers.resample_patch_embedding(GOLDEN["k32/old"], new_hw)
        expected = GOLDEN[key]
        self.assertEqual(tuple(out.shape), expected.shape)
        self.assertAllClose(out, expected, rtol=0,
                            atol=1e-5 * np.abs(expected).max())

    def test_identity_returns_the_input(self):
        old = GOLDEN["k32/old"]
        self.assertIs(layers.resample_patch_embedding(old, (32, 32)), old)

    def test_pi_property_when_upsampling(self):
        # <x, w> == <resize(x), w_new> for any patch x.
        old = np.random.default_rng(1).normal(size=(8, 6, 2, 3))
        new = np.asarray(layers.resample_patch_embedding(old, (12, 9)))
        x = np.random.default_rng(2).normal(size=(8, 6, 2))
        big = np.stack([_resize_2d(x[..., c], (12, 9)) for c in range(2)], -1)
        self.assertAllClose(np.einsum("hwc,hwco->o", big, new),
                            np.einsum("hwc,hwco->o", x, old), atol=1e-4)

    def test_mixed_up_and_down_is_the_true_pseudo_inverse(self):
        # big_vision's full pinv returns ~1e13 noise for 32x32 -> 40x24 (see
        # the golden README); the per-axis pinv is the exact pseudo-inverse,
        # equal to a float64 pinv that drops the zero singular values.
        old = GOLDEN["k32/old"]
        out = np.asarray(layers.resample_patch_embedding(old, (40, 24)))
        b = np.kron(linear_resize_matrix(32, 40, False),
                    linear_resize_matrix(32, 24, False))
        reference = (np.linalg.pinv(b.T, rcond=1e-6)
                     @ old.reshape(1024, -1)).reshape(40, 24, 3, 4)
        self.assertAllClose(out, reference, atol=1e-6, rtol=0)
        self.assertAllClose(np.abs(out).max(), 0.11738158754742631, atol=1e-6)

    def test_differentiable(self):
        kernel = np.random.default_rng(3).normal(size=(4, 4, 2, 3))
        kernel = kernel.astype("float32")
        probe = np.random.default_rng(4).normal(size=(6, 2, 2, 3))
        probe = probe.astype("float32")

        def loss(k):
            return ops.sum(layers.resample_patch_embedding(k, (6, 2)) * probe)

        _, (grad,) = value_and_grad(loss, kernel)
        p_h, p_w = pi_resize_matrices((4, 4), (6, 2))
        self.assertAllClose(grad, np.einsum("ah,bw,abio->hwio", p_h, p_w,
                                            probe), atol=1e-5)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "c_in, c_out"):
            layers.resample_patch_embedding(np.zeros((4, 4, 3)), (2, 2))
        with self.assertRaisesRegex(ValueError, "new_hw"):
            layers.resample_patch_embedding(np.zeros((4, 4, 3, 2)), (0, 2))
