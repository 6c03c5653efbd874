"""Configs: every experiment file validates; bad keys and values are
rejected with their name before any work starts."""

import glob
import os
import subprocess
import sys

from keras_lip.testing import TestCase
from keras_lip.trainer import config as config_lib
from keras_lip.trainer import registry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class ConfigTest(TestCase):
    def test_experiments_validate(self):
        files = sorted(glob.glob(os.path.join(ROOT, "experiments", "*.py")))
        self.assertGreaterEqual(len(files), 4)
        for path in files:
            config = config_lib.load_config_file(path)
            # Real-data recipes name their files on the command line.
            if config.data.kind in ("tfrecord", "csv", "tfds"):
                config.data.tokenizer = __file__
            if config.data.kind in ("tfrecord", "csv"):
                config.data.train_files = config.data.eval_files = __file__
            config_lib.validate(config)
            self.assertIn(config.model.family, registry.FAMILIES, path)

    def test_bad_values_are_named(self):
        cases = [
            ("backend", "torch", "config.backend='torch'"),
            ("strategy", "mirrored", "needs backend='tensorflow'"),
            ("total_steps", 30, "multiple of steps_per_checkpoint"),
            ("batch_size", 0, "config.batch_size=0: must be positive"),
        ]
        for key, value, message in cases:
            config = config_lib.base_config()
            if key == "strategy":
                config.backend = "jax"
            config[key] = value
            with self.assertRaisesRegex(ValueError, message):
                config_lib.validate(config)
        config = config_lib.base_config()
        config.model.family = "limoe"
        with self.assertRaisesRegex(ValueError, "model.family='limoe'"):
            config_lib.validate(config)
        config = config_lib.base_config()
        config.data.kind = "tfrecord"
        config.data.train_files = __file__
        with self.assertRaisesRegex(ValueError, "data.tokenizer"):
            config_lib.validate(config)
        config.data.tokenizer = "/no/such/sp.model"
        with self.assertRaisesRegex(ValueError,
                                    "data.tokenizer='/no/such.*matches no"):
            config_lib.validate(config)
        config.data.tokenizer = __file__
        config.data.train_files = "/no/such/train-*.tfrecord"
        with self.assertRaisesRegex(ValueError,
                                    "data.train_files=.*matches no file"):
            config_lib.validate(config)

    def _cli(self, *flags, env=None):
        return subprocess.run(
            [sys.executable, "-m", "keras_lip.train", *flags,
             f"--workdir={self.get_temp_dir()}/w"],
            capture_output=True, text=True, timeout=300,
            env=dict(os.environ, **(env or {})))

    def test_cli_rejects_unknown_key_and_bad_value(self):
        for flag, message in (
                ("--config.batchsize=4", "Did you mean config.batch_size?"),
                ("--config.data.image_size=64",
                 "use config.model.image.image_size"),
                ("--config.optimizer.decay_type=step",
                 "config.optimizer.decay_type='step'")):
            proc = self._cli(flag)
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn(message, proc.stderr)
            # One line, not a traceback.
            self.assertNotIn("Traceback", proc.stderr)
            self.assertNotIn("Epoch", proc.stdout)

    def test_cli_help_and_backend_rule(self):
        proc = self._cli("--helpconfig")
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        self.assertIn("--config.model.image.variant='mu/4'  ViT size",
                      proc.stdout)
        proc = self._cli("--config.backend=tensorflow",
                         "--config.total_steps=30", env={
                             "KERAS_BACKEND": "jax"})
        self.assertIn("KERAS_BACKEND=jax but config.backend=tensorflow",
                      proc.stderr)
        self.assertIn("multiple of steps_per_checkpoint", proc.stderr)
