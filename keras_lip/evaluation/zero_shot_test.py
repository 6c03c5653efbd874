"""Zero-shot classification: class-embedding averaging and accuracy."""

import keras
import numpy as np
from keras import ops

from keras_lip.data import TextPreprocessing
from keras_lip.data.word_tokenizer import WordTokenizer
from keras_lip.evaluation import prompts, zero_shot
from keras_lip.testing import TestCase, tiny_siglip

NAMES = ["red circle", "blue square", "green cross"]
TOKENIZER = WordTokenizer("a photo of the red blue green circle square "
                          "cross".split())
TEXT = TextPreprocessing(max_len=8, pad_value=0)


class _Oracle(keras.Model):
    """Images carry a one-hot class in pixel (0, 0); texts are embedded as
    word counts: a perfect zero-shot model for `NAMES`."""

    def embed_images(self, images, training=None):
        return ops.cast(images[:, 0, 0, :], "float32")

    def embed_texts(self, token_ids, training=None):
        ids = [TOKENIZER.token_to_id(w) for w in ("red", "blue", "green")]
        counts = [ops.sum(ops.cast(token_ids == i, "float32"), axis=1)
                  for i in ids]
        return ops.stack(counts, axis=1) + 1e-3


class ZeroShotTest(TestCase):
    def test_class_embeddings_average_normalised_prompts(self):
        model = tiny_siglip(width=32, depth=1,
                            vocab_size=TOKENIZER.vocab_size)
        templates = ["a photo of the {}", "{}."]
        got = zero_shot.class_embeddings(model, NAMES, TOKENIZER, templates,
                                         text=TEXT)
        self.assertEqual(got.shape, (3, 32))
        for label, name in enumerate(NAMES):
            texts = [t.replace("{}", name) for t in
                     prompts.prompt_templates(templates)]
            z = np.asarray(model.embed_texts(
                zero_shot.tokenize_texts(texts, TOKENIZER, TEXT)))
            z = z / np.linalg.norm(z, axis=1, keepdims=True)
            mean = z.mean(0)
            self.assertAllClose(got[label], mean / np.linalg.norm(mean),
                                atol=1e-5)
        self.assertAllClose(np.linalg.norm(got, axis=1), np.ones(3),
                            atol=1e-5)

    def test_prompts_are_canonicalised_before_tokenising(self):
        raw = zero_shot.tokenize_texts(["A photo of the Red_circle."],
                                       TOKENIZER, TEXT)
        _, texts = prompts.expand_prompts(["Red_circle"],
                                          ["A photo of the {}."])
        self.assertEqual(texts, ["a photo of the red circle"])
        self.assertAllClose(
            zero_shot.tokenize_texts(texts, TOKENIZER, TEXT), raw)

    def test_oracle_accuracy_and_mistakes(self):
        labels = np.array([0, 1, 2, 2, 1, 0])
        images = np.zeros((6, 2, 2, 3), "float32")
        images[np.arange(6), 0, 0, labels] = 1
        predicted = labels.copy()
        predicted[:2] = [2, 0]  # Two images drawn as the wrong class.
        images[:2] = 0
        images[np.arange(2), 0, 0, predicted[:2]] = 1
        result = zero_shot.evaluate_zero_shot(
            _Oracle(), [{"images": images[:4], "labels": labels[:4]},
                        {"images": images[4:], "labels": labels[4:]}],
            NAMES, TOKENIZER, "clip_best", text=TEXT, ks=(1, 2, 5))
        self.assertEqual(result["num_images"], 6)
        self.assertAlmostEqual(result["top1"], 4 / 6)
        self.assertEqual(result["top5"], 1.0)
        self.assertGreaterEqual(result["top2"], result["top1"])

    def test_label_out_of_range(self):
        with self.assertRaisesRegex(ValueError, "Labels must be in"):
            zero_shot.evaluate_zero_shot(
                _Oracle(), [(np.zeros((1, 2, 2, 3)), np.array([3]))], NAMES,
                TOKENIZER, "class_name_only", text=TEXT)
