import os
import subprocess
import sys

from keras_lip.testing import TestCase

TOOL = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tools", "bench_input.py")


class BenchInputTest(TestCase):
    def test_tiny_run_prints_rates_and_ratio(self):
        proc = subprocess.run(
            [sys.executable, TOOL, "--num_images=16", "--batch_size=4",
             "--source_size=40,60", "--image_size=32", "--max_len=8",
             "--repeats=1"], capture_output=True, text=True, timeout=600)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertRegex(proc.stdout, r"keras_lip.data: [0-9.]+ images/s")
        self.assertRegex(proc.stdout, r"PIL \+ Python *: [0-9.]+ images/s")
        self.assertRegex(proc.stdout, r"ratio: [0-9.]+x")
        self.assertIn("allocator:", proc.stdout)
