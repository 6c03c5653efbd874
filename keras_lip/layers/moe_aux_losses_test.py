import math

import keras
import numpy as np

from keras_lip.layers import moe_aux_losses as aux
from keras_lip.testing import TestCase
from keras_lip.testing import value_and_grad


def _phi(z):
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


class ImportanceLossTest(TestCase):
    def test_hand_computed(self):
        # Importance [0.6, 0.9, 0.5]: mean 2/3, deviations −1/15, 7/30, −1/6,
        # variance 78/2700, so CV² = (26/900) / (4/9) = 0.065.
        skewed = [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]]
        self.assertAllClose(aux.importance_loss(np.array([skewed], "float32")),
                            0.065, rtol=1e-5)
        # All on one expert: importance [2, 0, 0], mean 2/3, var 8/9, CV² 2.
        collapsed = [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
        self.assertAllClose(
            aux.importance_loss(np.array([collapsed], "float32")), 2.0,
            rtol=1e-6)
        # Mean over groups.
        self.assertAllClose(
            aux.importance_loss(np.array([skewed, collapsed], "float32")),
            (0.065 + 2.0) / 2, rtol=1e-5)


class LoadLossTest(TestCase):
    def test_hand_computed(self):
        logits = np.array([[[1.0, 0.0], np.array([0.0, 0.5])]], "float32")
        noisy = np.array([[[1.2, -0.1], [0.3, 0.4]]], "float32")
        # Top-1 thresholds 1.2 and 0.4; P(expert clears it) = 1 − Φ((t−l)/σ).
        p = np.array([[1 - _phi(0.4), 1 - _phi(2.4)],
                      [1 - _phi(0.8), 1 - _phi(-0.2)]])
        p_mean = p.mean(axis=0)
        expected = p_mean.var() / p_mean.mean() ** 2
        self.assertAllClose(aux.load_loss(logits, noisy, 0.5, 1), expected,
                            rtol=1e-4)

    def test_top_2_threshold_is_second_largest(self):
        logits = np.zeros((1, 1, 3), "float32")
        noisy = np.array([[[0.3, -0.2, 0.1]]], "float32")
        # Threshold 0.1: z = 0.1/σ for every expert, so all equal: CV² = 0.
        self.assertAllClose(aux.load_loss(logits, noisy, 1.0, 2), 0.0,
                            atol=1e-7)
        noisy_first = np.array([[[0.3, -0.2, 0.1]]], "float32")
        logits_first = np.array([[[0.0, 0.0, 0.3]]], "float32")
        p = np.array([1 - _phi(0.1), 1 - _phi(0.1), 1 - _phi(-0.2)])
        self.assertAllClose(aux.load_loss(logits_first, noisy_first, 1.0, 2),
                            p.var() / p.mean() ** 2, rtol=1e-4)

    def test_gradient_reaches_the_clean_logits(self):
        rng = np.random.default_rng(0)
        logits = rng.normal(size=(1, 6, 4)).astype("float32")
        noisy = logits + 0.25 * rng.normal(size=logits.shape).astype("float32")
        _, (grad,) = value_and_grad(
            lambda l: aux.load_loss(l, noisy, 0.25, 1), logits)
        self.assertGreater(float(np.abs(np.asarray(grad)).max()), 1e-4)


class EntropyLossTest(TestCase):
    def setUp(self):
        super().setUp()
        # Group 0: tokens 0, 1 of modality 0 and token 2 of modality 1.
        self.mask = np.array([[[1, 0], [1, 0], [0, 1]]], "float32")

    def test_local_entropy(self):
        probs = np.array([[[1.0, 0.0, 0.0, 0.0], [0.25] * 4, [0.5, 0.5, 0, 0]]])
        logits = np.log(np.maximum(probs, 1e-30)).astype("float32")
        # Modality 0: (0 + log 4) / 2; modality 1: log 2.
        self.assertAllClose(aux.local_entropy_loss(logits, self.mask),
                            np.array([math.log(4) / 2, math.log(2)]), rtol=1e-5)

    def test_token_entropy_matches_numpy(self):
        logits = np.random.default_rng(1).normal(size=(2, 5, 6))
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        self.assertAllClose(aux.token_entropy(logits.astype("float32")),
                            -(p * np.log(p)).sum(-1), rtol=1e-5)

    def test_global_entropy_and_threshold(self):
        # Modality 0 uses experts 0 and 1 equally: H(p̃) = log 2; modality 1
        # is one token on expert 3: H(p̃) = 0.
        probs = np.array([[[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 0, 1.0]]],
                         "float32")
        self.assertAllClose(aux.global_entropy_loss(probs, self.mask),
                            np.array([-math.log(2), 0.0]), atol=1e-6)
        # τ = log 4 (at least 4 effective experts): log 4 − H, never below 0.
        self.assertAllClose(
            aux.global_entropy_loss(probs, self.mask, math.log(4)),
            np.array([math.log(2), math.log(4)]), rtol=1e-6)
        # Per-modality τ; modality 0 already above log 1.5: no penalty.
        self.assertAllClose(
            aux.global_entropy_loss(probs, self.mask,
                                    np.array([math.log(1.5), 0.5], "float32")),
            np.array([0.0, 0.5]), atol=1e-6)

    def test_gradient_of_global_entropy_spreads_routing(self):
        logits = np.array([[[2.0, 0.0, 0.0], [1.5, 0.0, 0.2]]], "float32")
        mask = np.ones((1, 2, 1), "float32")

        def loss(l):
            return aux.global_entropy_loss(keras.ops.softmax(l), mask)[0]

        _, (grad,) = value_and_grad(loss, logits)
        grad = np.asarray(grad)
        # Descending the loss lowers the over-used expert 0's logits.
        self.assertTrue((grad[0, :, 0] > 0).all(), grad)

    def test_absent_modality_is_zero_and_groups_without_it_are_skipped(self):
        probs = np.full((2, 2, 4), 0.25, "float32")
        probs[1] = [[1, 0, 0, 0], [1, 0, 0, 0]]
        # Modality 0 only in group 0 (H(p̃) = log 4), modality 1 only in
        # group 1 (H(p̃) = 0), modality 2 nowhere; τ = 2.
        mask = np.zeros((2, 2, 3), "float32")
        mask[0, :, 0] = 1
        mask[1, :, 1] = 1
        self.assertAllClose(aux.global_entropy_loss(probs, mask, 2.0),
                            np.array([2.0 - math.log(4), 2.0, 0.0]), atol=1e-6)
        logits = np.log(np.maximum(probs, 1e-30))
        self.assertAllClose(aux.local_entropy_loss(logits, mask),
                            np.array([math.log(4), 0.0, 0.0]), atol=1e-6)
