"""One canonicalisation: the TensorFlow op that training captions go
through (`TextPreprocessing(canonicalize=True)`) equals big_vision's
`canonicalize_text`, which zero-shot prompts go through."""

import json

import tensorflow as tf

from keras_lip.data import text_ops
from keras_lip.evaluation import canonicalize_text
from keras_lip.testing import TestCase
from keras_lip.testing import golden_dir


class CanonicalizeTest(TestCase):
    def test_tf_op_equals_big_vision_canonicalize_text(self):
        with open(golden_dir("zero_shot", "zero_shot.json")) as f:
            cases = json.load(f)["canonicalize_cases"]
        for case in cases:  # The Python reference is big_vision's.
            self.assertEqual(canonicalize_text(case["input"]),
                             case["canonicalize_text"], case["input"])
        # Beyond the goldens: Unicode case and white space as Python's
        # str.lower / str.isspace (big_vision's), apostrophes, hyphens.
        texts = [case["input"] for case in cases] + [
            "CAFÉ Δ ΟΔΟΣ", "a\u3000b\u00a0c\x1fd\u2028", " U.S.A. ",
            "dog's man-eater", "\u2003x_y\t\n", "", "!!!", "Straße"]
        got = [t.decode("utf-8") for t in
               text_ops.canonicalize(tf.constant(texts)).numpy()]
        self.assertEqual(got, [canonicalize_text(t) for t in texts])
