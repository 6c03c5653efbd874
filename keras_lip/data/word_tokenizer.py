"""A word-level tokenizer for closed vocabularies (the built-in demo data)."""

import tensorflow as tf

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"


class WordTokenizer:
    """Lowercase words → ids through a fixed vocabulary, in TensorFlow.

    Ids: 0 `<pad>`, 1 `</s>`, 2 `<unk>`, then `vocabulary` in the given
    order. Text is lowercased, anything but letters and digits separates
    words. Usable wherever `ImageTextPipeline` takes a tokenizer (it has
    `tokenize` and `token_to_id`), so training captions and zero-shot
    prompts are tokenised the same way.

    Args:
        vocabulary: the words (duplicates and special tokens are dropped).

    Example:

    >>> tok = WordTokenizer(["a", "red", "circle"])
    >>> tok.tokenize(tf.constant(["A red circle!", "a blue circle"])).to_list()
    [[3, 4, 5], [3, 2, 5]]
    >>> tok.vocab_size, tok.token_to_id("</s>")
    (6, 1)
    """

    def __init__(self, vocabulary):
        words = []
        for word in vocabulary:
            word = str(word).lower()
            if word not in words and word not in (PAD, EOS, UNK):
                words.append(word)
        self.vocabulary = [PAD, EOS, UNK] + words
        self._table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(self.vocabulary),
                tf.range(len(self.vocabulary), dtype=tf.int32)),
            default_value=2)

    @property
    def vocab_size(self):
        return len(self.vocabulary)

    def token_to_id(self, token):
        return self.vocabulary.index(token)

    def tokenize(self, texts):
        """`[N]` strings → int32 `tf.RaggedTensor` `[N, None]`."""
        texts = tf.strings.lower(tf.convert_to_tensor(texts, tf.string))
        texts = tf.strings.regex_replace(texts, r"[^a-z0-9]+", " ")
        words = tf.strings.split(tf.strings.strip(texts))
        return tf.ragged.map_flat_values(self._table.lookup, words)

    def __call__(self, texts):
        return self.tokenize(texts)
