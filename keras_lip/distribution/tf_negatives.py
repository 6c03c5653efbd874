"""Cross-replica negatives for the TensorFlow backend (`tf.distribute`).

Used in the replica context of any `tf.distribute` strategy (Mirrored,
MultiWorkerMirrored, TPU). Each replica keeps its `b` images and meets the
texts of the other replicas:

* "gather": `ReplicaContext.all_gather` the texts once (its registered
  gradient routes text gradients back to their owners), then score b×b blocks
  one by one in a `tf.while_loop(parallel_iterations=1)`.
* "ring": text chunks travel around the replicas. Under `TPUStrategy` each hop
  is a `CollectivePermute`. Other strategies have no CollectivePermute kernel
  (there is none on CPU or GPU), so each hop is emulated with an all_gather of
  the chunk followed by a slice: the same blocks and the same memory bound,
  N× more traffic per hop. Prefer "gather" there ("auto" does).
* "local": only the replica's own b×b block.

Gradients are computed block by block during the forward pass and attached
with `tf.custom_gradient`, so no replica holds more than one b×b block of
logits (plus O(B·d) embeddings and their gradients) at any time.

The value returned is this replica's *share* of the global loss (its images'
terms divided by the global batch), which is Keras' convention under
tf.distribute: the optimizer sums gradients over replicas, and the shares sum
to the global loss.
"""

import tensorflow as tf

from keras_lip import compat
from keras_lip.ops import blocks
from keras_lip.ops import finite


def replica_context():
    """The current replica context of a non-default strategy, or None."""
    if not tf.distribute.has_strategy():
        return None
    return tf.distribute.get_replica_context()


def check_finite(logit_scale, logit_bias=None):
    """Raises `NonFiniteError` eagerly; inside a graph, InvalidArgumentError
    carrying `finite.MARKER` at run time (see `readable_errors`)."""
    checked = []
    for name, value in (("logit_scale", logit_scale),
                        ("logit_bias", logit_bias)):
        if value is not None:
            if tf.executing_eagerly() and not bool(
                    tf.reduce_all(tf.math.is_finite(value))):
                raise finite.NonFiniteError(finite.message(name, value))
            value = tf.debugging.check_numerics(value,
                                                finite.message(name))
        checked.append(value)
    return tuple(checked)


def _is_tpu(strategy):
    return isinstance(
        strategy,
        (tf.distribute.TPUStrategy, tf.distribute.experimental.TPUStrategy),
    )


def _gradients_needed():
    """False when no gradient tape could record (e.g. Keras' test_step)."""
    return compat.gradient_tape_could_record()


def _global_batch(ctx, embeddings, n):
    """The global batch size; asserts that it splits evenly over replicas.

    Replicas can hold different static shapes (an uneven last batch), so the
    check is a run-time all-reduce of one integer, except on TPUs, whose
    replicas always share one static shape.
    """
    local = embeddings.shape[0]
    if local is not None and _is_tpu(ctx.strategy):
        return tf.constant(float(local * n))
    local = tf.shape(embeddings)[0]
    total = ctx.all_reduce(tf.distribute.ReduceOp.SUM, local)
    check = tf.debugging.Assert(
        tf.equal(total, local * n),
        ["keras_lip: the global batch of", total, "examples does not split "
         "evenly over the", n, "replicas (this replica holds", local,
         "examples). Batch with drop_remainder=True or use a global batch "
         "that is a multiple of the number of replicas."],
    )
    with tf.control_dependencies([check]):
        return tf.cast(total, tf.float32)


def _attach_gradients(loss, grads, global_batch):
    def grad_fn(upstream):
        scale = upstream / global_batch
        return [g * scale for g in grads]

    return loss / global_batch, grad_fn


def _gather_share(zimg, ztxt_all, logit_scale, logit_bias, me, n, global_batch):
    b = tf.shape(zimg)[0]
    scale = tf.exp(logit_scale)

    def chunk(k):
        return ztxt_all[k * b:(k + 1) * b]

    if not _gradients_needed():
        def body(k, loss):
            return k + 1, loss + blocks.sigmoid_block_loss(
                zimg, chunk(k), scale, logit_bias, tf.equal(k, me))
        _, loss = tf.while_loop(lambda k, _: k < n, body, (0, 0.0),
                                parallel_iterations=1)
        return loss / global_batch

    @tf.custom_gradient
    def share(zimg, ztxt_all, logit_scale, logit_bias):
        def body(k, loss, d_zimg, d_scale, d_bias, d_chunks):
            b_loss, b_zimg, b_ztxt, b_scale, b_bias = (
                blocks.sigmoid_block_loss_and_grads(
                    zimg, chunk(k), scale, logit_bias, tf.equal(k, me)))
            return (k + 1, loss + b_loss, d_zimg + b_zimg, d_scale + b_scale,
                    d_bias + b_bias, d_chunks.write(k, b_ztxt))

        init = (0, 0.0, tf.zeros_like(zimg), 0.0, 0.0,
                tf.TensorArray(tf.float32, size=n, infer_shape=False))
        _, loss, d_zimg, d_scale, d_bias, d_chunks = tf.while_loop(
            lambda k, *_: k < n, body, init, parallel_iterations=1)
        grads = (d_zimg, d_chunks.concat(), d_scale, d_bias)
        return _attach_gradients(loss, grads, global_batch)

    return share(zimg, ztxt_all, logit_scale, logit_bias)


