import keras
import numpy as np
import tensorflow as tf

from keras_lip import losses
from keras_lip import models
from keras_lip.ops import NonFiniteError
from keras_lip.testing import TestCase
from keras_lip.testing import toy_two_tower


def _batch(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "images": rng.normal(size=(n, 4, 4, 3)).astype("float32"),
        "token_ids": rng.integers(0, 32, size=(n, 6)).astype("int32"),
    }


class TwoTowerTest(TestCase):
    def test_outputs_are_normalised_and_weights_initialised(self):
        model = toy_two_tower(temperature_init=10.0, bias_init=-10.0)
        out = model(_batch())
        self.assertEqual(sorted(out), ["image_embeddings", "text_embeddings"])
        for value in out.values():
            self.assertEqual(tuple(value.shape), (8, 16))
            self.assertAllClose(np.linalg.norm(value, axis=-1), np.ones(8),
                                atol=1e-6)
        self.assertAllClose(model.logit_scale, np.log(10.0))
        self.assertAllClose(model.logit_bias, -10.0)
        self.assertAllClose(model.embed_images(_batch()["images"]),
                            out["image_embeddings"])
        self.assertAllClose(model.embed_texts(_batch()["token_ids"]),
                            out["text_embeddings"])

    def test_compute_loss_uses_forward_outputs_and_t_b(self):
        model = toy_two_tower()
        model.compile(optimizer="sgd", loss=losses.SigmoidContrastiveLoss())
        batch = _batch()
        y_pred = model(batch)
        expected = losses.sigmoid_contrastive_loss(
            y_pred["image_embeddings"], y_pred["text_embeddings"],
            np.log(10.0), -10.0)
        self.assertAllClose(model.compute_loss(batch, None, y_pred), expected,
                            rtol=1e-6)

    def test_fit_without_labels_lowers_the_loss(self):
        model = toy_two_tower(seed=2)
        model.compile(optimizer=keras.optimizers.Adam(0.01),
                      loss=losses.SigmoidContrastiveLoss())
        data = tf.data.Dataset.from_tensor_slices(_batch(64)).batch(16)
        history = model.fit(data, epochs=10, verbose=0)
        self.assertLess(history.history["loss"][-1],
                        0.7 * history.history["loss"][0])
        self.assertIn("loss", model.evaluate(data, verbose=0, return_dict=True))

    def test_rejects_non_contrastive_loss(self):
        model = toy_two_tower()
        with self.assertRaisesRegex(ValueError, "keras_lip contrastive loss"):
            model.compile(optimizer="sgd", loss="mse")
        # No loss at all (it used to train silently at loss 0 on JAX).
        with self.assertRaisesRegex(ValueError, "keras_lip contrastive loss"):
            model.compile(optimizer="sgd")

    def test_common_input_mistakes_are_named(self):
        model = models.SigLIP.from_variant(
            "mu/8", text_variant="mu", vocab_size=32, image_size=16,
            max_sequence_length=6)
        batch = {"images": np.zeros((2, 16, 16, 3), "float32"),
                 "token_ids": np.ones((2, 6), "int32")}
        with self.assertRaisesRegex(
                ValueError, r"expected \[B, 16, 16, 3\], got \[B, 32, 32, 3\]"):
            model(dict(batch, images=np.zeros((2, 32, 32, 3), "float32")))
        with self.assertRaisesRegex(ValueError,
                                    r"expected \[B, 6\], got \[B, 9\]"):
            model(dict(batch, token_ids=np.ones((2, 9), "int32")))
        with self.assertRaisesRegex(ValueError, "dtype uint8.*127.5"):
            model(dict(batch, images=np.zeros((2, 16, 16, 3), "uint8")))
        model.compile()
        with self.assertRaisesRegex(ValueError, r"read by Keras|as `\(x, y\)`"):
            model.fit((batch["images"], batch["token_ids"]), epochs=1,
                      verbose=0)

    def test_indivisible_global_batch_is_named(self):
        if keras.config.backend() != "jax":
            self.skipTest("TF checks this in the loss (distributed_loss_test)")
        with keras.distribution.DataParallel().scope():  # 8 devices.
            model = toy_two_tower()
            model.compile(optimizer="sgd",
                          loss=losses.SigmoidContrastiveLoss())
            with self.assertRaisesRegex(
                    ValueError, "global batch of 6 examples does not split "
                    "over the 8 devices.*multiple of 8"):
                model.fit(_batch(6), batch_size=6, epochs=1, verbose=0)

    def test_non_finite_t_is_one_error_type_from_fit(self):
        model = toy_two_tower()
        model.compile(optimizer="sgd", loss=losses.SigmoidContrastiveLoss())
        model(_batch())
        model.logit_scale.assign(float("nan"))
        with self.assertRaisesRegex(NonFiniteError, "logit_scale is not"):
            model.fit(_batch(), epochs=1, verbose=0)

    def test_no_bias(self):
        model = toy_two_tower(bias_init=None)
        self.assertIsNone(model.logit_bias)
        model.compile(optimizer="sgd", loss=losses.SoftmaxContrastiveLoss())
        model.fit(_batch(), epochs=1, verbose=0)
        with_bias = toy_two_tower()
        with_bias(_batch())
        self.assertEqual(len(model.trainable_weights),
                         len(with_bias.trainable_weights) - 1)
        restored = self.run_model_saving_test(model, _batch())
        self.assertIsNone(restored.logit_bias)

    def test_bad_arguments_and_inputs(self):
        with self.assertRaisesRegex(ValueError, "temperature_init"):
            toy_two_tower(temperature_init=0.0)
        with self.assertRaisesRegex(ValueError, "bias_init"):
            toy_two_tower(bias_init=float("nan"))
        with self.assertRaisesRegex(ValueError, "'token_ids'"):
            toy_two_tower()({"images": _batch()["images"]})

    def test_serialization_and_saving(self):
        model = toy_two_tower(temperature_init=5.0, bias_init=-3.0)
        model(_batch())
        revived = self.run_serialization_test(model)
        self.assertEqual(revived.temperature_init, 5.0)
        restored = self.run_model_saving_test(model, _batch())
        self.assertIsInstance(restored, models.TwoTower)
        self.assertAllClose(restored.logit_bias, -3.0)
