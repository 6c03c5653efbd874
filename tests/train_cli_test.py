"""`python -m keras_lip.train` on the built-in demo (shortened): it
evaluates, writes TensorBoard scalars (loss, t, b, learning rate, eval
metrics), exports a SavedModel and leaves in the workdir what a person
looks at (plots, config, final model, README.txt), quietly."""

import glob
import os
import subprocess
import sys

import keras
import tensorflow as tf

from keras_lip.testing import TestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _scalar_tags(logdir):
    tags = set()
    for path in glob.glob(os.path.join(logdir, "**", "events.*"),
                          recursive=True):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags.update(v.tag for v in event.summary.value)
    return tags


class TrainCliTest(TestCase):
    def test_demo_runs_evaluates_logs_and_exports(self):
        workdir = os.path.join(self.get_temp_dir(), "w")
        proc = subprocess.run(
            [sys.executable, "-m", "keras_lip.train", f"--workdir={workdir}",
             f"--config.backend={keras.config.backend()}",
             "--config.total_steps=32", "--config.steps_per_checkpoint=16",
             "--config.data.train_examples=512",
             "--config.evals.demo.every_n_checkpoints=2"],
            capture_output=True, text=True, timeout=900)
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        self.assertIn("zero-shot on held-out colour-shape pairs", proc.stdout)
        self.assertIn("image→text R@1", proc.stdout)
        self.assertTrue(os.path.exists(
            os.path.join(workdir, "saved_model", "saved_model.pb")))
        # Quiet by default: no framework start-up noise, no \r progress
        # bars in a file, the config in a few lines.
        for noise in ("I0000", "cuInit", "oneDNN", "use_unbounded",
                      "All log messages before absl"):
            self.assertNotIn(noise, proc.stderr)
        self.assertNotIn("\r", proc.stdout)
        self.assertLess(proc.stdout.index("model: SigLIP"), 600)
        # What a person looks at, all listed at the end and in README.txt.
        for name in ("config.json", "model.keras", "README.txt",
                     "inputs.json", "vocabulary.txt",
                     os.path.join("plots", "similarity.png"),
                     os.path.join("plots", "retrieval.png")):
            path = os.path.join(workdir, name)
            self.assertGreater(os.path.getsize(path), 0, name)
            self.assertIn(path, proc.stdout)
        with open(os.path.join(workdir, "README.txt")) as f:
            readme = f.read()
        for text in ("zero-shot on held-out", "m.embed_texts(token_ids)",
                     "int32 [B, 16]", "padded with id 0", "serving_default"):
            self.assertIn(text, readme)
        restored = keras.models.load_model(os.path.join(workdir,
                                                        "model.keras"))
        self.assertEqual(restored.text_length, 16)
        tags = _scalar_tags(os.path.join(workdir, "tensorboard"))
        for tag in ("epoch_loss", "epoch_temperature", "epoch_bias",
                    "epoch_learning_rate", "epoch_demo_zeroshot_top1",
                    "epoch_demo_retrieval_i2t_r1"):
            self.assertIn(tag, tags)
        # Same command again: nothing left to train, evaluates and exports.
        again = subprocess.run(proc.args, capture_output=True, text=True,
                               timeout=900)
        self.assertEqual(again.returncode, 0, again.stderr[-4000:])
        self.assertIn("Resuming from step 32", again.stdout)
        self.assertNotIn("Epoch 1/", again.stdout)
        # Another model in the same workdir is refused, in one line.
        other = subprocess.run(proc.args + ["--config.model.text.max_len=12"],
                               capture_output=True, text=True, timeout=900)
        self.assertNotEqual(other.returncode, 0)
        self.assertIn("config.model.text.max_len was 16, now 12",
                      other.stderr)
        self.assertNotIn("Traceback", other.stderr)

    def test_clip_family_trains_through_the_cli(self):
        workdir = os.path.join(self.get_temp_dir(), "clip")
        proc = subprocess.run(
            [sys.executable, "-m", "keras_lip.train", f"--workdir={workdir}",
             f"--config={os.path.join(ROOT, 'experiments', 'clip_demo.py')}",
             f"--config.backend={keras.config.backend()}",
             "--config.total_steps=4", "--config.steps_per_checkpoint=2",
             "--config.data.train_examples=256", "--config.export=False",
             "--config.evals.demo.every_n_checkpoints=0"],
            capture_output=True, text=True, timeout=900)
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        self.assertIn("model: CLIP", proc.stdout)
        self.assertIn("loss SoftmaxContrastiveLoss", proc.stdout)
        self.assertIn("zero-shot on held-out colour-shape pairs", proc.stdout)
        tags = _scalar_tags(os.path.join(workdir, "tensorboard"))
        self.assertIn("epoch_temperature", tags)
        self.assertNotIn("epoch_bias", tags)  # CLIP has no bias.
