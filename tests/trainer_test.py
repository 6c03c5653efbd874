"""The family-neutral trainer in process: each model family trains with its
own loss, a workdir on a non-local filesystem (TensorFlow's `ram://`)
holds checkpoints, resume and TensorBoard, and the config names what it
does not use."""

import os
import uuid

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_lip import losses
from keras_lip.testing import TestCase
from keras_lip.testing import data_fixtures
from keras_lip.trainer import checkpoint
from keras_lip.trainer import config as config_lib
from keras_lip.trainer import evals
from keras_lip.trainer import loop
from keras_lip.trainer import registry
from keras_lip.trainer import report


def _config(family="siglip", total_steps=4):
    c = config_lib.base_config(family)
    c.total_steps, c.steps_per_checkpoint, c.batch_size = total_steps, 2, 8
    c.model.image.image_size = 16
    c.model.text.max_len, c.model.text.vocab_size = 8, 50
    c.deterministic = False  # Process-wide in TF; other tests share it.
    c.export = False
    c.optimizer.warmup_steps = 0
    return config_lib.validate(c)


class _StopAt(keras.callbacks.Callback):
    """Ends `fit` as a crash would, after the checkpoint of `epoch - 1`."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("stopped by the test")


class TrainerTest(TestCase):
    @parameterized.parameters(
        ("siglip", losses.sigmoid_contrastive_loss, True),
        ("clip", losses.softmax_contrastive_loss, False))
    def test_each_family_trains_with_its_own_loss(self, family, loss_fn,
                                                  has_bias):
        config = _config(family)
        model, history = loop.train(config, self.get_temp_dir(), verbose=0)
        self.assertEqual(len(history.history["loss"]), 2)
        self.assertEqual(model.logit_bias is not None, has_bias)
        batch = next(iter(registry.build_data(config, training=True)[0]))
        out = model(batch)
        scalars = [model.logit_scale] + ([model.logit_bias] if has_bias
                                         else [])
        want = loss_fn(out["image_embeddings"], out["text_embeddings"],
                       *scalars)
        self.assertAllClose(model.compute_loss(batch, None, out), want,
                            rtol=1e-6)

    def test_workdir_on_a_non_local_filesystem(self):
        root = f"ram://keras_lip_{uuid.uuid4().hex}"
        config = _config(total_steps=6)
        straight, _ = loop.train(config, f"{root}/straight", verbose=0)
        workdir = f"{root}/broken"
        with self.assertRaises(KeyboardInterrupt):
            loop.train(config, workdir, callbacks=[_StopAt(2)], verbose=0)
        self.assertEqual(checkpoint.latest(f"{workdir}/checkpoints")["step"],
                         4)
        resumed, history = loop.train(config, workdir, verbose=0)
        self.assertEqual(len(history.history["loss"]), 1)  # Steps 5-6.
        self.assertEqual(checkpoint.latest(f"{workdir}/checkpoints")["step"],
                         6)
        for got, want in zip(resumed.get_weights(), straight.get_weights()):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        events = tf.io.gfile.glob(f"{workdir}/tensorboard/*/events.*")
        self.assertGreaterEqual(len(events), 2)  # One per run.

    def test_zero_shot_evaluation_on_a_tfds_dataset(self):
        import tensorflow_datasets as tfds

        config = _config()
        config.data.kind = "demo"  # Its word tokenizer tokenises prompts.
        config.model.text.vocab_size = 25
        config.evals.zs = evals.section(
            "zero_shot", dataset="cifar10", split="test", max_examples=12,
            class_names=",".join("abcdefghij"), templates="clip_best")
        config_lib.validate(config)
        model = loop.build_model(config)
        with tfds.testing.mock_data(num_examples=20):
            callbacks, finals = evals.build(config)
            logs = {}
            callbacks[0].set_model(model)
            callbacks[0].on_epoch_end(0, logs)
            lines = finals[0](model)
        self.assertEqual(sorted(logs), ["zs_top1", "zs_top5"])
        self.assertTrue(0 <= logs["zs_top1"] <= logs["zs_top5"] <= 1)
        self.assertIn("zero-shot on cifar10:test (12 images, 10 classes)",
                      lines[0])

    def test_own_data_mistakes_are_named_before_training(self):
        config = _config()
        config.data.kind = "demo"  # A 25-word vocabulary.
        config.model.text.vocab_size = 10
        with self.assertRaisesRegex(config_lib.ConfigError,
                                    "vocab_size=10 is smaller.*=25"):
            loop.train(config, self.get_temp_dir(), verbose=0)
        # A captions file with no rows: no batch at all (TF used to train
        # 0 steps silently, JAX raised a bare StopIteration).
        folder = self.get_temp_dir()
        with open(os.path.join(folder, "pairs.csv"), "w") as f:
            f.write("image,caption\n")
        config = _config()
        config.data.kind = "csv"
        config.data.train_files = os.path.join(folder, "pairs.csv")
        config.data.tokenizer = data_fixtures.shared_sentencepiece()
        with self.assertRaisesRegex(config_lib.ConfigError,
                                    "gave no batch of config.batch_size=8"):
            loop.train(config, os.path.join(folder, "w"), verbose=0)

    def test_run_without_evaluation_data_writes_its_plots(self):
        # A tfrecord/csv/tfds run needs no eval split unless an evaluation
        # reads one; the PNGs then show training examples.
        folder = self.get_temp_dir()
        with open(os.path.join(folder, "pairs.csv"), "w") as f:
            f.write("image,caption\n")
            for i in range(3):
                name = os.path.join(folder, f"{i}.png")
                with open(name, "wb") as image:
                    image.write(data_fixtures.png_bytes(seed=i))
                f.write(f"{name},a photo number {i}\n")
        config = _config()
        config.data.kind = "csv"
        config.data.train_files = os.path.join(folder, "pairs.csv")
        config.data.tokenizer = data_fixtures.shared_sentencepiece()
        config = config_lib.validate(config)
        images, captions = report._samples(config)
        self.assertEqual(images.shape, (3, 16, 16, 3))
        self.assertEqual(sorted(captions),
                         [f"a photo number {i}" for i in range(3)])

    def test_keys_a_data_kind_ignores_are_rejected(self):
        config = config_lib.base_config()
        config.data.tfds_name = "coco_captions"  # Synthetic data: unused.
        with self.assertRaisesRegex(ValueError,
                                    "data.tfds_name.*not used by data.kind"):
            config_lib.validate(config)
        config = config_lib.base_config()
        config.data.kind = "tfrecord"
        config.data.train_files = config.data.tokenizer = __file__
        config.evals.val = evals.section("retrieval")
        with self.assertRaisesRegex(ValueError, "data.eval_files.*evals.val"):
            config_lib.validate(config)

    def test_family_and_loss_must_agree(self):
        config = config_lib.base_config("clip")
        config.loss.negatives = "ring"  # The softmax loss has no ring.
        with self.assertRaisesRegex(ValueError, "loss.negatives='ring'"):
            config_lib.validate(config)
        config = config_lib.base_config("siglip")
        config.evals.zs = evals.section("zero_shot")
        with self.assertRaisesRegex(ValueError, "evals.zs.dataset"):
            config_lib.validate(config)
        config.evals.zs.dataset = "cifar10"
        with self.assertRaisesRegex(ValueError, "has no tokenizer"):
            config_lib.validate(config)

    def test_unknown_keys_get_a_suggestion(self):
        config = config_lib.base_config()
        self.assertIn("config.batch_size",
                      config_lib.unknown_key(config, "batchsize"))
        self.assertIn("use config.model.image.image_size",
                      config_lib.unknown_key(config, "data.image_size"))
        self.assertIn("--config.model.text.max_len=16",
                      config_lib.help_text(config))
