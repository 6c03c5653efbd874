import os
import subprocess
import sys

from keras_lip.testing import TestCase

TOOL = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tools", "bench_render.py")


class BenchRenderTest(TestCase):
    def test_tiny_run_checks_images_and_prints_ratio(self):
        proc = subprocess.run(
            [sys.executable, TOOL, "--num_captions=24", "--batch_size=8",
             "--image_size=64", "--words=2,30", "--repeats=1"],
            capture_output=True, text=True, timeout=600)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        out = proc.stdout
        self.assertIn("PIL and render_text images identical: True", out)
        self.assertRegex(out, r"render_text, tf.data \(all cores\): [0-9]+ "
                              r"captions/s")
        self.assertRegex(out, r"PIL ImageDraw \+ NumPy \(1 thread\): [0-9]+ "
                              r"captions/s")
        self.assertRegex(out, r"ratio: [0-9.]+x \(all cores\), [0-9.]+x")
        self.assertIn("allocator:", out)
        self.assertRegex(out, r"float32 matmul ceiling .*: [0-9]+ GFLOP/s")
