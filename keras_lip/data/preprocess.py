"""Per-example preprocessing settings (defaults follow big_vision's SigLIP).

big_vision's SigLIP configs (e.g. `configs/proj/image_text/siglip_lit_coco.py`)
use `decode|resize(224)|value_range(-1, 1)` for images and
`tokenize(max_len=64, eos='sticky', pad_value=1)` (c4_en SentencePiece,
lowercased) for texts; these are the defaults here.
"""

import dataclasses

import tensorflow as tf

from keras_lip.data import image_ops, text_ops

TRAIN_CROPS = ("resize", "inception_crop")
EVAL_CROPS = ("resize", "central_crop")


@dataclasses.dataclass(frozen=True)
class ImagePreprocessing:
    """How images become float32 `[size, size, 3]` in [-1, 1].

    Attributes:
        size: output side. 224 (big_vision's SigLIP/LiT B/16 configs).
        train_crop: "resize" (whole image resized to size×size; SigLIP's
            default) or "inception_crop" (random area 5-100%, aspect
            3/4-4/3, then resized; big_vision's `inception_crop`).
        eval_crop: "resize" (SigLIP's eval default) or "central_crop"
            (shorter side resized to size / central_crop_fraction, then the
            central size×size window).
        random_flip: random left-right flip in training. False (SigLIP).
        resize_method: `tf.image.resize` method. "bilinear" (big_vision).
        antialias: `tf.image.resize` antialias. False (big_vision's default,
            kept for numerical parity; True is better for downsampling).
        area_range: inception crop area fraction range. (0.05, 1.0).
        aspect_ratio_range: inception crop aspect ratio range. (0.75, 1.33).
        central_crop_fraction: crop fraction for "central_crop". 0.875
            (the usual resize_small(256)|central_crop(224)).

    Example:

    >>> import tensorflow as tf, numpy as np
    >>> pp = ImagePreprocessing(size=8)
    >>> data = tf.io.encode_png(np.full((5, 7, 3), 255, "uint8"))
    >>> image = pp(data, training=True, seed=[0, 1])
    >>> image.shape, float(tf.reduce_max(image))
    (TensorShape([8, 8, 3]), 1.0)
    """

    size: int = 224
    train_crop: str = "resize"
    eval_crop: str = "resize"
    random_flip: bool = False
    resize_method: str = "bilinear"
    antialias: bool = False
    area_range: tuple = (0.05, 1.0)
    aspect_ratio_range: tuple = (0.75, 1.33)
    central_crop_fraction: float = 0.875

    def __post_init__(self):
        if self.train_crop not in TRAIN_CROPS:
            raise ValueError(f"train_crop must be one of {TRAIN_CROPS}; got "
                             f"{self.train_crop!r}.")
        if self.eval_crop not in EVAL_CROPS:
            raise ValueError(f"eval_crop must be one of {EVAL_CROPS}; got "
                             f"{self.eval_crop!r}.")

    def __call__(self, data, training, seed):
        """Encoded bytes -> float32 `[size, size, 3]`; `seed` is `[2]` ints."""
        image = image_ops.decode_rgb(data)
        resize_args = (self.resize_method, self.antialias)
        if training and self.train_crop == "inception_crop":
            image = image_ops.inception_crop(
                image, self.size, tf.random.experimental.stateless_fold_in(
                    seed, 0), self.area_range, self.aspect_ratio_range,
                *resize_args)
        elif not training and self.eval_crop == "central_crop":
            small = int(round(self.size / self.central_crop_fraction))
            image = image_ops.resize_small(image, small, *resize_args)
            image = image_ops.central_crop(image, self.size)
        else:
            image = image_ops.resize(image, self.size, *resize_args)
        if training and self.random_flip:
            image = image_ops.random_flip(
                image, tf.random.experimental.stateless_fold_in(seed, 1))
        image = image_ops.value_range(image)
        image.set_shape([self.size, self.size, 3])
        return image


@dataclasses.dataclass(frozen=True)
class TextPreprocessing:
    """How captions become int32 token ids of a fixed length.

    Attributes:
        max_len: L, tokens per caption. 64 (SigLIP; LiT used 16).
        eos: "sticky" (EOS appended and kept last when truncating; SigLIP),
            "yes" (appended, may be cut off) or "none".
        pad_value: padding id. 1 (EOS of the c4_en vocabulary, as SigLIP).
        eos_id: EOS id; None reads "</s>" from the tokenizer.
        lower: lowercase before tokenising (ASCII, big_vision's default).
        canonicalize: also strip punctuation and collapse spaces. False.

    Example:

    >>> import tensorflow as tf
    >>> toy = lambda s: tf.strings.unicode_decode(s, "UTF-8") - 94  # a=3
    >>> pp = TextPreprocessing(max_len=4, eos_id=1)
    >>> pp(tf.constant(["AB"]), toy).numpy().tolist()
    [[3, 4, 1, 1]]
    """

    max_len: int = 64
    eos: str = "sticky"
    pad_value: int = 1
    eos_id: int = None
    lower: bool = True
    canonicalize: bool = False

    def __post_init__(self):
        if self.eos not in text_ops.EOS_MODES:
            raise ValueError(f"eos must be one of {text_ops.EOS_MODES}; got "
                             f"{self.eos!r}.")

    def resolve_eos_id(self, tokenizer):
        """`eos_id`, or the tokenizer's id of "</s>" when it is None."""
        if self.eos_id is not None or self.eos == "none":
            return self.eos_id or 0
        return text_ops.eos_id_of(tokenizer)

    def __call__(self, captions, tokenizer, eos_id=None):
        """`[N]` strings -> int32 `[N, max_len]`."""
        if self.canonicalize:
            captions = text_ops.canonicalize(captions)
        elif self.lower:
            captions = tf.strings.lower(captions)
        if eos_id is None:
            eos_id = self.resolve_eos_id(tokenizer)
        return text_ops.tokenize(captions, tokenizer, self.max_len,
                                 eos=self.eos, eos_id=eos_id,
                                 pad_value=self.pad_value)
