"""CLIPPO's text rendering: captions as images in GNU Unifont, in TensorFlow.

Pixel-identical to big_vision's `render_unifont` preprocessing op
(`big_vision/pp/proj/clippo/pp_ops.py`) for the same font, but built for
batches: a whole batch of strings is laid out and drawn with cumulative
sums, segment sums and gathers over all its characters at once, with no
per-character or per-string loop. Map it over batches
(`dataset.batch(B).map(render_text)`): per-op costs are shared by the
batch.

The layout, as big_vision's: each character is its 16x16 Unifont bitmap
(blank if the font has no glyph), resized to `font_size` if that is not 16.
Unless `monospace`, each is trimmed to its inked columns widened by
`spacing` on the left, to at least `min_width` columns (cut at the glyph's
right edge). Characters fill rows of `font_size` pixels left to right; a
character goes to row `floor(end / (image_size - widest))`, where `end` is
the column after it in one endless line and `widest` the widest character
of the string. Rows below the image are dropped.
"""

import functools
import logging
import sys

import numpy as np
import tensorflow as tf

from keras_lip.data.unifont import HEIGHT, MAX_CODEPOINT, UnifontAtlas

_BITS = 1 << HEIGHT  # One row of a 16-pixel glyph as a bit mask.
_HIGH = 1 if sys.byteorder == "little" else 0  # An int32's upper uint16.


def render_text(text, image_size=224, font_size=16, lower=True,
                monospace=False, text_brightness=0, background_brightness=127,
                max_chars=768, spacing=1, min_width=4, resize_method="area",
                atlas=None):
    """Renders strings as uint8 RGB images of Unifont text (CLIPPO).

    Works eagerly and in graph mode (`tf.data.Dataset.map`, `tf.function`),
    on a scalar string (→ `[image_size, image_size, 3]`) or on any shape of
    strings (`[B]` → `[B, image_size, image_size, 3]`). The three channels
    are equal: `text_brightness` where there is ink, else
    `background_brightness`.

    Args:
        text: string tensor (UTF-8; invalid bytes render as U+FFFD, as
            `tf.strings.unicode_decode` replaces them).
        image_size: width and height of the output image.
        font_size: glyph height in pixels. 16 is Unifont's own size; other
            sizes resize each glyph (`resize_method`, antialiased) first.
        lower: lowercase ASCII A-Z first (`tf.strings.lower`; other
            capitals stay, as in big_vision).
        monospace: if False, trim each glyph to its ink (proportional).
        text_brightness, background_brightness: the two grey levels, 0-255.
        max_chars: render at most this many characters (falsy: all).
        spacing, min_width: proportional trimming, as big_vision's.
        resize_method: `tf.image.resize` method when `font_size` != 16.
        atlas: a `UnifontAtlas` (default: the packaged GNU Unifont 15.0.01).

    Returns:
        uint8 tensor of shape `text.shape + [image_size, image_size, 3]`.

    Example:

    >>> import tensorflow as tf
    >>> image = render_text(tf.constant("Hi"), image_size=32)  # lowercased
    >>> image.shape, image.dtype.name
    (TensorShape([32, 32, 3]), 'uint8')
    >>> print("\\n".join("".join("#" if p == 0 else "-" for p in row)
    ...                 for row in image.numpy()[3:14, :12, 0]))
    -#--------#-
    -#--------#-
    -#----------
    -#-###---##-
    -##---#---#-
    -#----#---#-
    -#----#---#-
    -#----#---#-
    -#----#---#-
    -#----#---#-
    -#----#-####
    >>> ds = tf.data.Dataset.from_tensor_slices(["a cat", "a dog"]).batch(2)
    >>> ds.map(lambda t: render_text(t, image_size=64)).get_single_element(
    ...     ).shape
    TensorShape([2, 64, 64, 3])
    """
    _check(image_size, font_size, text_brightness, background_brightness,
           max_chars, spacing, min_width)
    text = tf.convert_to_tensor(text)
    if text.dtype != tf.string:
        raise TypeError(f"render_text takes strings, got {text.dtype.name}.")
    atlas = _default_atlas() if atlas is None else atlas
    tables = _tables(atlas, spacing, min_width)
    flat = tf.reshape(text, [-1])
    if lower:
        flat = tf.strings.lower(flat)  # encoding="": ASCII only.
    ids = tf.strings.unicode_decode(flat, "UTF-8")
    if max_chars:  # Slicing costs; most batches have no string to cut.
        ids = tf.cond(tf.reduce_any(ids.row_lengths() > max_chars),
                      lambda: ids[:, :max_chars], lambda: ids)
    glyphs = tf.gather(tables["lookup"], ids.flat_values)
    if font_size == HEIGHT:
        images = _render_16(ids, glyphs, tables, image_size, monospace,
                            text_brightness, background_brightness)
    else:
        logging.warning("render_text: font_size %d resizes every glyph (16 "
                        "is Unifont's size and much faster).", font_size)
        images = _render_resized(ids, glyphs, atlas, image_size, font_size,
                                 monospace, spacing, min_width, resize_method,
                                 text_brightness, background_brightness)
    shape = tf.concat([tf.shape(text), [image_size, image_size, 3]], 0)
    images = tf.reshape(images, shape)
    images.set_shape(text.shape.concatenate([image_size, image_size, 3]))
    return images


