import json
import os

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_lip.data import render_main
from keras_lip.data.render import render_text
from keras_lip.data.unifont import UnifontAtlas
from keras_lip.testing import TestCase, golden_dir
from keras_lip.testing.test_case import REPO_ROOT

GOLDEN_SETS = {"main_prop": dict(image_size=224),
               "main_mono": dict(image_size=224, monospace=True),
               "small_prop": dict(image_size=64),
               "small_mono": dict(image_size=64, monospace=True)}


def _map(strings, batch, **kwargs):
    dataset = tf.data.Dataset.from_tensor_slices(strings)
    if batch:
        dataset = dataset.batch(batch)
    dataset = dataset.map(lambda t: render_text(t, **kwargs))
    if batch:
        return np.concatenate(list(dataset.as_numpy_iterator()))
    return np.stack(list(dataset.as_numpy_iterator()))


class GoldenTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(golden_dir("clippo", "strings.json")) as f:
            cls.strings = json.load(f)["strings"]
        with np.load(golden_dir("clippo", "renders.npz")) as npz:
            cls.renders = {name: npz[name] for name in GOLDEN_SETS}

    @parameterized.named_parameters(*((k, k) for k in GOLDEN_SETS))
    def test_every_string_matches_big_vision(self, name):
        expected, kwargs = self.renders[name], GOLDEN_SETS[name]
        self.assertEqual(len(expected), len(self.strings))
        scalars = _map(self.strings, 0, **kwargs)      # one string a call
        batches = _map(self.strings, 8, **kwargs)      # [8] -> [8, S, S, 3]
        for i, text in enumerate(self.strings):
            np.testing.assert_array_equal(scalars[i], expected[i],
                                          err_msg=repr(text))
            np.testing.assert_array_equal(batches[i], expected[i],
                                          err_msg=repr(text))

    def test_other_parameters_match_big_vision(self):
        # Made by tools/make_render_goldens.py with big_vision's own op.
        folder = REPO_ROOT / "tests" / "testdata" / "render"
        with open(folder / "big_vision_renders.json") as f:
            spec = json.load(f)
        texts = [bytes.fromhex(h) for h in spec["strings_utf8_hex"]]
        self.assertIn(b"\xff", texts[-1])  # Invalid UTF-8 is covered.
        with np.load(folder / "big_vision_renders.npz") as npz:
            for i, case in enumerate(spec["cases"]):
                images = render_text(tf.constant(texts), **case).numpy()
                np.testing.assert_array_equal(images[..., 0],
                                              npz[f"case_{i}"], str(case))
                np.testing.assert_array_equal(images, images[..., :1]
                                              .repeat(3, -1), str(case))


