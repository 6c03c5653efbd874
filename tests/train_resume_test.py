"""`kill -9` during `python -m keras_lip.train` (the built-in demo: shapes
data through keras_lip.data's pipeline), run the same command again:
the run resumes from its last checkpoint and ends with exactly the weights
(and optimizer state) of an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np

from keras_lip.testing import TestCase
from keras_lip.testing.checkpoints import checkpoint_arrays

TOTAL, EVERY = 240, 4


def _command(workdir):
    return [sys.executable, "-m", "keras_lip.train", f"--workdir={workdir}",
            f"--config.backend={keras.config.backend()}",
            f"--config.total_steps={TOTAL}",
            f"--config.steps_per_checkpoint={EVERY}",
            "--config.batch_size=8", "--config.export=False",
            "--config.optimizer.warmup_steps=5",
            # The demo's real tf.data pipeline (shuffle, decode, tokenise),
            # smaller; no evaluation callbacks.
            "--config.data.train_examples=512",
            "--config.evals.demo.enabled=False"]


def _run(workdir):
    proc = subprocess.run(_command(workdir), capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _step(workdir):
    path = os.path.join(workdir, "checkpoints", "checkpoint.json")
    try:
        with open(path) as f:
            return json.load(f)["step"]
    except (OSError, ValueError):
        return 0


class TrainResumeTest(TestCase):
    def test_kill_and_resume_is_exact(self):
        root = self.get_temp_dir()
        straight, broken = (os.path.join(root, n) for n in ("a", "b"))
        _run(straight)
        self.assertEqual(_step(straight), TOTAL)

        proc = subprocess.Popen(_command(broken), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.time() + 600
        while _step(broken) < 2 * EVERY and proc.poll() is None:
            self.assertLess(time.time(), deadline)
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = _step(broken)
        self.assertLess(killed_at, TOTAL, "the run ended before the kill")
        self.assertEqual(proc.returncode, -signal.SIGKILL)

        output = _run(broken)
        self.assertIn(f"Resuming from step {killed_at}", output)
        want, got = checkpoint_arrays(straight), checkpoint_arrays(broken)
        self.assertEqual(sorted(got), sorted(want))
        self.assertGreater(len(want), 20)  # Weights and optimizer state.
        for key in want:
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)
        # Optimizer state is in the checkpoint: vars/0 is its step counter.
        self.assertEqual(int(want["optimizer/vars/0"]), TOTAL)
        self.assertGreater(sum(k.startswith("optimizer/") for k in want), 40)
