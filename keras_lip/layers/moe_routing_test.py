import keras
import numpy as np
from absl.testing import parameterized

from keras_lip.layers import moe_routing
from keras_lip.testing import TestCase
from keras_lip.testing import to_numpy
from keras_lip.testing.moe_reference import reference_routing


def random_gates(groups, tokens, experts, seed, skew=1.5):
    """Softmax gates with a few popular experts, so capacity overflows."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(groups, tokens, experts))
    logits += skew * np.linspace(1.0, 0.0, experts)
    gates = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return gates.astype("float32")


NO_OVERFLOW = {(4, 2, 2.0), (5, 5, 1.0)}


class ExpertCapacityTest(TestCase):
    @parameterized.parameters(
        (400, 4, 1, 1.05, 105), (10, 4, 2, 1.0, 5), (16, 8, 2, 0.5, 2),
        (7, 3, 1, 0.01, 1), (12, 4, 1, 1.25, 4))
    def test_ceil_of_tokens_k_c_over_e(self, tokens, experts, k, factor,
                                       expected):
        self.assertEqual(moe_routing.expert_capacity(tokens, experts, k,
                                                     factor), expected)

    def test_tensor_token_count_gives_the_same(self):
        for tokens in (1, 7, 64, 400, 1000):
            for factor in (0.5, 1.0, 1.05, 2.0):
                got = moe_routing.expert_capacity(
                    keras.ops.convert_to_tensor(tokens), 8, 2, factor)
                want = moe_routing.expert_capacity(tokens, 8, 2, factor)
                self.assertEqual(int(to_numpy(got)), want, (tokens, factor))

    def test_bad_factor(self):
        with self.assertRaisesRegex(ValueError, "capacity_factor"):
            moe_routing.expert_capacity(8, 4, 1, 0.0)


class TopKRoutingTest(TestCase):
    @parameterized.product(
        setting=[(4, 1, 1.0), (4, 2, 1.0), (8, 2, 0.5), (3, 1, 0.25),
                 (6, 3, 1.25), (4, 2, 2.0), (5, 5, 1.0)],
        batch_priority=[True, False])
    def test_matches_numpy_reference(self, setting, batch_priority):
        experts, k, factor = setting
        gates = random_gates(3, 24, experts, seed=experts * 10 + k)
        capacity = moe_routing.expert_capacity(24, experts, k, factor)
        dispatch, index, kept = moe_routing.top_k_routing(
            gates, k, capacity, batch_priority)
        want_dispatch, want_index, want_kept = reference_routing(
            gates, k, capacity, batch_priority)
        np.testing.assert_array_equal(to_numpy(index), want_index)
        np.testing.assert_array_equal(to_numpy(kept), want_kept)
        np.testing.assert_array_equal(to_numpy(dispatch), want_dispatch)
        # Each kept choice fills exactly one slot; no slot holds two tokens.
        self.assertEqual(want_dispatch.sum(), want_kept.sum())
        self.assertLessEqual(want_dispatch.sum(axis=1).max(), 1.0)
        # The skewed gates overflow capacity except where C·K is ample.
        self.assertEqual(want_kept.all(), setting in NO_OVERFLOW)

    def test_batch_priority_keeps_the_most_confident_tokens(self):
        # Four tokens all prefer expert 0, which has two slots: BPR keeps
        # the two with the largest top gate, vanilla the first two.
        gates = np.array([[[0.6, 0.4], [0.7, 0.3], [0.9, 0.1], [0.8, 0.2]]],
                         "float32")
        _, _, kept = moe_routing.top_k_routing(gates, 1, 2, True)
        self.assertEqual(to_numpy(kept)[0, :, 0].tolist(),
                         [False, False, True, True])
        _, _, kept = moe_routing.top_k_routing(gates, 1, 2, False)
        self.assertEqual(to_numpy(kept)[0, :, 0].tolist(),
                         [True, True, False, False])

    def test_second_choices_come_after_all_first_choices(self):
        # Token 0's second choice (expert 1) loses the only slot of expert 1
        # to token 1's first choice, although token 0 comes first.
        gates = np.array([[[0.6, 0.4], [0.3, 0.7]]], "float32")
        dispatch, _, kept = moe_routing.top_k_routing(gates, 2, 1, False)
        self.assertEqual(to_numpy(kept)[0].tolist(),
                         [[True, False], [True, False]])
        self.assertEqual(to_numpy(dispatch)[0, :, :, 0].tolist(),
                         [[1.0, 0.0], [0.0, 1.0]])
