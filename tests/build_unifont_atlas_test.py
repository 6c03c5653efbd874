import os
import subprocess
import sys

import numpy as np

from keras_lip.data import render_text
from keras_lip.data.unifont import UnifontAtlas
from keras_lip.testing import TestCase

TOOL = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tools", "build_unifont_atlas.py")


class BuildUnifontAtlasTest(TestCase):
    def test_builds_an_atlas_that_renders(self):
        folder = self.get_temp_dir()
        plane0, upper = (os.path.join(folder, n) for n in ("a.hex", "b.hex"))
        with open(plane0, "w") as f:
            f.write("0078:" + "00" * 4 + "81" * 8 + "00" * 4 + "\n")  # "x"
            f.write("0079:" + "FF" * 16 + "\n")                       # "y"
        with open(upper, "w") as f:
            f.write("0079:" + "0000" * 15 + "8001" + "\n")  # redraws "y"
            f.write("01F600:" + "FFFF" * 16 + "\n")
        out = os.path.join(folder, "atlas.npz")
        proc = subprocess.run([sys.executable, TOOL, plane0, upper,
                               f"--output={out}"], capture_output=True,
                              text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertIn("a.hex: 2 glyphs, sha256 ", proc.stdout)
        self.assertIn(f"{out}: 3 glyphs (2 16 px wide), "
                      f"{os.path.getsize(out)} bytes", proc.stdout)
        atlas = UnifontAtlas.load(out)
        image = render_text("xy\U0001f600", image_size=64, monospace=True,
                            atlas=atlas).numpy()[..., 0]
        ink = image == 0
        self.assertEqual(ink[4:12, 0].tolist(), [True] * 8)    # x, left
        self.assertEqual(ink[4:12, 7].tolist(), [True] * 8)    # x, right
        self.assertEqual(int(ink[:16, :16].sum()), 16)
        self.assertEqual(np.flatnonzero(ink[15, 16:32]).tolist(), [0, 15])
        self.assertEqual(int(ink[:16, 16:32].sum()), 2)        # y redrawn
        # Rows of 64 - 16 = 48 columns: the third character ends at 48,
        # so U+1F600 starts row 1.
        self.assertTrue(ink[16:32, :16].all())
        self.assertEqual(int(ink.sum()), 16 + 2 + 256)

    def test_bad_input_names_the_file(self):
        folder = self.get_temp_dir()
        path = os.path.join(folder, "bad.hex")
        with open(path, "w") as f:
            f.write("0041:00\n")
        proc = subprocess.run([sys.executable, TOOL, path,
                               f"--output={folder}/x.npz"],
                              capture_output=True, text=True, timeout=300)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(f"{path}:1: U+0041 has 2 hex digits", proc.stderr)
        self.assertFalse(os.path.exists(f"{folder}/x.npz"))