def _check(image_size, font_size, text_brightness, background_brightness,
           max_chars, spacing, min_width):
    def integer(name, value, low, high=None, what="an integer"):
        if not isinstance(value, (int, np.integer)) or value < low or (
                high is not None and value > high):
            raise ValueError(f"render_text: {name}={value!r} must be {what}.")

    integer("font_size", font_size, 1, what="a positive integer")
    integer("image_size", image_size, font_size + 1, what=(
        f"an integer larger than font_size={font_size} (a row must fit its "
        "widest character)"))
    for name, value in (("spacing", spacing), ("min_width", min_width)):
        integer(name, value, 0, what="a non-negative integer")
    for name, value in (("text_brightness", text_brightness),
                        ("background_brightness", background_brightness)):
        integer(name, value, 0, 255, what="an integer in [0, 255]")
    if max_chars is not None:
        integer("max_chars", max_chars, 0,
                what="a non-negative integer or None")


@functools.lru_cache(maxsize=None)
def _default_atlas():
    return UnifontAtlas.load()


@functools.lru_cache(maxsize=8)
def _tables(atlas, spacing, min_width):
    """Constant tensors (created eagerly, so that graphs capture them):

    lookup: int32 [0x110000] codepoint → glyph (0: no glyph, blank);
    mono, prop: int32 [G + 1, 16] each glyph's rows as 16-bit masks (bit 15
        = leftmost pixel), whole (monospace) or trimmed and shifted left so
        that the trimmed part starts at bit 15 (proportional);
    width: int32 [G + 1] the proportional width.
    """
    lookup = np.zeros(MAX_CODEPOINT + 1, np.int32)
    lookup[atlas.codepoints] = np.arange(1, len(atlas) + 1, dtype=np.int32)
    mono = np.concatenate([np.zeros((1, HEIGHT), np.int32),
                           atlas.rows.astype(np.int32)])
    inked = np.bitwise_or.reduce(mono, 1)[:, None] >> np.arange(15, -1, -1)
    with tf.init_scope(), tf.device("/cpu:0"):
        first, width = (t.numpy() for t in glyph_trim(
            (inked & 1) == 1, spacing, min_width, HEIGHT))
        kept = (0xFFFF << (HEIGHT - width)) & 0xFFFF
        prop = (mono << first[:, None]) & kept[:, None]
        return {"lookup": tf.constant(lookup), "mono": tf.constant(mono),
                "prop": tf.constant(prop), "width": tf.constant(width)}


@functools.lru_cache(maxsize=8)
def _bitmaps(atlas):
    """uint8 [G + 1, 16, 16] 0/1 pixels (glyph 0 blank), for resizing."""
    rows = np.concatenate([np.zeros((1, HEIGHT), np.uint16), atlas.rows])
    shifts = np.arange(15, -1, -1, dtype=np.uint16)
    with tf.init_scope(), tf.device("/cpu:0"):
        return tf.constant(((rows[:, :, None] >> shifts) & 1).astype(np.uint8))


