import math
import re

import keras
import numpy as np
from absl.testing import parameterized

from keras_lip.layers import MoeMlp
from keras_lip.testing import TestCase
from keras_lip.testing import to_numpy
from keras_lip.testing import value_and_grad
from keras_lip.testing.moe_reference import reference_routing

WIDTH, TOKENS = 8, 6


def _inputs(batch=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, TOKENS, WIDTH)).astype("float32")
    # Four image tokens then two text tokens per example, as a LIMoE model
    # concatenating both modalities would pass them.
    ids = np.tile(np.array([0, 0, 0, 0, 1, 1], "int32"), (batch, 1))
    return x, ids


def _gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def reference_moe(layer, x, capacity_factor, k, batch_priority=True):
    """Per-token NumPy MoE: route (one group), then Σ_kept gate · MLP_e(x)."""
    w = {v.path.split("/")[-1]: np.asarray(to_numpy(v.value))
         for v in layer.weights}
    tokens = x.reshape(-1, x.shape[-1]).astype("float64")
    logits = tokens @ w["kernel"]
    gates = np.exp(logits - logits.max(-1, keepdims=True))
    gates /= gates.sum(-1, keepdims=True)
    capacity = math.ceil(len(tokens) * k * capacity_factor / gates.shape[-1])
    dispatch, _, kept = reference_routing(
        gates[None].astype("float32"), k, capacity, batch_priority)
    out = np.zeros_like(tokens)
    for s, token in enumerate(tokens):
        for e in np.nonzero(dispatch[0, s].sum(-1))[0]:
            h = _gelu(token @ w["expert_kernel_0"][e] + w["expert_bias_0"][e])
            out[s] += gates[s, e] * (h @ w["expert_kernel_1"][e]
                                     + w["expert_bias_1"][e])
    return out.reshape(x.shape), kept[0]


