"""Image checks and preprocessing in TensorFlow (big_vision's conventions).

All functions take and return tf tensors and work inside `tf.data` maps.
"""

import tensorflow as tf

# Reason codes shared with `keras_lip.data.stats` (0 means "fine").
OK = 0
EMPTY_IMAGE = 1
UNSUPPORTED_FORMAT = 2
TRUNCATED_IMAGE = 3

_JPEG_START = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"
_PNG_START = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"
_OTHER_STARTS = (b"GIF87a", b"GIF89a", b"BM")  # decode_image reads these too


def _starts_with(data, prefix):
    return tf.equal(tf.strings.substr(data, 0, len(prefix)), prefix)


def _ends_with(data, suffix):
    start = tf.maximum(tf.strings.length(data) - len(suffix), 0)
    return tf.equal(tf.strings.substr(data, start, len(suffix)), suffix)


def check_image_bytes(data):
    """Cheap checks on encoded image bytes; returns an int32 reason code.

    `OK` (0), `EMPTY_IMAGE` (zero bytes), `UNSUPPORTED_FORMAT` (not JPEG,
    PNG, GIF or BMP by its magic number) or `TRUNCATED_IMAGE` (a JPEG without
    its end-of-image marker or a PNG without its IEND chunk). Bytes that pass
    can still fail to decode (corruption inside the file); the pipeline
    counts those separately.

    Example:

    >>> import tensorflow as tf
    >>> int(check_image_bytes(tf.constant(b"")))
    1
    >>> int(check_image_bytes(tf.constant(b"GIF89a...")))
    0
    >>> int(check_image_bytes(tf.constant(b"\\xff\\xd8\\xff\\xe0 cut")))
    3
    """
    data = tf.convert_to_tensor(data, tf.string)
    is_jpeg = _starts_with(data, _JPEG_START)
    is_png = _starts_with(data, _PNG_START)
    is_other = tf.reduce_any([_starts_with(data, s) for s in _OTHER_STARTS])
    complete = tf.logical_or(
        tf.logical_and(is_jpeg, _ends_with(data, _JPEG_END)),
        tf.logical_and(is_png, _ends_with(data, _PNG_END)))
    reason = tf.where(is_jpeg | is_png, tf.where(complete, OK, TRUNCATED_IMAGE),
                      tf.where(is_other, OK, UNSUPPORTED_FORMAT))
    return tf.where(tf.equal(tf.strings.length(data), 0), EMPTY_IMAGE, reason)


def decode_rgb(data):
    """Decodes JPEG/PNG/GIF/BMP bytes to uint8 `[H, W, 3]`.

    Grayscale is repeated to three channels, an alpha channel is dropped and
    an animated GIF gives its first frame (`tf.io.decode_image(channels=3,
    expand_animations=False)`, as big_vision's `decode`).

    Example:

    >>> import numpy as np, tensorflow as tf
    >>> gray = tf.io.encode_png(np.zeros((4, 5, 1), "uint8"))
    >>> decode_rgb(gray).shape
    TensorShape([4, 5, 3])
    """
    image = tf.io.decode_image(data, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def resize(image, size, method="bilinear", antialias=False):
    """Resizes to `[size, size]`; keeps uint8 like big_vision's `resize`.

    The float result is clipped to [0, 255] and cast back to uint8
    (truncation, as big_vision does). `antialias=False` is big_vision's
    default; set True for better downsampling.

    Example:

    >>> import tensorflow as tf
    >>> resize(tf.zeros([10, 20, 3], tf.uint8), 4).shape
    TensorShape([4, 4, 3])
    """
    dtype = image.dtype
    out = tf.image.resize(image, [size, size], method=method,
                          antialias=antialias)
    if dtype == tf.uint8:
        out = tf.cast(tf.clip_by_value(out, 0.0, 255.0), tf.uint8)
    return out


def resize_small(image, smaller_size, method="bilinear", antialias=False):
    """Resizes so the shorter side is `smaller_size`, keeping aspect ratio.

    Example:

    >>> import tensorflow as tf
    >>> resize_small(tf.zeros([10, 20, 3], tf.uint8), 5).shape.as_list()
    [5, 10, 3]
    """
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    factor = tf.cast(smaller_size, tf.float32) / tf.reduce_min(shape)
    new_shape = tf.cast(tf.round(shape * factor), tf.int32)
    out = tf.image.resize(image, new_shape, method=method, antialias=antialias)
    return tf.cast(tf.clip_by_value(out, 0.0, 255.0), image.dtype)


def inception_crop(image, size, seed, area_range=(0.05, 1.0),
                   aspect_ratio_range=(0.75, 1.33), method="bilinear",
                   antialias=False):
    """Inception-style random crop (random area and aspect ratio), resized.

    Stateless: the same `seed` (int32/int64 `[2]`) gives the same crop. The
    defaults are big_vision's `inception_crop` (area 5%-100%, ratio
    3/4-4/3).

    Example:

    >>> import tensorflow as tf
    >>> crop = inception_crop(tf.zeros([30, 40, 3], tf.uint8), 8, seed=[1, 2])
    >>> crop.shape
    TensorShape([8, 8, 3])
    """
    begin, crop_size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image), tf.zeros([0, 0, 4], tf.float32), seed=seed,
        min_object_covered=0.0, aspect_ratio_range=aspect_ratio_range,
        area_range=area_range, use_image_if_no_bounding_boxes=True)
    crop = tf.slice(image, begin, crop_size)
    crop.set_shape([None, None, 3])
    return resize(crop, size, method, antialias)


def central_crop(image, size):
    """The central `[size, size]` window (image sides must be >= size).

    Example:

    >>> import tensorflow as tf
    >>> central_crop(tf.zeros([10, 20, 3], tf.uint8), 8).shape
    TensorShape([8, 8, 3])
    """
    shape = tf.shape(image)
    out = tf.image.crop_to_bounding_box(
        image, (shape[0] - size) // 2, (shape[1] - size) // 2, size, size)
    out.set_shape([size, size, 3])
    return out


def random_flip(image, seed):
    """Flips left-right with probability 1/2 (stateless in `seed`).

    Example:

    >>> import tensorflow as tf
    >>> random_flip(tf.zeros([2, 3, 3]), seed=[0, 1]).shape
    TensorShape([2, 3, 3])
    """
    return tf.image.stateless_random_flip_left_right(image, seed)


def value_range(image):
    """Maps [0, 255] to [-1, 1] as float32: x / 127.5 - 1 (big_vision's
    `value_range(-1, 1)`, what SigLIP/LiT towers expect).

    Example:

    >>> import tensorflow as tf
    >>> value_range(tf.constant([0, 255], tf.uint8)).numpy().tolist()
    [-1.0, 1.0]
    """
    return tf.cast(image, tf.float32) / 127.5 - 1.0