def glyph_trim(inked, spacing=1, min_width=4, size=HEIGHT):
    """big_vision's proportional trim of glyphs, from their inked columns.

    A glyph keeps columns [first, first + width): its first inked column
    minus `spacing` (not below 0) up to its last inked column + `spacing`
    (exclusive), but at least `min_width` wide, cut at `size`. A blank
    glyph keeps [0, min_width).

    Args:
        inked: bool `[..., size]`, which columns have ink.

    Returns:
        int32 tensors `(first, width)`, each of shape `inked.shape[:-1]`.

    Example:

    >>> first, width = glyph_trim([[0, 0, 1, 1, 1, 1, 0, 0], [0] * 8,
    ...                            [0] * 7 + [1]], size=8)
    >>> first.numpy().tolist(), width.numpy().tolist()
    ([1, 0, 6], [5, 4, 2])
    """
    inked = tf.cast(inked, tf.bool)
    some = tf.reduce_any(inked, -1)
    first = tf.argmax(inked, -1, output_type=tf.int32)
    last = size - 1 - tf.argmax(tf.reverse(inked, [-1]), -1,
                                output_type=tf.int32)
    first = tf.maximum(tf.where(some, first, 0) - spacing, 0)
    last = tf.maximum(tf.where(some, last, 0) + spacing, first + min_width)
    return first, tf.minimum(last, size) - first


@functools.lru_cache(maxsize=8)
def _patterns(text_brightness, background_brightness):
    """uint8 [65536, 16, 3]: a 16-bit row mask → its 16 RGB pixels."""
    bits = (np.arange(_BITS)[:, None] >> np.arange(15, -1, -1)) & 1
    values = np.where(bits == 1, text_brightness, background_brightness)
    values = np.repeat(values[..., None], 3, -1).astype(np.uint8)
    with tf.init_scope(), tf.device("/cpu:0"):
        return tf.constant(values)