class RenderTextTest(TestCase):
    def same(self, a, b, **kwargs):
        return np.array_equal(render_text(a, **kwargs).numpy(),
                              render_text(b, **kwargs).numpy())

    def test_shapes_in_eager_graph_and_tf_data(self):
        self.assertEqual(render_text("a", image_size=32).shape, (32, 32, 3))
        grid = render_text(tf.constant([["a", "b", "c"], ["d", "", "f"]]),
                           image_size=32)
        self.assertEqual(grid.shape, (2, 3, 32, 32, 3))
        self.assertEqual(render_text(tf.constant([], tf.string),
                                     image_size=32).shape, (0, 32, 32, 3))
        fn = tf.function(lambda t: render_text(t, image_size=32),
                         input_signature=[tf.TensorSpec(None, tf.string)])
        self.assertEqual(fn(tf.constant(["x", "y"])).shape, (2, 32, 32, 3))
        np.testing.assert_array_equal(fn(tf.constant([["x"]]))[0, 0],
                                      render_text("x", image_size=32))
        dataset = tf.data.Dataset.from_tensor_slices(["a", "b", "c"]).batch(2)
        dataset = dataset.map(lambda t: render_text(t, image_size=32))
        self.assertEqual(dataset.element_spec.shape.as_list(),
                         [None, 32, 32, 3])
        self.assertEqual(dataset.element_spec.dtype, tf.uint8)
        self.assertEqual([b.shape[0] for b in dataset], [2, 1])

    def test_brightness_and_blank(self):
        image = render_text("", image_size=32).numpy()
        self.assertTrue((image == 127).all())
        image = render_text("W", image_size=32, text_brightness=255,
                            background_brightness=3).numpy()
        self.assertEqual(sorted(np.unique(image)), [3, 255])

    def test_codepoints_without_glyph_are_blank(self):
        atlas = UnifontAtlas.load()
        for c in (0xE000, 0x20000, 0x10FFFF):
            self.assertNotIn(c, atlas.codepoints)
        # A blank glyph, like the space: min_width columns, or 16 if mono.
        self.assertTrue(self.same("a\ue000b", "a b"))
        self.assertTrue(self.same("a\U00020000\U0010ffffb", "a  b",
                                  monospace=True))
        self.assertFalse(self.same("a\ue000b", "ab"))
        # Above U+FFFF with a glyph (plane 1 emoji) draws it.
        self.assertIn(0x1F600, atlas.codepoints)
        self.assertFalse(self.same("\U0001f600", " "))

    def test_invalid_utf8_renders_the_replacement_character(self):
        self.assertTrue(self.same(tf.constant(b"a\xffb\xc3"),
                                  "a\ufffdb\ufffd"))

    def test_lowercases_ascii_only(self):
        self.assertTrue(self.same("A Cat", "a cat"))
        self.assertFalse(self.same("A Cat", "a cat", lower=False))
        self.assertFalse(self.same("\u00c9\u0416", "\u00e9\u0436"))

    def test_max_chars(self):
        self.assertTrue(self.same("abcdef", "abc", max_chars=3))
        self.assertFalse(self.same("abcdef", "abc", max_chars=None))
        # Like big_vision's `if max_chars:`, 0 means no limit.
        self.assertFalse(self.same("abcdef", "abc", max_chars=0))

    def test_custom_atlas(self):
        path = os.path.join(self.get_temp_dir(), "tiny.hex")
        with open(path, "w") as f:  # "a": a 2x2 dot in columns 3-4.
            f.write("0061:" + "00" * 6 + "18" * 2 + "00" * 8 + "\n")
        atlas = UnifontAtlas.from_hex(path)
        image = render_text("aZaaa", image_size=24, atlas=atlas).numpy()
        # Proportional: "a" keeps columns 2-5 (ink 3-4 minus 1 spacing, 4
        # wide at least), "z" has no glyph in this font (4 blank columns).
        # Rows hold 24 - 4 = 20 columns: "azaa" in row 0, "a" in row 1.
        expected = np.full((24, 24, 3), 127, np.uint8)
        expected[6:8, [1, 2, 9, 10, 13, 14]] = 0
        expected[16 + 6:16 + 8, [1, 2]] = 0
        np.testing.assert_array_equal(image, expected)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(TypeError, "strings, got int32"):
            render_text(tf.constant([1, 2]))
        for kwargs, pattern in (
                (dict(image_size=16), "image_size=16 must be an integer "
                 "larger than font_size=16"),
                (dict(text_brightness=256), "text_brightness=256"),
                (dict(background_brightness=-1), "background_brightness=-1"),
                (dict(max_chars=-5), "max_chars=-5"),
                (dict(font_size=0), "font_size=0"),
                (dict(spacing=1.5), "spacing=1.5")):
            with self.assertRaisesRegex(ValueError, pattern):
                render_text("a", **kwargs)


class RenderMainTest(TestCase):
    def test_writes_pngs_of_the_renders(self):
        folder = self.get_temp_dir()
        out = os.path.join(folder, "one.png")
        self.assertEqual(render_main.main(["A cat.", f"--output={out}",
                                           "--image_size=64"]), 0)
        png = tf.io.decode_png(tf.io.read_file(out)).numpy()
        np.testing.assert_array_equal(png, render_text("A cat.",
                                                       image_size=64))
        out = os.path.join(folder, "many.png")
        render_main.main(["x", "Y", f"--output={out}", "--image_size=32",
                          "--scale=3", "--no_lower", "--monospace"])
        for i, text in enumerate("xY"):
            png = tf.io.decode_png(tf.io.read_file(
                os.path.join(folder, f"many_{i}.png"))).numpy()
            self.assertEqual(png.shape, (96, 96, 3))
            np.testing.assert_array_equal(png[::3, ::3], render_text(
                text, image_size=32, lower=False, monospace=True))
        with self.assertRaises(SystemExit):
            render_main.main(["x", f"--output={out}", "--image_size=8"])
