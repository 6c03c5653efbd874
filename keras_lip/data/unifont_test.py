import hashlib
import os
import pathlib
import warnings

import numpy as np

from keras_lip.data import unifont
from keras_lip.data.unifont import UnifontAtlas
from keras_lip.testing import TestCase
from keras_lip.testing.test_case import REPO_ROOT

# 8 px "A"-like glyph, a 16 px glyph, and the same codepoint redrawn later.
NARROW = "0041:" + "00" * 4 + "18243C2424" + "00" * 7
WIDE = "4E00:" + "0000" * 7 + "FFFF" + "8001" + "0000" * 7
UPPER = "01F600:" + "0180" * 16
REDRAWN = "0041:" + "FF" * 16


class PackagedAtlasTest(TestCase):
    def test_found_through_importlib_resources_with_its_licence(self):
        path = unifont.default_atlas_path()
        self.assertTrue(path.is_file())
        fonts = path.parent
        self.assertIn("SIL OPEN FONT LICENSE",
                      fonts.joinpath("OFL-1.1.txt").read_text())
        self.assertIn("Roman Czyborra",
                      fonts.joinpath("OFL-1.1.txt").read_text())
        provenance = fonts.joinpath("PROVENANCE.md").read_text()
        atlas = UnifontAtlas.load()
        # The provenance names the atlas file and its sources as they are.
        self.assertIn(hashlib.sha256(path.read_bytes()).hexdigest(),
                      provenance)
        self.assertIn(f"{path.stat().st_size:,} bytes", provenance)
        self.assertEqual([s["file"] for s in atlas.sources],
                         ["unifont-15.0.01.hex", "unifont_upper-15.0.01.hex"])
        for source in atlas.sources:
            self.assertIn(source["sha256"], provenance)
            self.assertIn(f"{source['glyphs']:,}", provenance)
        self.assertEqual(len(atlas), 57086 + 12687)
        self.assertIn(f"{len(atlas):,} bitmap glyphs", provenance)

    def test_setuptools_ships_the_fonts_as_package_data(self):
        from setuptools.config.pyprojecttoml import apply_configuration
        from setuptools.dist import Distribution

        cwd = os.getcwd()
        os.chdir(REPO_ROOT)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # setuptools' beta notices
                dist = apply_configuration(Distribution(), "pyproject.toml")
                build_py = dist.get_command_obj("build_py")
                build_py.ensure_finalized()
                build_py.manifest_files = {}  # package-data only, no sdist
                shipped = build_py.find_data_files("keras_lip.data",
                                                   "keras_lip/data")
        finally:
            os.chdir(cwd)
        self.assertIn("keras_lip.data", dist.packages)
        fonts = REPO_ROOT / "keras_lip" / "data" / "fonts"
        self.assertEqual(sorted(shipped), sorted(
            f"keras_lip/data/fonts/{f}" for f in os.listdir(fonts)))
        self.assertIn("keras_lip/data/fonts/unifont_atlas.npz", shipped)


class AtlasTest(TestCase):
    def write(self, name, *lines):
        path = os.path.join(self.get_temp_dir(), name)
        with open(path, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        return path

    def test_hex_save_load_round_trip(self):
        plane0 = self.write("plane0.hex", NARROW, WIDE)
        upper = self.write("upper.hex", UPPER, REDRAWN)
        atlas = UnifontAtlas.from_hex(plane0, upper)
        self.assertEqual(atlas.codepoints.tolist(), [0x41, 0x4E00, 0x1F600])
        self.assertEqual(atlas.wide.tolist(), [False, True, True])
        self.assertTrue((atlas.bitmap(0x41)[:, :8] == 1).all())  # redrawn
        self.assertTrue((atlas.bitmap(0x41)[:, 8:] == 0).all())
        wide = atlas.bitmap(0x4E00)
        self.assertEqual(wide[7].tolist(), [1] * 16)
        self.assertEqual(wide[8].tolist(), [1] + [0] * 14 + [1])
        self.assertEqual(int(wide.sum()), 18)
        self.assertEqual(atlas.bitmap(0x1F600)[:, 7:9].sum(), 32)
        self.assertEqual(atlas.bitmap(0x42).sum(), 0)  # absent: blank
        with open(plane0, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(atlas.sources[0], {"file": "plane0.hex", "glyphs": 2,
                                            "sha256": digest})
        path = os.path.join(self.get_temp_dir(), "atlas.npz")
        atlas.save(path)
        loaded = UnifontAtlas.load(path)
        np.testing.assert_array_equal(loaded.codepoints, atlas.codepoints)
        np.testing.assert_array_equal(loaded.rows, atlas.rows)
        np.testing.assert_array_equal(loaded.wide, atlas.wide)
        self.assertEqual(loaded.sources, atlas.sources)
        first = pathlib.Path(path).read_bytes()
        atlas.save(path)
        self.assertEqual(pathlib.Path(path).read_bytes(), first)  # stable
        with np.load(path) as npz:  # plain np.load reads it
            self.assertEqual(int(npz["format"]), unifont.FORMAT)

    def test_bad_hex_lines_name_the_line(self):
        for line, pattern in (
                ("0041 0000", "bad.hex:2: not a Unifont .hex line"),
                ("0041:" + "0" * 48, r"bad.hex:2: U\+0041 has 48 hex digits"),
                ("110000:" + "0" * 32, "bad.hex:2: codepoint 110000 is "
                 "beyond U\\+10FFFF"),
                ("0041:zz" + "0" * 30, "bad.hex:2: not a Unifont")):
            path = self.write("bad.hex", NARROW, line)
            with self.assertRaisesRegex(ValueError, pattern):
                UnifontAtlas.from_hex(path)
        with self.assertRaisesRegex(ValueError, "No glyphs in"):
            UnifontAtlas.from_hex(self.write("empty.hex", ""))

    def test_bad_atlas_file(self):
        path = self.write("not_an_atlas.npz", "hello")
        with self.assertRaisesRegex(ValueError,
                                    "not_an_atlas.npz is not a Unifont atlas"):
            UnifontAtlas.load(path)
        with self.assertRaisesRegex(ValueError, "8-pixel-wide glyphs"):
            UnifontAtlas([65], np.full((1, 16), 0x00FF), [False])
        with self.assertRaisesRegex(ValueError, "strictly increasing"):
            UnifontAtlas([66, 65], np.zeros((2, 16)), [False, False])
