"""The example scripts run as a user runs them: the toy demo's loss goes
down (one device and data-parallel), the shapes demo beats chance."""

import os
import re
import subprocess
import sys

import pytest
from absl.testing import parameterized

from keras_lip.testing import TestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(script, args):
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)  # The script sets its own device count.
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", script), *args],
        capture_output=True, text=True, timeout=900, env=env, cwd=ROOT)


class ExamplesTest(TestCase):
    def test_help(self):
        for script in ("toy_fit.py", "shapes_fit.py"):
            result = _run(script, ["--help"])
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("usage:", result.stdout)

    # The JAX ring under 4 virtual CPU devices on 2 cores aborted twice in
    # ~10 CI runs inside XLA's CPU CollectivePermute rendezvous
    # (AwaitAndLogIfStuck, SIGABRT) while an eager op ran; undiagnosed. The
    # demo test uses "gather"; ring exactness stays covered by
    # distributed_loss_test and distributed_fit_test.
    @parameterized.parameters(([],), (["--replicas=4", "--negatives=gather"],))
    def test_toy_fit_trains(self, args):
        result = _run("toy_fit.py", ["--epochs=3", *args])
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        match = re.search(r"OK: loss went down from ([\d.]+) to ([\d.]+)",
                          result.stdout)
        self.assertIsNotNone(match, result.stdout[-3000:])
        self.assertLess(float(match.group(2)), 0.8 * float(match.group(1)))

    @pytest.mark.slow
    def test_shapes_fit_learns(self):
        plots = os.path.join(self.get_temp_dir(), "plots")
        result = _run("shapes_fit.py", ["--epochs=4", "--eval_every=2",
                                        f"--plots_dir={plots}"])
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        out = result.stdout
        self.assertIn("OK: zero-shot and retrieval far above chance", out)
        r1 = float(re.search(r"i2t R@1 ([\d.]+)", out).group(1))
        self.assertGreater(r1, 0.1)  # chance: 1/180
        self.assertIn("zeroshot_top1 [", out)  # logged twice in History
        self.assertEqual(sorted(os.listdir(plots)),
                         ["retrieval.png", "similarity.png"])
