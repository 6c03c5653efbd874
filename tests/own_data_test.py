"""README's "Training on your own data", as a user runs it: a folder of
images and a captions CSV, a tokenizer trained with
tools/train_tokenizer.py, then experiments/own_data.py through the CLI
(shrunk to CPU size), ending with retrieval on the held-out file and the
run's files in the workdir."""

import os
import subprocess
import sys

import keras
import pytest

from keras_lip.testing import TestCase
from keras_lip.testing import data_fixtures

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = ["red", "green", "blue", "small", "large", "square", "circle"]


def _write_data(folder, n=24):
    os.makedirs(os.path.join(folder, "images"))
    rows = {"train": [], "val": []}
    for i in range(n):
        name = f"images/{i:04d}.jpg"
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data_fixtures.jpeg_bytes(seed=i))
        caption = " ".join(WORDS[(i + j) % len(WORDS)] for j in range(3))
        rows["val" if i % 4 == 0 else "train"].append(f"{name},a {caption}")
    for split, lines in rows.items():
        with open(os.path.join(folder, f"{split}.csv"), "w") as f:
            f.write("image,caption\n" + "\n".join(lines) + "\n")


class OwnDataTest(TestCase):
    @pytest.mark.slow
    def test_readme_path(self):
        folder = self.get_temp_dir()
        _write_data(folder)
        tokenizer = subprocess.run(
            [sys.executable, os.path.join(ROOT, "tools", "train_tokenizer.py"),
             f"--captions={folder}/train.csv", f"--output={folder}/sp",
             "--vocab_size=40"], capture_output=True, text=True, timeout=300)
        self.assertEqual(tokenizer.returncode, 0, tokenizer.stderr[-3000:])
        self.assertIn(f"--config.data.tokenizer={folder}/sp.model",
                      tokenizer.stdout)
        vocab = int(tokenizer.stdout.rsplit("vocab_size=", 1)[1].split()[0])
        workdir = os.path.join(folder, "run")
        proc = subprocess.run(
            [sys.executable, "-m", "keras_lip.train", f"--workdir={workdir}",
             f"--config={os.path.join(ROOT, 'experiments', 'own_data.py')}",
             f"--config.backend={keras.config.backend()}",
             f"--config.data.train_files={folder}/train.csv",
             f"--config.data.eval_files={folder}/val.csv",
             f"--config.data.tokenizer={folder}/sp.model",
             f"--config.model.text.vocab_size={vocab}",
             # CPU-sized: the recipe's S/16 at 224 px would take minutes.
             "--config.model.image.variant=mu/8",
             "--config.model.image.image_size=32",
             "--config.model.text.variant=mu", "--config.model.text.max_len=16",
             "--config.batch_size=8", "--config.total_steps=4",
             "--config.steps_per_checkpoint=2",
             "--config.optimizer.warmup_steps=1",
             "--config.evals.val.every_n_checkpoints=0"],
            capture_output=True, text=True, timeout=900)
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        self.assertIn("val: retrieval (6 images, 6 captions)", proc.stdout)
        self.assertRegex(proc.stdout, r"input pipeline: \d+ examples delivered, 0 skipped")
        for name in ("README.txt", "model.keras", "config.json",
                     os.path.join("plots", "retrieval.png")):
            self.assertTrue(os.path.exists(os.path.join(workdir, name)), name)
