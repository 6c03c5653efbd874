"""NaFlex preprocessing in TensorFlow (big_vision's `ops_naflex.py`).

An image is resized, keeping its aspect ratio up to rounding to whole
patches, to the largest size whose patch count fits `max_sequence_len`,
cut into patches with their (row, column) and padded to a fixed length:
`naflex_patches(value_range(image), 16, 256)` gives the `(patches, ptype,
yidx, xidx)` input of a NaFlex image tower. Works eagerly and in
`tf.data` maps (graph mode).
"""

import tensorflow as tf


def _check_sizes(patch_size, max_sequence_len):
    if not isinstance(patch_size, int) or patch_size < 1:
        raise ValueError(f"patch_size must be a positive int; got "
                         f"{patch_size!r}.")
    if not isinstance(max_sequence_len, int) or max_sequence_len < 1:
        raise ValueError("max_sequence_len must be a positive int; got "
                         f"{max_sequence_len!r}.")


def sequence_target_size(image_hw, patch_size, max_sequence_len,
                         divisible_by_patch=True, eps=1e-5):
    """int32 `[2]` size that `resize_to_sequence` resizes `image_hw` to.

    big_vision's bisection, step for step (the patch count is not monotonic
    in the scale after rounding, so only the same search gives the same
    size): float32 `lb, rb = eps / 10, 100`; while `rb - lb >= eps`, move
    to the midpoint keeping `lb` feasible. A size is `hw · ratio` rounded
    up to whole patches (if `divisible_by_patch`) and at least one patch.

    Example:

    >>> sequence_target_size([37, 120], 8, 64).numpy().tolist()
    [32, 104]
    """
    _check_sizes(patch_size, max_sequence_len)

    def target_hw(ratio):
        hw = tf.cast(image_hw, tf.float32) * ratio
        if divisible_by_patch:
            hw = patch_size * tf.math.ceil(hw / patch_size)
        return tf.cast(tf.maximum(hw, patch_size), tf.int32)

    def feasible(ratio):
        patches = tf.cast(target_hw(ratio), tf.float64) / patch_size
        return tf.reduce_prod(patches) <= max_sequence_len

    def step(lb, rb):
        mid = (lb + rb) / 2
        return tf.cond(feasible(mid), lambda: (mid, rb), lambda: (lb, mid))

    ratio, _ = tf.while_loop(
        lambda lb, rb: rb - lb >= eps, step,
        (tf.constant(eps / 10, tf.float32), tf.constant(100.0, tf.float32)),
        parallel_iterations=1)
    with tf.control_dependencies([
            tf.debugging.assert_greater(
                ratio, tf.constant(eps, tf.float32),
                message="resize_to_sequence: no scale fits (image too "
                "large for max_sequence_len?)"),
            tf.debugging.assert_less(
                ratio, 100.0, message="resize_to_sequence: search failed "
                "(image too small?)")]):
        return tf.identity(target_hw(ratio))


def resize_to_sequence(image, patch_size, max_sequence_len,
                       divisible_by_patch=True, eps=1e-5):
    """Resizes `[H, W, C]` to `sequence_target_size` (bilinear, antialiased,
    float32 out), big_vision's `resize_to_sequence`.

    Example:

    >>> resize_to_sequence(tf.zeros([50, 50, 3]), 8, 64).shape
    TensorShape([64, 64, 3])
    """
    image = tf.convert_to_tensor(image)
    target = sequence_target_size(tf.shape(image)[:2], patch_size,
                                  max_sequence_len, divisible_by_patch, eps)
    out = tf.image.resize(image, target, method="bilinear", antialias=True)
    out.set_shape([None, None, image.shape[-1]])
    return out


def patchify(image, patch_size):
    """Non-overlapping patches of `[H, W, C]` (leftover pixels dropped).

    Returns a dict: `patches` `[n, ph·pw·C]` (each patch flattened in
    (y, x, channel) order), `yidx` / `xidx` `[n]` int32 patch row / column
    (row-major token order) and `type` `[n]` int32 ones.

    Example:

    >>> out = patchify(tf.zeros([16, 24, 3]), 8)
    >>> out["patches"].shape, out["xidx"].numpy().tolist()
    (TensorShape([6, 192]), [0, 1, 2, 0, 1, 2])
    """
    ph, pw = ((patch_size, patch_size) if isinstance(patch_size, int)
              else tuple(patch_size))
    image = tf.convert_to_tensor(image)
    patches = tf.image.extract_patches(
        image[None], sizes=[1, ph, pw, 1], strides=[1, ph, pw, 1],
        rates=[1, 1, 1, 1], padding="VALID")[0]
    nh, nw = tf.shape(patches)[0], tf.shape(patches)[1]
    gy, gx = tf.meshgrid(tf.range(nh), tf.range(nw), indexing="ij")
    return {"patches": tf.reshape(patches, [nh * nw, patches.shape[-1]]),
            "yidx": tf.reshape(gy, [-1]), "xidx": tf.reshape(gx, [-1]),
            "type": tf.ones([nh * nw], tf.int32)}


def naflex_patches(image, patch_size, max_sequence_len):
    """`(patches, ptype, yidx, xidx)` of a fixed length `max_sequence_len`.

    `resize_to_sequence`, `patchify`, then zero-padding at the end (pads:
    patch 0, type 0, coordinates 0), as big_vision's NaFlex pp string
    `resize_to_sequence(P, N)|patchify(P)|pad_to_shape(...)|tuplify(...)`.
    Apply `value_range` first (big_vision resizes the [-1, 1] image).

    Args:
        image: `[H, W, C]` image with a static channel count.
        patch_size: int.
        max_sequence_len: number of tokens N.

    Returns:
        float32 `[N, P·P·C]` and int32 `[N]`, `[N]`, `[N]`.

    Example:

    >>> p, ptype, y, x = naflex_patches(tf.zeros([20, 10, 3]), 4, 16)
    >>> p.shape, int(tf.reduce_sum(ptype))
    (TensorShape([16, 48]), 15)
    """
    image = tf.convert_to_tensor(image)
    channels = image.shape[-1]
    if channels is None:
        raise ValueError("naflex_patches needs a static channel count; got "
                         f"image shape {image.shape}.")
    image = resize_to_sequence(image, patch_size, max_sequence_len)
    out = patchify(image, patch_size)
    pad = max_sequence_len - tf.shape(out["type"])[0]

    def padded(value, shape):
        value = tf.pad(value, [[0, pad]] + [[0, 0]] * (len(shape) - 1))
        return tf.ensure_shape(value, shape)

    dim = patch_size * patch_size * channels
    return (padded(out["patches"], [max_sequence_len, dim]),
            padded(out["type"], [max_sequence_len]),
            padded(out["yidx"], [max_sequence_len]),
            padded(out["xidx"], [max_sequence_len]))
