import keras
import numpy as np
from absl.testing import parameterized

from keras_lip import layers
from keras_lip import losses
from keras_lip import distribution
from keras_lip.ops import NonFiniteError
from keras_lip.ops import blocks
from keras_lip.testing import TestCase
from keras_lip.testing import golden_dir
from keras_lip.testing import value_and_grad

GOLDEN = golden_dir("loss")
CASES = sorted(p.stem for p in GOLDEN.glob("*.npz"))


def _golden(case):
    return dict(np.load(GOLDEN / f"{case}.npz"))


class SigmoidContrastiveLossTest(TestCase):
    def test_golden_cases_present(self):
        self.assertLen(CASES, 6)

    @parameterized.parameters(*CASES)
    def test_matches_big_vision(self, case):
        g = _golden(case)
        loss, grads = value_and_grad(
            losses.sigmoid_contrastive_loss, g["zimg"], g["ztxt"], g["t"],
            g["b"])
        self.assertAllClose(loss, g["sigmoid_loss"], rtol=1e-5, atol=1e-5)
        self.assertAllClose(loss, g["sigmoid_loss_f64"], rtol=1e-5, atol=1e-5)
        for got, key in zip(grads, ("zimg", "ztxt", "t", "b")):
            self.assertGradientClose(got, g[f"sigmoid_grad_{key}"], key)

    @parameterized.parameters(*CASES)
    def test_raw_gradients_through_normalisation(self, case):
        g = _golden(case)

        def fn(zimg_raw, ztxt_raw):
            return losses.sigmoid_contrastive_loss(
                layers.l2_normalize(zimg_raw), layers.l2_normalize(ztxt_raw),
                g["t"], g["b"])

        _, grads = value_and_grad(fn, g["zimg_raw"], g["ztxt_raw"])
        self.assertGradientClose(grads[0], g["sigmoid_grad_zimg_raw"], "zimg_raw")
        self.assertGradientClose(grads[1], g["sigmoid_grad_ztxt_raw"], "ztxt_raw")

    def test_pinned_value(self):
        # Orthonormal pairs, t = log 10, b = -10: each image has one logit 0
        # (its text) and 3 logits -10, so loss = log 2 + 3·log(1 + e^-10).
        z = np.eye(4, 8, dtype="float32")
        loss = losses.sigmoid_contrastive_loss(z, z, np.log(10.0), -10.0)
        expected = np.log(2.0) + 3 * np.log1p(np.exp(-10.0))
        self.assertAllClose(loss, expected, rtol=1e-6)

    def test_block_gradients_match_autodiff(self):
        rng = np.random.default_rng(3)
        zimg, ztxt = rng.normal(size=(2, 5, 7)).astype("float32")
        for diagonal in (True, False):
            _, d_zimg, d_ztxt, d_t, d_b = blocks.sigmoid_block_loss_and_grads(
                zimg, ztxt, np.exp(0.7), -1.5, diagonal)

            def fn(a, b, t, bias):
                return blocks.sigmoid_block_loss(
                    a, b, keras.ops.exp(t), bias, diagonal)

            _, grads = value_and_grad(fn, zimg, ztxt, np.float32(0.7),
                                      np.float32(-1.5))
            for got, want in zip((d_zimg, d_ztxt, d_t, d_b), grads):
                self.assertAllClose(got, want, rtol=1e-5, atol=1e-6)

    def test_loss_class_on_model_outputs(self):
        g = _golden("b8_d16_trained_like")
        loss = losses.SigmoidContrastiveLoss()
        value = loss(None, {"image_embeddings": g["zimg"],
                            "text_embeddings": g["ztxt"],
                            "logit_scale": g["t"], "logit_bias": g["b"]})
        self.assertAllClose(value, g["sigmoid_loss"], rtol=1e-5)

    def test_serialization(self):
        revived = self.run_serialization_test(
            losses.SigmoidContrastiveLoss(negatives="ring", check_finite=False))
        self.assertEqual(revived.negatives, "ring")
        self.assertFalse(revived.check_finite)

    def test_mismatched_shapes(self):
        with self.assertRaisesRegex(ValueError, r"\(8, 16\) and \(7, 16\)"):
            losses.sigmoid_contrastive_loss(
                np.zeros((8, 16)), np.zeros((7, 16)), 0.0, 0.0)
        with self.assertRaisesRegex(ValueError, "embedding width"):
            losses.sigmoid_contrastive_loss(
                np.zeros((8, 16)), np.zeros((8, 15)), 0.0, 0.0)
        with self.assertRaisesRegex(ValueError, r"\[batch, dim\]"):
            losses.sigmoid_contrastive_loss(
                np.zeros((8,)), np.zeros((8,)), 0.0, 0.0)
        with self.assertRaisesRegex(ValueError, "logit_scale must be a scalar"):
            losses.sigmoid_contrastive_loss(
                np.zeros((8, 4)), np.zeros((8, 4)), np.zeros(2), 0.0)

    @parameterized.parameters(("logit_scale", np.nan, 0.0),
                              ("logit_bias", 0.0, np.inf))
    def test_non_finite_temperature_or_bias(self, name, t, b):
        z = np.eye(4, dtype="float32")
        with self.assertRaisesRegex(NonFiniteError, f"{name}.*not finite"):
            loss = losses.sigmoid_contrastive_loss(z, z, t, b)
            keras.ops.convert_to_numpy(loss)

    def test_non_finite_inside_compiled_function(self):
        z = np.eye(4, dtype="float32")
        if keras.config.backend() == "jax":
            import jax
            fn = jax.jit(losses.sigmoid_contrastive_loss)
        else:
            import tensorflow as tf
            fn = tf.function(losses.sigmoid_contrastive_loss)
        with self.assertRaisesRegex(Exception, "logit_scale.*not finite"):
            keras.ops.convert_to_numpy(
                fn(z, z, np.float32(np.inf), np.float32(0.0)))
        # The backend's runtime error becomes the one keras_lip type.
        with self.assertRaisesRegex(NonFiniteError, "logit_scale is not"):
            with distribution.readable_errors():
                keras.ops.convert_to_numpy(
                    fn(z, z, np.float32(np.inf), np.float32(0.0)))

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "negatives='all'"):
            losses.SigmoidContrastiveLoss(negatives="all")
        loss = losses.SigmoidContrastiveLoss()
        with self.assertRaisesRegex(ValueError, r"missing keys \['logit_bias'\]"):
            loss(None, {"image_embeddings": np.eye(2),
                        "text_embeddings": np.eye(2), "logit_scale": 0.0})
        with self.assertRaisesRegex(ValueError, "expects y_pred to be a dict"):
            loss(None, np.eye(2))
        with self.assertRaisesRegex(ValueError, "sample_weight"):
            loss(None, {}, sample_weight=np.ones(2))
