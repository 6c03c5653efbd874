"""SigLIP: variants, compile defaults, weight-decay mask, fit, saving."""

import keras
import numpy as np

from keras_lip import losses
from keras_lip.models import SigLIP
from keras_lip.models import decode_variant
from keras_lip.testing import TestCase
from keras_lip.testing import tiny_batch
from keras_lip.testing import tiny_siglip
from keras_lip.optimizers import MaskedAdamW
from keras_lip.optimizers import siglip_optimizer

# The table: width / depth / mlp / heads.
SIZES = {"Ti": (192, 12, 768, 3), "S": (384, 12, 1536, 6),
         "B": (768, 12, 3072, 12), "L": (1024, 24, 4096, 16),
         "So400m": (1152, 27, 4304, 16), "g-opt": (1536, 40, 6144, 16)}


def _built(model, batch):
    model(batch)
    return model


class SigLIPTest(TestCase):
    def test_variants(self):
        for name, (width, depth, mlp, heads) in SIZES.items():
            v = decode_variant(f"{name}/14")
            self.assertEqual((v["width"], v["depth"], v["mlp_dim"],
                              v["num_heads"], v["patch_size"]),
                             (width, depth, mlp, heads, (14, 14)), name)
        model = SigLIP.from_variant("B/16", vocab_size=500)
        self.assertEqual(model.image_encoder.patch_size, (16, 16))
        self.assertEqual(model.text_encoder.width, 768)
        self.assertEqual(model.text_encoder.num_classes, 768)
        self.assertIsNone(model.image_encoder.num_classes)
        with self.assertRaisesRegex(ValueError, "Unknown variant 'Q/16'"):
            decode_variant("Q/16")
        with self.assertRaisesRegex(ValueError, "needs a patch size"):
            SigLIP.from_variant("B")

    def test_from_variant_builds_free_sizes(self):
        model = SigLIP.from_variant("mu/4", text_variant="mu", vocab_size=40,
                                    embed_dim=24)
        out = model(tiny_batch(3, image_size=12, text_len=5, vocab_size=40))
        self.assertEqual(tuple(out["image_embeddings"].shape), (3, 24))
        self.assertEqual(tuple(out["text_embeddings"].shape), (3, 24))
        norms = np.linalg.norm(keras.ops.convert_to_numpy(
            out["image_embeddings"]), axis=-1)
        self.assertAllClose(norms, np.ones(3), atol=1e-5)

    def test_compile_defaults(self):
        model = tiny_siglip()
        model.compile()
        self.assertIsInstance(model.loss, losses.SigmoidContrastiveLoss)
        opt = model.optimizer
        self.assertIsInstance(opt, MaskedAdamW)
        self.assertAllClose(opt.weight_decay, 0.1)  # 1e-4 / lr 1e-3.
        self.assertAllClose(opt.beta_2, 0.95)
        self.assertAllClose(opt.global_clipnorm, 1.0)

    def test_weight_decay_only_on_kernels(self):
        model = _built(tiny_siglip(), tiny_batch(2))
        variables = model.trainable_variables
        # lr 0.5, big_vision wd 0.1: one step with zero gradients shrinks
        # exactly the decayed variables by 1 − 0.1 (big_vision: w −= wd·w).
        opt = siglip_optimizer(learning_rate=0.5, weight_decay=0.1)
        before = [keras.ops.convert_to_numpy(v) for v in variables]
        opt.apply_gradients([(keras.ops.zeros(v.shape), v) for v in variables])
        decayed = set()
        for variable, old in zip(variables, before):
            new = keras.ops.convert_to_numpy(variable)
            if np.array_equal(new, old):
                continue
            self.assertAllClose(new, 0.9 * old, rtol=1e-6, atol=1e-7,
                                msg=variable.path)
            decayed.add(variable.path)
        kernels = {v.path for v in variables if v.path.endswith("/kernel")}
        self.assertEqual(decayed, kernels)
        names = {p.rsplit("/", 1)[-1] for p in
                 {v.path for v in variables} - kernels}
        self.assertEqual(names, {"bias", "gamma", "beta", "embeddings",
                                 "pos_embedding", "probe", "logit_scale",
                                 "logit_bias"})
        everything = siglip_optimizer(learning_rate=0.5,
                                      weight_decay_pattern=".*")
        everything.build(variables)
        self.assertTrue(all(everything._use_weight_decay(v)
                            for v in variables))

    def test_schedule_needs_peak_learning_rate(self):
        schedule = keras.optimizers.schedules.CosineDecay(1e-3, 100)
        with self.assertRaisesRegex(ValueError, "peak_learning_rate"):
            siglip_optimizer(schedule)
        opt = siglip_optimizer(schedule, peak_learning_rate=1e-3)
        self.assertAllClose(opt.weight_decay, 0.1)

    def test_fit_evaluate_predict(self):
        batch = tiny_batch(8)
        model = tiny_siglip()
        model.compile(optimizer=siglip_optimizer(learning_rate=3e-3))
        losses_seen = model.fit(batch, epochs=8, verbose=0).history["loss"]
        self.assertLess(losses_seen[-1], losses_seen[0])
        self.assertAllClose(model.evaluate(batch, verbose=0),
                            model.compute_loss(y_pred=model(batch)), rtol=1e-5)
        pred = model.predict(batch, batch_size=4, verbose=0)
        self.assertEqual(pred["image_embeddings"].shape, (8, 64))
        self.assertAllClose(pred["text_embeddings"],
                            model.embed_texts(batch["token_ids"]), atol=1e-6)

    def test_mixed_bfloat16_fit(self):
        policy = keras.config.dtype_policy()
        keras.config.set_dtype_policy("mixed_bfloat16")
        try:
            model = tiny_siglip()
            model.compile()
            history = model.fit(tiny_batch(8), epochs=2, verbose=0)
            out = model(tiny_batch(8))
        finally:
            keras.config.set_dtype_policy(policy)
        self.assertTrue(np.all(np.isfinite(history.history["loss"])))
        self.assertEqual(model.text_encoder.compute_dtype, "bfloat16")
        self.assertTrue(all(v.dtype == "float32" for v in model.weights))
        for value in out.values():
            self.assertEqual(keras.backend.standardize_dtype(value.dtype),
                             "float32")

    def test_serialization_and_keras_saving(self):
        batch = tiny_batch(4)
        model = tiny_siglip(temperature_init=5.0, bias_init=-3.0)
        model.compile(optimizer=siglip_optimizer(weight_decay_pattern="x"))
        model.fit(batch, epochs=1, verbose=0)
        revived = self.run_serialization_test(model)
        self.assertEqual(revived.bias_init, -3.0)
        restored = self.run_model_saving_test(model, batch, atol=0, rtol=0)
        self.assertIsInstance(restored.optimizer, MaskedAdamW)
        self.assertEqual(restored.optimizer.weight_decay_pattern, "x")
        self.assertAllClose(restored.logit_bias, model.logit_bias)