def _make_permute(ctx, n, me):
    """One hop of the ring: replica i sends its tensor to replica i+1."""
    if _is_tpu(ctx.strategy):
        pairs = [[i, (i + 1) % n] for i in range(n)]

        def permute(x):
            return tf.raw_ops.CollectivePermute(
                input=x, source_target_pairs=pairs)
        return permute

    def permute(x):
        # No CollectivePermute kernel outside TPUs: gather and keep the
        # left neighbour's chunk.
        b = tf.shape(x)[0]
        source = (me - 1) % n
        return ctx.all_gather(x, axis=0)[source * b:(source + 1) * b]

    return permute


def _ring_share(zimg, ztxt, logit_scale, logit_bias, permute, n, global_batch):
    scale = tf.exp(logit_scale)

    if not _gradients_needed():
        loss = blocks.sigmoid_block_loss(zimg, ztxt, scale, logit_bias, True)
        chunk = ztxt
        for _ in range(1, n):
            with tf.control_dependencies([loss]):
                chunk = permute(chunk)
            loss += blocks.sigmoid_block_loss(
                zimg, chunk, scale, logit_bias, False)
        return loss / global_batch

    @tf.custom_gradient
    def share(zimg, ztxt, logit_scale, logit_bias):
        loss, d_zimg, d_chunk, d_scale, d_bias = (
            blocks.sigmoid_block_loss_and_grads(
                zimg, ztxt, scale, logit_bias, True))
        width = tf.shape(ztxt)[1]
        chunk = ztxt
        for _ in range(1, n):
            # A chunk's gradient travels with it, in the same hop; the next
            # hop waits for this block, so one block is alive at a time.
            with tf.control_dependencies([loss, d_zimg]):
                packet = permute(tf.concat([chunk, d_chunk], axis=1))
            chunk, d_chunk = packet[:, :width], packet[:, width:]
            b_loss, b_zimg, b_ztxt, b_scale, b_bias = (
                blocks.sigmoid_block_loss_and_grads(
                    zimg, chunk, scale, logit_bias, False))
            loss += b_loss
            d_zimg += b_zimg
            d_chunk += b_ztxt
            d_scale += b_scale
            d_bias += b_bias
        if n > 1:  # One more hop brings each chunk's gradient home.
            d_chunk = permute(d_chunk)
        return _attach_gradients(loss, (d_zimg, d_chunk, d_scale, d_bias),
                                 global_batch)

    return share(zimg, ztxt, logit_scale, logit_bias)


def _replica_id(ctx):
    return tf.cast(ctx.replica_id_in_sync_group, tf.int32)


def sigmoid_loss(zimg, ztxt, logit_scale, logit_bias, negatives):
    """This replica's share of the global SigLIP loss, or None (no strategy)."""
    ctx = replica_context()
    if ctx is None:
        return None
    n = ctx.num_replicas_in_sync
    if negatives == "auto":
        negatives = "ring" if _is_tpu(ctx.strategy) else "gather"
    global_batch = _global_batch(ctx, zimg, n)
    me = _replica_id(ctx)
    if negatives == "local":
        loss = blocks.sigmoid_block_loss(
            zimg, ztxt, tf.exp(logit_scale), logit_bias, True)
        return loss / global_batch
    if negatives == "gather":
        ztxt_all = ctx.all_gather(ztxt, axis=0)
        return _gather_share(zimg, ztxt_all, logit_scale, logit_bias, me, n,
                             global_batch)
    permute = _make_permute(ctx, n, me)
    return _ring_share(zimg, ztxt, logit_scale, logit_bias, permute, n,
                       global_batch)


def softmax_loss(zimg, ztxt, logit_scale, negatives):
    """This replica's share of the global CLIP loss, or None (no strategy)."""
    ctx = replica_context()
    if ctx is None:
        return None
    n = ctx.num_replicas_in_sync
    global_batch = _global_batch(ctx, zimg, n)
    scale = tf.exp(logit_scale)
    negatives = "gather" if negatives == "auto" else negatives
    if negatives == "local":
        loss = blocks.softmax_rows_and_columns_loss(
            zimg, ztxt, zimg, ztxt, scale, 0)
        return loss / global_batch
    zimg_all = ctx.all_gather(zimg, axis=0)
    ztxt_all = ctx.all_gather(ztxt, axis=0)
    offset = _replica_id(ctx) * tf.shape(zimg)[0]
    loss = blocks.softmax_rows_and_columns_loss(
        zimg, ztxt_all, zimg_all, ztxt, scale, offset)
    return loss / global_batch