def _layout(ids, widths, image_size, font_size):
    """Where the characters go, as big_vision's `to_image`.

    Args:
        ids: ragged [N, (n)] codepoints (for the row partition).
        widths: int32 [T] columns of each character (T = all characters).

    Returns a dict of int32 tensors: per character, `string`, `text_row`
    (string * R + its row of text, R = ceil(image_size / font_size), the
    last row for characters below the image), `start` (its first column in
    the string's endless line) and `shown` (bool: its row is in the
    image); per string and row ([N, R]), `row_start` and `row_end` (the
    row's span in the endless line; 0, 0 if empty).
    """
    count = tf.shape(ids.row_splits, tf.int32)[0] - 1
    rows = -(-image_size // font_size)
    string = tf.cast(ids.value_rowids(), tf.int32)
    total = tf.cumsum(widths)
    before = tf.gather(tf.concat([[0], total], 0),
                       tf.cast(ids.row_splits[:-1], tf.int32))
    ends = total - tf.gather(before, string)
    starts = ends - widths
    widest = tf.math.segment_max(widths, string)  # (strings are sorted)
    # big_vision's float32 arithmetic, so rows agree even where it rounds.
    room = tf.cast(image_size - tf.gather(widest, string), tf.float32)
    row = tf.cast(tf.floor(tf.cast(ends, tf.float32) / room), tf.int32)
    shown = row < rows
    text_row = string * rows + tf.minimum(row, rows - 1)  # Sorted too.
    # Each row's span: min start and max end of its shown characters (the
    # characters below the image, in the last row, count as nothing).
    row_end = tf.math.segment_max(tf.where(shown, ends, 0), text_row)
    row_start = tf.math.segment_min(tf.where(shown, starts, ends), text_row)
    # Sorted segment ops stop at the last character's row: pad to N * R.
    # A row without shown characters ends at 0 (or the lowest int32).
    missing = [[0, count * rows - tf.shape(row_end)[0]]]
    row_end, row_start = tf.pad(row_end, missing), tf.pad(row_start, missing)
    used = row_end > 0
    return {"string": string, "text_row": text_row, "start": starts,
            "shown": shown,
            "row_start": tf.reshape(tf.where(used, row_start, 0),
                                    [count, rows]),
            "row_end": tf.reshape(tf.where(used, row_end, 0), [count, rows])}


def _render_16(ids, glyphs, tables, image_size, monospace, text_brightness,
               background_brightness):
    """Draws Unifont's own 16-pixel glyphs as bit masks.

    Only text rows that hold characters are drawn, as blocks 1..K (block 0
    stays blank, for the empty rows). Each character's 16 trimmed row
    masks, shifted to its column, are added into 32-bit windows (one
    segment sum; characters never overlap, so adding is OR-ing), windows
    are folded into 16-pixel words, one gather turns each word into 16 RGB
    pixels and a last gather of whole blocks makes the images.
    """
    if monospace:
        widths = tf.fill(tf.shape(glyphs), HEIGHT)
    else:
        widths = tf.gather(tables["width"], glyphs)
    layout = _layout(ids, widths, image_size, HEIGHT)
    count = tf.shape(layout["row_start"])[0]
    rows = cols = -(-image_size // HEIGHT)  # Text rows; words per row.
    used = tf.reshape(layout["row_end"] > 0, [-1])
    block = tf.cumsum(tf.cast(used, tf.int32))  # A used row's block.
    shown, text_row = layout["shown"], layout["text_row"]
    x = layout["start"] - tf.gather(tf.reshape(layout["row_start"], [-1]),
                                    text_row)
    # Segments block * cols + word, in the characters' order (so sorted):
    # a character below the image adds nothing (glyph 0) to the last word
    # of the last block so far. A blank last segment fixes their number.
    segment = tf.gather(block, text_row) * cols + tf.where(
        shown, tf.bitwise.right_shift(x, 4), cols - 1)
    drawn = tf.reduce_sum(tf.cast(used, tf.int32))
    segment = tf.concat([segment, [(drawn + 1) * cols - 1]], 0)
    masks = tf.gather(tables["mono" if monospace else "prop"],
                      tf.concat([tf.where(shown, glyphs, 0), [0]], 0))
    # Bits 31..16 of a window go to word x // 16, bits 15..0 to the next.
    shift = HEIGHT - tf.bitwise.bitwise_and(tf.concat([x, [0]], 0),
                                            HEIGHT - 1)
    windows = tf.math.segment_sum(
        tf.bitwise.left_shift(masks, shift[:, None]), segment)
    halves = tf.bitcast(tf.reshape(windows, [-1, cols, HEIGHT]), tf.uint16)
    words = tf.bitwise.bitwise_or(halves[..., _HIGH], tf.pad(
        halves[:, :-1, :, 1 - _HIGH], [[0, 0], [1, 0], [0, 0]]))
    words = tf.cast(tf.transpose(words, [0, 2, 1]), tf.int32)
    pixels = tf.gather(_patterns(text_brightness, background_brightness),
                       words)                    # [K + 1, 16, W, 16, 3]
    pixels = tf.reshape(pixels, [-1, HEIGHT, cols * HEIGHT, 3])
    if cols * HEIGHT != image_size:
        pixels = pixels[:, :, :image_size]
    image = tf.gather(pixels, tf.where(used, block, 0))
    image = tf.reshape(image, [count, rows * HEIGHT, image_size, 3])
    return image[:, :image_size] if rows * HEIGHT != image_size else image


def _render_resized(ids, glyphs, atlas, image_size, font_size, monospace,
                    spacing, min_width, resize_method, text_brightness,
                    background_brightness):
    """Resized glyphs (float): one gather per pixel column of each row."""
    letters = tf.gather(_bitmaps(atlas), glyphs)[..., None]
    letters = tf.image.resize(letters, (font_size, font_size),
                              method=resize_method, antialias=True)
    letters = tf.transpose(letters[..., 0], [0, 2, 1])   # [T, col, row]
    if monospace:
        widths = tf.fill(tf.shape(glyphs), font_size)
        first = tf.zeros_like(glyphs)
    else:
        first, widths = glyph_trim(tf.reduce_max(letters, -1) > 0, spacing,
                              min_width, font_size)
    layout = _layout(ids, widths, image_size, font_size)
    count = tf.shape(layout["row_start"])[0]
    # The shown characters' columns, concatenated: a string's endless line
    # is one contiguous range of `line`, from `string_start`.
    shown = tf.where(layout["shown"], widths, 0)
    starts = tf.range(tf.shape(glyphs)[0]) * font_size + first
    line = tf.ragged.range(starts, starts + shown).flat_values
    columns = tf.concat([tf.reshape(letters, [-1, font_size]),
                         tf.zeros([1, font_size], letters.dtype)], 0)
    line = tf.concat([line, [tf.shape(columns)[0] - 1]], 0)  # + blank
    string_start = tf.cumsum(tf.math.unsorted_segment_sum(
        shown, layout["string"], count), exclusive=True)
    x = tf.range(image_size)
    position = (string_start[:, None, None] + layout["row_start"][:, :, None]
                + x)
    row_width = layout["row_end"] - layout["row_start"]
    position = tf.where(x < row_width[:, :, None], position,
                        tf.shape(line)[0] - 1)
    values = tf.gather(columns, tf.gather(line, position))  # [N, R, S, fs]
    values = tf.transpose(values, [0, 1, 3, 2])
    values = tf.reshape(values, [count, -1, image_size])
    values = values[:, :image_size, :, None]
    values = values * float(text_brightness - background_brightness)
    values = values + float(background_brightness)
    return tf.image.grayscale_to_rgb(tf.cast(values, tf.uint8))