class MoeMlpTest(TestCase):
    def setUp(self):
        super().setUp()
        keras.utils.set_random_seed(0)  # Same weights whatever ran before.

    @parameterized.parameters((4, 1, 1.0), (4, 2, 0.5), (3, 2, 2.0))
    def test_output_matches_per_token_reference(self, experts, k, factor):
        layer = MoeMlp(experts, mlp_dim=16, num_selected_experts=k,
                       capacity_factor=factor)
        x, ids = _inputs()
        y = layer(x, modality_ids=ids)  # Inference: no routing noise.
        want, kept = reference_moe(layer, x, factor, k)
        self.assertAllClose(y, want, atol=2e-5, rtol=1e-4)
        dropped = ~kept.any(-1)
        # A token with no kept choice gets exactly zero (the residual of
        # the block carries it).
        np.testing.assert_array_equal(
            to_numpy(y).reshape(-1, WIDTH)[dropped], 0.0)
        self.assertAllClose(layer.latest_metrics()["dropped"], dropped.mean())
        if factor < 1:
            self.assertTrue(dropped.any())

    def test_metrics_match_numpy(self):
        layer = MoeMlp(4, mlp_dim=16, num_selected_experts=2,
                       capacity_factor=0.5, global_entropy_threshold=1.0)
        x, ids = _inputs()
        layer(x, modality_ids=ids)
        got = layer.latest_metrics()
        w = np.asarray(to_numpy(layer.router.kernel.value), "float64")
        logits = x.reshape(-1, WIDTH) @ w
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        entropy = -(p * np.log(p)).sum(-1)
        modality = ids.reshape(-1)
        _, kept = reference_moe(layer, x, 0.5, 2)
        top2 = np.argsort(-p, axis=-1)[:, :2]
        importance = p.sum(0)
        self.assertAllClose(got["importance_loss"],
                            importance.var() / importance.mean() ** 2,
                            rtol=1e-4)
        self.assertEqual(got["load_loss"], 0.0)  # No noise at inference.
        self.assertAllClose(got["router_entropy"], entropy.mean(), rtol=1e-5)
        for m, name in enumerate(("image", "text")):
            mine = modality == m
            mean_p = p[mine].mean(0)
            global_h = -(mean_p * np.log(mean_p)).sum()
            self.assertAllClose(got[f"{name}_local_entropy_loss"],
                                entropy[mine].mean(), rtol=1e-5)
            self.assertAllClose(got[f"{name}_global_entropy_loss"],
                                max(0.0, 1.0 - global_h), atol=1e-6)
            self.assertAllClose(got[f"{name}_effective_experts"],
                                np.exp(global_h), rtol=1e-5)
            self.assertAllClose(got[f"{name}_dropped"],
                                (~kept[mine].any(-1)).mean())
            usage = [got[f"{name}_usage_{e}"] for e in range(4)]
            self.assertAllClose(
                np.array(usage), np.bincount(top2[mine].ravel(), minlength=4)
                / (2 * mine.sum()), atol=1e-7)

    def test_add_loss_is_the_weighted_sum(self):
        layer = MoeMlp(4, mlp_dim=16, importance_loss_weight=0.5,
                       load_loss_weight=0.25, local_entropy_loss_weight=[0.1, 0.2],
                       global_entropy_loss_weight=[0.3, 0.4],
                       global_entropy_threshold=[math.log(3), math.log(2)])
        x, ids = _inputs()
        layer(x, modality_ids=ids, training=True)
        got = layer.latest_metrics()
        self.assertGreater(got["load_loss"], 0.0)  # Noise in training.
        want = (0.5 * got["importance_loss"] + 0.25 * got["load_loss"]
                + 0.1 * got["image_local_entropy_loss"]
                + 0.2 * got["text_local_entropy_loss"]
                + 0.3 * got["image_global_entropy_loss"]
                + 0.4 * got["text_global_entropy_loss"])
        self.assertLen(layer.losses, 1)
        self.assertAllClose(layer.losses[0], want, rtol=1e-5)
        self.assertAllClose(got["aux_loss"], want, rtol=1e-5)

    def test_groups_route_independently(self):
        x, ids = _inputs(batch=4)
        grouped = MoeMlp(4, mlp_dim=16, capacity_factor=0.5, group_size=12)
        y = to_numpy(grouped(x, modality_ids=ids))
        single = MoeMlp(4, mlp_dim=16, capacity_factor=0.5)
        single(x[:2], modality_ids=ids[:2])
        single.set_weights(grouped.get_weights())
        for g in range(2):  # 12 tokens = two examples per group.
            part = slice(2 * g, 2 * g + 2)
            self.assertAllClose(y[part], single(x[part], modality_ids=ids[part]),
                                atol=1e-6)

    def test_without_modality_ids_all_tokens_are_the_first_modality(self):
        layer = MoeMlp(4, mlp_dim=16, modalities=["tokens"])
        x, _ = _inputs()
        layer(x)
        got = layer.latest_metrics()
        self.assertAllClose(got["tokens_local_entropy_loss"],
                            got["router_entropy"], rtol=1e-6)

    def test_mixed_precision_routes_in_float32(self):
        x, ids = _inputs()
        full = MoeMlp(4, mlp_dim=16, capacity_factor=4.0)
        want = full(x, modality_ids=ids)
        mixed = MoeMlp(4, mlp_dim=16, capacity_factor=4.0,
                       dtype="mixed_bfloat16")
        mixed.build(x.shape)
        mixed.set_weights(full.get_weights())
        got = mixed(x, modality_ids=ids)
        self.assertEqual(keras.backend.standardize_dtype(got.dtype),
                         "bfloat16")
        self.assertEqual(mixed.router.compute_dtype, "float32")
        self.assertEqual(keras.backend.standardize_dtype(
            mixed.losses[0].dtype), "float32")
        self.assertAllClose(keras.ops.cast(got, "float32"), want, atol=5e-2,
                            rtol=5e-2)

    def test_weights_are_stacked_on_the_expert_axis(self):
        layer = MoeMlp(5, mlp_dim=16, name="moe")
        layer.build((None, TOKENS, WIDTH))
        shapes = {v.path: tuple(v.shape) for v in layer.weights}
        self.assertEqual(shapes, {
            "moe/router/kernel": (WIDTH, 5),
            "moe/expert_kernel_0": (5, WIDTH, 16),
            "moe/expert_bias_0": (5, 16),
            "moe/expert_kernel_1": (5, 16, WIDTH),
            "moe/expert_bias_1": (5, WIDTH),
            "moe/metric_values": (len(layer.metric_names),),
        })
        # What an expert-parallel LayoutMap key would pick (it re.search-es
        # variable paths).
        self.assertEqual(
            [v.path for v in layer.weights
             if re.search(r"expert_(kernel|bias)_\d", v.path)],
            ["moe/expert_kernel_0", "moe/expert_bias_0", "moe/expert_kernel_1",
             "moe/expert_bias_1"])
        # Each expert's kernels have Glorot-uniform fans of [d, h], not of
        # the stacked shape (which would shrink them by about √E).
        kernel = np.asarray(to_numpy(layer.expert_kernel_0.value))
        self.assertGreater(np.abs(kernel).max(), 0.8 * math.sqrt(6 / 24))

    def test_bad_arguments(self):
        x, ids = _inputs()
        with self.assertRaisesRegex(ValueError, "group_size=5 does not divide"):
            MoeMlp(4, group_size=5)(x, modality_ids=ids)
        with self.assertRaisesRegex(ValueError, "modality_ids has shape"):
            MoeMlp(4)(x, modality_ids=ids[:, :3])
        with self.assertRaisesRegex(ValueError, "3 entries for 2 modalities"):
            MoeMlp(4, local_entropy_loss_weight=[0.1, 0.1, 0.1])
        with self.assertRaisesRegex(ValueError, "num_selected_experts"):
            MoeMlp(2, num_selected_experts=3)


