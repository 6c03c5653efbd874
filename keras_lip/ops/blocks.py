"""Backend-agnostic math of the contrastive losses (`keras.ops` only).

Two kinds of functions live here:

* naive global losses, differentiated by autodiff: the reference semantics,
  a line-by-line port of big_vision's `trainers/proj/image_text/siglip.py`
  and `utils.bidirectional_contrastive_loss`;
* `sigmoid_block_loss` / `sigmoid_block_loss_and_grads`: one b×b block of the
  sigmoid loss, with its gradients written out by hand. The distributed
  implementations in `keras_lip.distribution` walk over such blocks and never
  hold more than one block of logits at a time, in the forward pass or in the
  backward pass.
"""

from keras import ops


def _logits_and_dots(zimg, ztxt, scale, bias):
    """The one definition of the two-tower logits: `zimg·ztxtᵀ·scale + b`
    (b omitted when None). Also returns the dot products, which the
    hand-written gradient of the scale needs."""
    dots = ops.matmul(zimg, ops.transpose(ztxt))
    logits = dots * scale
    return (logits if bias is None else logits + bias), dots


def logits(image_embeddings, text_embeddings, logit_scale, logit_bias=None):
    """`zimg · ztxtᵀ · exp(t) + b`, as big_vision's two-tower models.

    Args:
        image_embeddings: `[n, d]`.
        text_embeddings: `[m, d]`.
        logit_scale: t, the log-temperature.
        logit_bias: b, or None for models without a bias (CLIP).

    Returns:
        `[n, m]` logits.

    Example:

    >>> import numpy as np
    >>> z = np.eye(2, dtype="float32")
    >>> t = np.log(np.float32(10.0))
    >>> np.round(np.asarray(logits(z, z, t, np.float32(-10.0))), 4).tolist()
    [[0.0, -10.0], [-10.0, 0.0]]
    """
    return _logits_and_dots(image_embeddings, text_embeddings,
                            ops.exp(logit_scale), logit_bias)[0]


def block_labels(rows, cols, diagonal):
    """Labels of one block: +1 on the diagonal if `diagonal`, else -1.

    Args:
        rows: number of image rows in the block.
        cols: number of text columns in the block.
        diagonal: scalar bool tensor (or Python bool): whether this block
            holds the positive pairs on its diagonal.
    """
    eye = ops.eye(rows, cols, dtype="float32")
    return 2.0 * eye * ops.cast(diagonal, "float32") - 1.0


def naive_sigmoid_loss(image_embeddings, text_embeddings, logit_scale, logit_bias):
    """The global SigLIP loss on one device: sum over texts, mean over images."""
    values = logits(image_embeddings, text_embeddings, logit_scale, logit_bias)
    batch = ops.shape(values)[0]
    labels = block_labels(batch, batch, True)
    per_image = -ops.sum(ops.log_sigmoid(labels * values), axis=-1)
    return ops.mean(per_image)


def sigmoid_block_loss(zimg, ztxt, scale, bias, diagonal):
    """Summed sigmoid loss of one block. `scale` is exp(t), not t."""
    values, _ = _logits_and_dots(zimg, ztxt, scale, bias)
    labels = block_labels(ops.shape(zimg)[0], ops.shape(ztxt)[0], diagonal)
    return -ops.sum(ops.log_sigmoid(labels * values))


def sigmoid_block_loss_and_grads(zimg, ztxt, scale, bias, diagonal):
    """Summed sigmoid loss of one block and its gradients, in one pass.

    The loss is a scalar, so its upstream gradient is a scalar too: the
    gradients computed here for an upstream gradient of 1 only need to be
    multiplied by the real upstream value later. That lets the distributed
    implementations compute gradients block by block during the forward pass
    and keep only O(b·d) of them, instead of keeping every block's logits
    alive for the backward pass or recomputing them there.

    Returns:
        `(loss, d_zimg, d_ztxt, d_logit_scale, d_logit_bias)`, where
        `d_logit_scale` is the derivative with respect to t = log(scale).
    """
    values, dots = _logits_and_dots(zimg, ztxt, scale, bias)
    labels = block_labels(ops.shape(zimg)[0], ops.shape(ztxt)[0], diagonal)
    signed = labels * values
    loss = -ops.sum(ops.log_sigmoid(signed))
    # d(-log_sigmoid(y·x))/dx = -y·sigmoid(-y·x)
    d_logits = -labels * ops.sigmoid(-signed)
    d_zimg = ops.matmul(d_logits, ztxt) * scale
    d_ztxt = ops.matmul(ops.transpose(d_logits), zimg) * scale
    d_logit_scale = ops.sum(d_logits * dots) * scale
    d_logit_bias = ops.sum(d_logits)
    return loss, d_zimg, d_ztxt, d_logit_scale, d_logit_bias


def softmax_rows_and_columns_loss(zimg_rows, ztxt_all, zimg_all, ztxt_rows,
                                  scale, row_offset):
    """Summed CLIP loss terms owned by one shard of the batch.

    The shard owns images `zimg_rows` (their image→text terms, against all
    texts) and texts `ztxt_rows` (their text→image terms, against all images).
    `row_offset` is the global index of the shard's first example.

    Returns:
        `sum_i 0.5 * (i2t_i + t2i_i)` over the shard's examples.
    """
    rows = ops.shape(zimg_rows)[0]
    index = ops.arange(rows) + row_offset
    i2t_logits, _ = _logits_and_dots(zimg_rows, ztxt_all, scale, None)
    t2i_logits, _ = _logits_and_dots(ztxt_rows, zimg_all, scale, None)
    i2t = -ops.take_along_axis(
        ops.log_softmax(i2t_logits, axis=-1), index[:, None], axis=-1
    )
    t2i = -ops.take_along_axis(
        ops.log_softmax(t2i_logits, axis=-1), index[:, None], axis=-1
    )
    return ops.sum(0.5 * (i2t + t2i))


def naive_softmax_loss(image_embeddings, text_embeddings, logit_scale):
    """The global CLIP loss on one device: mean of 0.5·(i2t + t2i)."""
    batch = ops.shape(image_embeddings)[0]
    total = softmax_rows_and_columns_loss(
        image_embeddings,
        text_embeddings,
        image_embeddings,
        text_embeddings,
        ops.exp(logit_scale),
        0,
    )
    return total / ops.cast(batch, total.dtype)
