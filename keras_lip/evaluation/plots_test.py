"""The PNG plots are valid images that show the data."""

import os

import numpy as np
from PIL import Image

from keras_lip.data import TextPreprocessing
from keras_lip.data.shapes import ShapesDataset
from keras_lip.evaluation import plots
from keras_lip.testing import TestCase, tiny_siglip


class PlotsTest(TestCase):
    def test_similarity_png_colours_follow_values(self):
        path = os.path.join(self.get_temp_dir(), "sim.png")
        images = np.zeros((2, 8, 8, 3), "uint8")
        plots.similarity_png(images, ["low", "high"],
                             np.array([[0.0, 1.0], [1.0, 0.0]]), path)
        canvas = np.asarray(Image.open(path).convert("RGB")).astype(int)
        cell = plots._THUMB
        low = canvas[cell + 6, cell + 6]         # row 0, column 0 (min)
        high = canvas[cell + 6, 2 * cell + 6]    # row 0, column 1 (max)
        self.assertEqual(tuple(low), plots._color(0.0))
        self.assertEqual(tuple(high), plots._color(1.0))

    def test_write_plots_for_a_model(self):
        data = ShapesDataset(image_size=16)
        batch = data.generate(4, "all", seed=0, unique=True)
        images = batch["images"] / 127.5 - 1
        captions = [c[0] for c in batch["captions"]]
        tok = data.tokenizer()
        model = tiny_siglip(width=32, depth=1, vocab_size=tok.vocab_size)
        folder = os.path.join(self.get_temp_dir(), "plots")
        paths = plots.write_plots(
            model, images, captions, tok, folder,
            text=TextPreprocessing(max_len=12, pad_value=0),
            text_to_image=range(4))
        self.assertEqual([os.path.basename(p) for p in paths],
                         ["similarity.png", "retrieval.png"])
        for path in paths:
            with Image.open(path) as im:
                self.assertEqual(im.format, "PNG")
                self.assertGreater(min(im.size), 4 * plots._THUMB)
