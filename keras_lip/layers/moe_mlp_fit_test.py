"""`MoeMlp` inside `model.fit` (XLA on TF, the jitted step on JAX), with
a dynamic batch under `tf.function`, and with experts sharded over devices."""

import keras
import numpy as np

from keras_lip.layers import MoeMlp
from keras_lip.testing import TestCase
from keras_lip.testing import to_numpy

WIDTH, TOKENS, BATCH = 8, 6, 32


class MoeModel(keras.Model):
    """Records each MoE layer's entries where both trainers keep metrics."""

    def compute_loss(self, *args, **kwargs):
        for layer in self._flatten_layers():
            if isinstance(layer, MoeMlp):
                layer.update_metrics()
        return super().compute_loss(*args, **kwargs)


def _model(**moe_kwargs):
    tokens = keras.Input((TOKENS, WIDTH))
    ids = keras.Input((TOKENS,), dtype="int32")
    init = keras.initializers.GlorotUniform(seed=0)
    h = keras.layers.Dense(WIDTH, kernel_initializer=init)(tokens)
    moe = MoeMlp(4, mlp_dim=16, num_selected_experts=2, capacity_factor=0.75,
                 local_entropy_loss_weight=0.01,
                 global_entropy_loss_weight=0.01, global_entropy_threshold=1.0,
                 name="moe", **moe_kwargs)
    h = h + moe(h, modality_ids=ids)
    pooled = keras.layers.GlobalAveragePooling1D()(h)
    out = keras.layers.Dense(1, kernel_initializer=init)(pooled)
    return MoeModel([tokens, ids], out), moe


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, TOKENS, WIDTH)).astype("float32")
    ids = np.tile(np.array([0, 0, 0, 0, 1, 1], "int32"), (BATCH, 1))
    y = np.tanh(x[..., :2].sum(-1)).mean(-1, keepdims=True) * 3
    return [x, ids], y.astype("float32")


class MoeMlpFitTest(TestCase):
    def setUp(self):
        super().setUp()
        keras.utils.set_random_seed(0)  # Same weights whatever ran before.

    def test_fit_trains_and_logs_every_entry(self):
        # No noise and no dropout: the first epoch's single step sees the
        # initial weights, so its logs must equal a forward pass now.
        model, moe = _model(noise_std=0.0)
        inputs, y = _data()
        model.compile(keras.optimizers.Adam(1e-2), "mse", jit_compile=True)
        self.assertTrue(model.jit_compile)
        prediction = to_numpy(model(inputs, training=True))
        before = moe.latest_metrics()
        history = model.fit(inputs, y, batch_size=BATCH, epochs=25,
                            verbose=0).history
        for name in moe.metric_names:
            self.assertIn(f"moe/{name}", history)
            self.assertAllClose(history[f"moe/{name}"][0], before[name],
                                rtol=1e-4, atol=1e-6, msg=name)
        # The auxiliary loss is part of the trained loss.
        self.assertAllClose(
            history["loss"][0],
            np.mean((prediction - y) ** 2) + before["aux_loss"], rtol=1e-4)
        self.assertGreater(before["aux_loss"], 0.0)
        self.assertLess(history["loss"][-1], 0.5 * history["loss"][0])
        # The layer's state survived the compiled steps: the last epoch's
        # entries are those of the last step.
        after = moe.latest_metrics()
        for name in ("aux_loss", "router_entropy", "image_usage_0"):
            self.assertAllClose(history[f"moe/{name}"][-1], after[name],
                                rtol=1e-4, atol=1e-6, msg=name)
        self.assertNotEqual(after["aux_loss"], before["aux_loss"])

    def test_noise_gives_a_load_loss_in_training_only(self):
        model, _ = _model(noise_std=1.0, seed=2)
        inputs, y = _data()
        # "auto": a tf.function without XLA on TF's CPU, jitted on JAX.
        model.compile(keras.optimizers.Adam(1e-2), "mse")
        history = model.fit(inputs, y, batch_size=16, epochs=2, verbose=0,
                            validation_data=(inputs, y)).history
        self.assertTrue(all(v > 0 for v in history["moe/load_loss"]))
        self.assertEqual(history["val_moe/load_loss"], [0.0, 0.0])
        for m in ("image", "text"):
            usage = sum(history[f"val_moe/{m}_usage_{e}"][-1] for e in range(4))
            self.assertAllClose(usage, 1.0, rtol=1e-5)

    def test_unrecorded_entries_are_nan(self):
        model, moe = _model()
        inputs, _ = _data()
        model(inputs)
        self.assertTrue(np.isnan(to_numpy(moe.tracker.result()["moe/dropped"])))


class MoeMlpCompiledTest(TestCase):
    def setUp(self):
        super().setUp()
        keras.utils.set_random_seed(0)  # Same weights whatever ran before.

    def test_tf_function_with_unknown_batch_matches_eager(self):
        if keras.config.backend() != "tensorflow":
            self.skipTest("tf.function with an unknown batch size is TF's "
                          "(JAX traces concrete shapes)")
        import tensorflow as tf

        moe = MoeMlp(4, mlp_dim=16, num_selected_experts=2,
                     capacity_factor=0.75)
        (x, ids), _ = _data()
        eager = to_numpy(moe(x, modality_ids=ids))
        signature = [tf.TensorSpec((None, TOKENS, WIDTH)),
                     tf.TensorSpec((None, TOKENS), tf.int32)]
        for jit in (False, True):
            run = tf.function(lambda a, b: moe(a, modality_ids=b),
                              input_signature=signature, jit_compile=jit)
            self.assertAllClose(run(x, ids), eager, atol=1e-5, msg=str(jit))
            self.assertAllClose(run(x[:8], ids[:8]),
                                to_numpy(moe(x[:8], modality_ids=ids[:8])),
                                atol=1e-5, msg=str(jit))

    def test_experts_sharded_over_devices_give_the_same_output(self):
        if keras.config.backend() != "jax":
            self.skipTest("keras.distribution.ModelParallel is JAX's")
        devices = keras.distribution.list_devices("cpu")
        if len(devices) < 8:
            self.skipTest(f"needs 8 CPU devices, has {len(devices)}")
        (x, ids), _ = _data()
        reference = MoeMlp(4, mlp_dim=16, num_selected_experts=2)
        want = to_numpy(reference(x, modality_ids=ids))
        mesh = keras.distribution.DeviceMesh((2, 4), ("batch", "expert"),
                                             devices[:8])
        layout_map = keras.distribution.LayoutMap(mesh)
        layout_map[r".*expert_kernel_\d"] = ("expert", None, None)
        layout_map[r".*expert_bias_\d"] = ("expert", None)
        distribution = keras.distribution.ModelParallel(
            layout_map=layout_map, batch_dim_name="batch")
        with distribution.scope():
            sharded = MoeMlp(4, mlp_dim=16, num_selected_experts=2)
            sharded.build(x.shape)
        sharded.set_weights(reference.get_weights())
        spec = sharded.expert_kernel_0.value.sharding.spec
        self.assertEqual(tuple(spec)[0], "expert")
        with distribution.scope():
            got = to_numpy(sharded(x, modality_ids=ids))
        self.assertAllClose(got, want, atol=1e-5)