class MoeMlpGradientTest(TestCase):
    def setUp(self):
        super().setUp()
        keras.utils.set_random_seed(0)  # Same weights whatever ran before.

    @parameterized.named_parameters(
        ("output", 1.0, 0.0), ("aux_losses", 0.0, 1.0), ("both", 1.0, 1.0))
    def test_router_gradient_matches_finite_differences(self, out_w, aux_w):
        """The router learns through the combine weights (the gates of the
        kept choices) and through the auxiliary losses; check both against
        central differences along random directions of its kernel. Ample
        capacity, so that no token sits at the edge of being dropped (a
        step, not a slope)."""
        layer = MoeMlp(4, mlp_dim=16, num_selected_experts=2,
                       capacity_factor=2.0, importance_loss_weight=aux_w,
                       load_loss_weight=aux_w,
                       local_entropy_loss_weight=aux_w,
                       global_entropy_loss_weight=aux_w,
                       global_entropy_threshold=math.log(4), seed=1)
        x, ids = _inputs(batch=2, seed=3)
        layer(x, modality_ids=ids)
        rng = np.random.default_rng(5)
        r = rng.normal(size=x.shape).astype("float32")
        trainable = layer.trainable_variables
        position = [v.path for v in trainable].index(layer.router.kernel.path)
        state = [v.value for v in layer.non_trainable_variables]

        def run(kernel):
            values = [kernel if i == position else v.value
                      for i, v in enumerate(trainable)]
            # Same noise every time: the seed state is passed, not advanced.
            y, _, losses = layer.stateless_call(
                values, state, x, modality_ids=ids, training=True,
                return_losses=True)
            return (out_w * keras.ops.sum(y * r)
                    + keras.ops.sum(keras.ops.stack(losses)))

        def choices(kernel):
            seed_state = [v.value for v in layer.router.non_trainable_variables]
            routing, _ = layer.router.stateless_call(
                [kernel], seed_state, x.reshape(1, -1, WIDTH), training=True)
            return to_numpy(routing["expert_index"])

        kernel = np.asarray(to_numpy(layer.router.kernel.value))
        _, (grad,) = value_and_grad(run, kernel)
        grad = np.asarray(to_numpy(grad))
        self.assertGreater(np.abs(grad).max(), 1e-3)
        eps = 2e-3
        for _ in range(3):
            v = rng.normal(size=kernel.shape).astype("float32")
            v /= np.linalg.norm(v)
            # Valid only where no token changes its top-K experts.
            np.testing.assert_array_equal(choices(kernel + eps * v),
                                          choices(kernel - eps * v))
            plus = float(to_numpy(run(kernel + eps * v)))
            minus = float(to_numpy(run(kernel - eps * v)))
            numeric = (plus - minus) / (2 * eps)
            self.assertAllClose(numeric, float((grad * v).sum()), rtol=2e-2,
                                atol=2e-3)


class MoeMlpSavingTest(TestCase):
    def setUp(self):
        super().setUp()
        keras.utils.set_random_seed(0)  # Same weights whatever ran before.

    def test_config_round_trip(self):
        layer = MoeMlp(4, mlp_dim=16, num_selected_experts=2,
                       capacity_factor=1.25, batch_priority=False,
                       noise_std=0.5, group_size=12, modalities=["img", "txt"],
                       local_entropy_loss_weight=[0.1, 0.2],
                       global_entropy_threshold=[1.0, 0.5], seed=3)
        revived = self.run_serialization_test(layer)
        self.assertEqual(revived.metric_names, layer.metric_names)
        self.assertEqual(revived.router.num_selected_experts, 2)

    def test_keras_file_round_trip(self):
        tokens = keras.Input((TOKENS, WIDTH))
        ids = keras.Input((TOKENS,), dtype="int32")
        moe = MoeMlp(4, mlp_dim=16, num_selected_experts=2,
                     capacity_factor=0.75, local_entropy_loss_weight=0.1)
        model = keras.Model([tokens, ids], tokens + moe(tokens, ids))
        x, modality = _inputs()
        restored = self.run_model_saving_test(model, [x, modality], atol=1e-6)
        restored_moe = [layer for layer in restored.layers
                        if isinstance(layer, MoeMlp)][0]
        self.assertEqual(restored_moe.get_config(), moe.get_config())
