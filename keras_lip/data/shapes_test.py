"""The built-in shapes demo data and its word tokenizer."""

import numpy as np
import tensorflow as tf

from keras_lip import data as data_lib
from keras_lip.data.shapes import COLORS, SHAPES, ShapesDataset
from keras_lip.testing import TestCase


class ShapesTest(TestCase):
    def test_deterministic_and_seeded(self):
        data = ShapesDataset(image_size=24)
        a, b = data.generate(20, seed=3), data.generate(20, seed=3)
        np.testing.assert_array_equal(a["images"], b["images"])
        self.assertEqual(a["captions"], b["captions"])
        c = data.generate(20, seed=4)
        self.assertFalse(np.array_equal(a["images"], c["images"]))
        self.assertEqual(a["images"].shape, (20, 24, 24, 3))

    def test_held_out_pairs_never_in_train(self):
        data = ShapesDataset()
        train = data.generate(2000, "train", seed=0)
        held = {(list(COLORS).index(c), SHAPES.index(s))
                for c, s in data.held_out}
        seen = set(zip(train["color"].tolist(), train["shape"].tolist()))
        self.assertFalse(seen & held)
        self.assertLen(seen, 24 - len(held))
        test = data.generate(200, "held_out", seed=1)
        self.assertEqual(
            set(zip(test["color"].tolist(), test["shape"].tolist())), held)
        # Every colour and every shape still occurs in training.
        self.assertLen(set(train["color"].tolist()), len(COLORS))
        self.assertLen(set(train["shape"].tolist()), len(SHAPES))

    def test_captions_and_labels_describe_the_image(self):
        data = ShapesDataset(image_size=32)
        ex = data.generate(50, seed=0)
        for i in range(50):
            color = list(COLORS)[ex["color"][i]]
            shape = SHAPES[ex["shape"][i]]
            self.assertEqual(data.class_names[ex["labels"][i]],
                             f"{color} {shape}")
            for caption in ex["captions"][i]:
                self.assertIn(color, caption)
                self.assertIn(shape, caption)
            # The shape's colour is the brightest pixel's colour.
            pixels = ex["images"][i].reshape(-1, 3).astype(int)
            brightest = pixels[np.argmax(pixels.sum(1))]
            self.assertLess(np.abs(brightest - COLORS[color]).max(), 25)

    def test_unique_combinations(self):
        data = ShapesDataset()
        ex = data.generate(180, "train", seed=0, unique=True)
        combos = set(zip(ex["color"], ex["shape"], ex["size"],
                         ex["position"]))
        self.assertLen(combos, 180)
        with self.assertRaisesRegex(ValueError, "at most 180"):
            data.generate(181, "train", unique=True)

    def test_tokenizer_covers_captions_and_prompts(self):
        data = ShapesDataset()
        tok = data.tokenizer()
        ex = data.generate(30, seed=0)
        texts = [c for caps in ex["captions"] for c in caps]
        texts += [t.replace("{}", n) for t in data.zero_shot_templates
                  for n in data.class_names]
        ids = tok.tokenize(tf.constant(texts)).flat_values.numpy()
        self.assertNotIn(2, ids)  # no <unk>
        self.assertGreater(ids.min(), 2)

    def test_pipeline_batches(self):
        data = ShapesDataset(image_size=16)
        tok = data.tokenizer()
        text = data_lib.TextPreprocessing(max_len=12, pad_value=0)
        image = data_lib.ImagePreprocessing(size=16)
        train = data_lib.ImageTextPipeline(
            data.source(10, seed=0), tok, batch_size=4, training=True,
            image=image, text=text)
        batches = list(train.dataset())
        self.assertLen(batches, 2)
        self.assertEqual(batches[0]["token_ids"].shape, (4, 12))
        evaluation = data_lib.ImageTextPipeline(
            data.source(10, seed=0), tok, batch_size=4, training=False,
            image=image, text=text)
        batch = next(iter(evaluation.dataset()))
        self.assertEqual(batch["token_ids"].shape, (4, 3, 12))
        expected = data.generate(10, seed=0)["images"][:4] / 127.5 - 1
        self.assertAllClose(batch["images"], expected, atol=1e-5)
