"""Configs: every experiment file validates; bad keys and values are
rejected with their name before any work starts."""

import glob
import importlib.util
import os
import subprocess
import sys

from keras_lip.testing import TestCase
from keras_lip.training import config as config_lib
from keras_lip.training import registry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _load(path):
    spec = importlib.util.spec_from_file_location("cfg", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


class ConfigTest(TestCase):
    def test_experiments_validate(self):
        files = sorted(glob.glob(os.path.join(ROOT, "experiments", "*.py")))
        self.assertGreaterEqual(len(files), 4)
        for path in files:
            config = _load(path)
            # Real-data recipes name their tokenizer on the command line.
            if config.data.kind != "synthetic":
                config.data.tokenizer = "c4_en.model"
            config_lib.validate(config)
            self.assertIn(config.model.family, registry.MODELS, path)

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
        with self.assertRaisesRegex(ValueError, "data.tokenizer"):
            config_lib.validate(config)

    def test_cli_rejects_unknown_key_and_bad_value(self):
        for flag, message in (("--config.batchsize=4", "batchsize"),
                              ("--config.optimizer.decay_type=step",
                               "config.optimizer.decay_type='step'")):
            proc = subprocess.run(
                [sys.executable, "-m", "keras_lip.train", flag,
                 f"--workdir={self.get_temp_dir()}/w"],
                capture_output=True, text=True, timeout=300)
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn(message, proc.stderr)
            self.assertNotIn("Epoch", proc.stdout)
