import keras_hub
import numpy as np
import tensorflow as tf

from keras_lip.data import text_ops
from keras_lip.data.preprocess import TextPreprocessing
from keras_lip.testing import TestCase
from keras_lip.testing import data_fixtures


class TokenizeTest(TestCase):
    def setUp(self):
        super().setUp()
        self.model_path = data_fixtures.shared_sentencepiece()

    def _reference_ids(self, text):
        import sentencepiece as spm
        return spm.SentencePieceProcessor(
            model_file=self.model_path).encode(text)

    def test_matches_sentencepiece_and_sticky_eos(self):
        tok = text_ops.sentencepiece_tokenizer(self.model_path)
        self.assertEqual(text_ops.eos_id_of(tok), 1)
        short, long = "a dog", "a red dog runs on the green grass near a house"
        ref_short, ref_long = map(self._reference_ids, (short, long))
        self.assertGreater(len(ref_long), 6)
        ids = text_ops.tokenize(tf.constant([short, long]), tok, 6,
                                eos="sticky", eos_id=1, pad_value=0)
        self.assertEqual(ids.dtype, tf.int32)
        expected_short = (ref_short + [1] + [0] * 6)[:6]
        self.assertEqual(ids.numpy().tolist(),
                         [expected_short, ref_long[:5] + [1]])

    def test_eos_modes_and_padding(self):
        tok = text_ops.sentencepiece_tokenizer(self.model_path)
        long = "a red dog runs on the green grass near a house"
        ref = self._reference_ids(long)
        yes = text_ops.tokenize([long], tok, 4, eos="yes", eos_id=1,
                                pad_value=0)
        none = text_ops.tokenize(["a dog"], tok, 8, eos="none",
                                 pad_value=7)
        self.assertEqual(yes.numpy().tolist(), [ref[:4]])
        ref_short = self._reference_ids("a dog")
        self.assertEqual(none.numpy().tolist(),
                         [ref_short + [7] * (8 - len(ref_short))])
        with self.assertRaisesRegex(ValueError, "eos"):
            text_ops.tokenize(["a"], tok, 4, eos="always")

    def test_lowercase_and_canonicalize(self):
        tok = text_ops.sentencepiece_tokenizer(self.model_path)
        lower = TextPreprocessing(max_len=8)
        canon = TextPreprocessing(max_len=8, canonicalize=True)
        self.assertAllClose(lower(tf.constant(["A DOG"]), tok),
                            lower(tf.constant(["a dog"]), tok))
        self.assertAllClose(canon(tf.constant(["A,  dog!"]), tok),
                            canon(tf.constant(["a dog"]), tok))
        self.assertFalse(np.array_equal(
            lower(tf.constant(["A,  dog!"]), tok).numpy(),
            lower(tf.constant(["a dog"]), tok).numpy()))

    def test_keras_hub_tokenizer_plugs_in(self):
        hub = keras_hub.tokenizers.SentencePieceTokenizer(
            proto=self.model_path)
        tf_text = text_ops.sentencepiece_tokenizer(self.model_path)
        pp = TextPreprocessing(max_len=7)
        texts = tf.constant(["a dog on the grass", "two people"])
        self.assertEqual(pp.resolve_eos_id(hub), 1)
        self.assertAllClose(pp(texts, hub), pp(texts, tf_text))
        # In a tf.data map (graph mode), as the pipeline uses it.
        ds = tf.data.Dataset.from_tensors(texts).map(lambda t: pp(t, hub))
        self.assertAllClose(next(iter(ds)), pp(texts, tf_text))

    def test_missing_model_file(self):
        with self.assertRaisesRegex(FileNotFoundError, "nope.model"):
            text_ops.sentencepiece_tokenizer("/tmp/nope.model")


class CaptionReasonsTest(TestCase):
    def test_reasons(self):
        captions = tf.constant([b"a dog", b"", b"   \t", b"caf\xc3\xa9",
                                b"bad \xff\xfe bytes", b"\xc3"])
        self.assertEqual(text_ops.caption_reasons(captions).numpy().tolist(),
                         [0, 5, 5, 0, 6, 6])
