"""The evaluation demo trains on the shapes data and beats chance."""

import os
import re

import pytest

from keras_lip.testing import TestCase
from keras_lip.testing.subprocess_utils import run_python

DEMO = """
import sys
from keras_lip.cli import demo_eval
sys.exit(demo_eval.main({args!r}))
"""


class DemoEvalTest(TestCase):
    @pytest.mark.slow
    def test_short_demo_learns(self):
        plots = os.path.join(self.get_temp_dir(), "plots")
        result = run_python(DEMO.format(args=[
            "--epochs=4", "--eval_every=2", "--train_examples=8192",
            f"--plots_dir={plots}"]))
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        out = result.stdout
        self.assertIn("OK: zero-shot and retrieval far above chance", out)
        r1 = float(re.search(r"i2t R@1 ([\d.]+)", out).group(1))
        self.assertGreater(r1, 0.1)  # chance: 1/180
        self.assertIn("zeroshot_top1 [", out)  # logged twice in History
        self.assertEqual(sorted(os.listdir(plots)),
                         ["retrieval.png", "similarity.png"])
