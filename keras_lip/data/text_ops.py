"""Caption checks, canonicalisation and tokenisation in TensorFlow."""

import tensorflow as tf

# Reason codes shared with `keras_lip.data.stats` (after the image ones).
EMPTY_CAPTION = 5
INVALID_UTF8_CAPTION = 6

EOS_MODES = ("none", "yes", "sticky")


def caption_reasons(captions):
    """Per-caption int32 reason codes for a 1-D string tensor.

    0 for a usable caption, `INVALID_UTF8_CAPTION` for bytes that are not
    valid UTF-8, `EMPTY_CAPTION` for one that is empty or only white space.

    Example:

    >>> import tensorflow as tf
    >>> caption_reasons(tf.constant([b"a dog", b"  ", b"\\xff\\xfe"])).numpy()
    array([0, 5, 6], dtype=int32)
    """
    captions = tf.convert_to_tensor(captions, tf.string)
    valid = tf.equal(tf.strings.unicode_transcode(
        captions, "UTF-8", "UTF-8", errors="ignore"), captions)
    empty = tf.equal(tf.strings.length(tf.strings.strip(captions)), 0)
    return tf.where(valid, tf.where(empty, EMPTY_CAPTION, 0),
                    INVALID_UTF8_CAPTION)


# Python's `str.isspace()` characters, which big_vision's `re.sub(r"\s+")`
# and `str.strip()` act on (RE2's `\s` is ASCII only).
_PY_WHITESPACE = (r"[\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}"
                  r"\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]+")


def canonicalize(text):
    """big_vision's `canonicalize_text` as a TensorFlow op.

    The same steps as `keras_lip.evaluation.canonicalize_text` (big_vision's
    `prompt_engineering.canonicalize_text`), so training captions and
    zero-shot prompts are canonicalised identically: "_" becomes a space,
    ASCII punctuation (`string.punctuation`) is deleted (not replaced:
    "man-eater" → "maneater"), text is lowercased as Python's `str.lower`
    does (all of Unicode: "CAFÉ" → "café"), runs of white space (Python's
    `str.isspace` set) become one space, and the ends are stripped.

    Example:

    >>> import tensorflow as tf
    >>> canonicalize(tf.constant(["A  Dog's man-eater, U.S.A.!", "CAFÉ_au"])
    ...              ).numpy().tolist()
    [b'a dogs maneater usa', b'caf\xc3\xa9 au']
    """
    text = tf.strings.regex_replace(text, "_", " ")
    text = tf.strings.regex_replace(text, r"[[:punct:]]", "")
    text = tf.strings.lower(text, encoding="utf-8")
    text = tf.strings.regex_replace(text, _PY_WHITESPACE, " ")
    return tf.strings.regex_replace(text, "^ | $", "")


def sentencepiece_tokenizer(model_path):
    """A `tensorflow_text.SentencepieceTokenizer` (int32 ids) from a file.

    Raises `FileNotFoundError` naming the path when it does not exist.

    Example:

    >>> sentencepiece_tokenizer("/no/such/spm.model")
    Traceback (most recent call last):
      ...
    FileNotFoundError: SentencePiece model not found: /no/such/spm.model
    """
    if not tf.io.gfile.exists(model_path):
        raise FileNotFoundError(f"SentencePiece model not found: {model_path}")
    import tensorflow_text

    with tf.io.gfile.GFile(model_path, "rb") as f:
        model = f.read()
    return tensorflow_text.SentencepieceTokenizer(model=model,
                                                  out_type=tf.int32)


def eos_id_of(tokenizer, eos_token="</s>"):
    """The id of `eos_token` in a tensorflow_text or keras-hub tokenizer.

    Example:

    >>> class Toy:
    ...     def token_to_id(self, token):
    ...         return {"</s>": 1}[token]
    >>> eos_id_of(Toy())
    1
    """
    if hasattr(tokenizer, "string_to_id"):  # tensorflow_text
        return int(tokenizer.string_to_id(eos_token))
    if hasattr(tokenizer, "token_to_id"):  # keras-hub
        return int(tokenizer.token_to_id(eos_token))
    raise ValueError(
        f"Cannot find the id of {eos_token!r} in {type(tokenizer).__name__}; "
        "pass eos_id explicitly.")


def tokenize(texts, tokenizer, max_len, *, eos="sticky", eos_id=1,
             pad_value=1):
    """Tokenises a 1-D string tensor to int32 `[N, max_len]`.

    `tokenizer` is a tensorflow_text tokenizer (`.tokenize`) or any callable
    mapping strings to (ragged) int ids, e.g.
    `keras_hub.tokenizers.SentencePieceTokenizer`. `eos` follows big_vision:
    "none" (no EOS), "yes" (EOS appended, cut off by truncation) or "sticky"
    (EOS appended and kept at the last position when truncating). Rows are
    padded with `pad_value` (1 = EOS for big_vision's c4_en vocabulary).

    Example:

    >>> import tensorflow as tf
    >>> toy = lambda s: tf.strings.unicode_decode(s, "UTF-8") - 94  # a=3
    >>> tokenize(tf.constant(["ab", "abcd"]), toy, 3, eos_id=1,
    ...          pad_value=0).numpy().tolist()
    [[3, 4, 1], [3, 4, 1]]
    """
    if eos not in EOS_MODES:
        raise ValueError(f"eos must be one of {EOS_MODES}; got {eos!r}.")
    texts = tf.convert_to_tensor(texts, tf.string)
    call = getattr(tokenizer, "tokenize", tokenizer)
    ids = call(texts)
    if isinstance(ids, (list, tuple)):  # keras-hub, eagerly: Python lists
        ids = tf.ragged.constant(ids, dtype=tf.int32, ragged_rank=1)
    if not isinstance(ids, tf.RaggedTensor):
        ids = tf.RaggedTensor.from_tensor(ids)
    ids = tf.cast(ids, tf.int32)
    if eos != "none":
        column = tf.fill([tf.shape(texts)[0], 1], tf.constant(eos_id, tf.int32))
        ids = tf.concat([ids, tf.RaggedTensor.from_tensor(column)], axis=1)
    lengths = ids.row_lengths()
    dense = ids[:, :max_len].to_tensor(pad_value, shape=[None, max_len])
    if eos == "sticky":
        last = tf.equal(tf.range(max_len), max_len - 1)[None, :]
        cut = (lengths > max_len)[:, None]
        dense = tf.where(last & cut, tf.constant(eos_id, tf.int32), dense)
    return dense

