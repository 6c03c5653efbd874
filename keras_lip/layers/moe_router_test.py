import keras
import numpy as np

from keras_lip.layers import MoeRouter
from keras_lip.testing import TestCase
from keras_lip.testing import to_numpy


class MoeRouterTest(TestCase):
    def setUp(self):
        super().setUp()
        keras.utils.set_random_seed(0)
        self.x = np.random.default_rng(0).normal(
            size=(2, 64, 8)).astype("float32")

    def test_noise_only_in_training_with_std_over_num_experts(self):
        router = MoeRouter(4, num_selected_experts=2, noise_std=2.0, seed=0)
        out = to_numpy(router(self.x))
        np.testing.assert_array_equal(out["noisy_logits"], out["logits"])
        self.assertEqual(out["noise_std"], 0.0)
        out = to_numpy(router(self.x, training=True))
        noise = out["noisy_logits"] - out["logits"]
        self.assertEqual(out["noise_std"], 0.5)  # V-MoE: noise_std / E.
        self.assertAllClose(noise.std(), 0.5, rtol=0.1)
        # The gates that route and combine are those of the noisy logits.
        noisy = np.exp(out["noisy_logits"])
        self.assertAllClose(out["gates"], noisy / noisy.sum(-1, keepdims=True),
                            atol=1e-6)
        zero = MoeRouter(4, noise_std=0.0)
        out = to_numpy(zero(self.x, training=True))
        np.testing.assert_array_equal(out["noisy_logits"], out["logits"])

    def test_combine_is_gates_of_kept_choices(self):
        router = MoeRouter(4, num_selected_experts=2, capacity_factor=0.5)
        out = to_numpy(router(self.x))
        # C = ceil(64·2·0.5/4) = 16 slots per expert.
        self.assertEqual(out["dispatch"].shape, (2, 64, 4, 16))
        self.assertAllClose(out["combine"],
                            out["gates"][..., None] * out["dispatch"])
        self.assertAllClose(out["combine"].sum((2, 3)),
                            (np.take_along_axis(out["gates"],
                                                out["expert_index"], -1)
                             * out["kept"]).sum(-1), atol=1e-6)
        self.assertFalse(out["kept"].all())

    def test_config_round_trip(self):
        self.run_serialization_test(MoeRouter(
            8, num_selected_experts=2, capacity_factor=1.5,
            batch_priority=False, noise_std=0.5, seed=4))

    def test_bad_rank(self):
        with self.assertRaisesRegex(ValueError, r"\[groups, tokens, width\]"):
            MoeRouter(4)(self.x[0])
