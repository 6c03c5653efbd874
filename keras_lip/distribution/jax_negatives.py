"""Cross-device negatives for the JAX backend (`jax.shard_map`).

Used when a `keras.distribution` (e.g. `DataParallel`) is active. The
embeddings are global arrays sharded along the distribution's batch axis; each
device keeps its `b = B / N` images and meets the texts of the other devices:

* "ring": text chunks travel around the batch axis with `lax.ppermute`; every
  step scores one b×b block (big_vision's chunked SigLIP loss).
* "gather": `lax.all_gather` the texts once, then score b×b blocks one by one.
* "local": only the device's own b×b block (no communication).

Gradients are computed block by block during the forward pass (see
`keras_lip.ops.blocks.sigmoid_block_loss_and_grads`) and attached with
`jax.custom_vjp`, so no device ever holds more than one b×b block of logits.
The returned value is the global loss, replicated.
"""

import functools

import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import PartitionSpec as P

from keras_lip.ops import blocks
from keras_lip.ops import finite


def batch_mesh():
    """`(mesh, axis_name)` of the active keras distribution, or None."""
    import keras

    distribution = keras.distribution.distribution()
    if distribution is None:
        return None
    axis = getattr(distribution, "batch_dim_name", None)
    if axis is None:
        return None
    return distribution.device_mesh.backend_mesh, axis


def _raise_if_not_finite(logit_scale, logit_bias):
    for name, value in (("logit_scale", logit_scale),
                        ("logit_bias", logit_bias)):
        if value is not None and not bool(jnp.all(jnp.isfinite(value))):
            raise finite.NonFiniteError(finite.message(name, value))


def check_finite(logit_scale, logit_bias=None):
    """Raises `NonFiniteError` when t or b is NaN/inf; inside jit through
    `jax.debug.callback` (JAX wraps it in its runtime error; see
    `keras_lip.distribution.readable_errors`)."""
    if any(isinstance(v, jax.core.Tracer) for v in (logit_scale, logit_bias)):
        jax.debug.callback(_raise_if_not_finite, logit_scale, logit_bias)
    else:
        _raise_if_not_finite(logit_scale, logit_bias)
    return logit_scale, logit_bias


def _ring_perm(n):
    return [(i, (i + 1) % n) for i in range(n)]


def _ring_loss(zimg, ztxt, scale, bias, axis, n):
    perm = _ring_perm(n)
    loss = blocks.sigmoid_block_loss(zimg, ztxt, scale, bias, True)

    def step(_, carry):
        chunk, loss = carry
        chunk = lax.ppermute(chunk, axis, perm)
        return chunk, loss + blocks.sigmoid_block_loss(
            zimg, chunk, scale, bias, False
        )

    return lax.fori_loop(1, n, step, (ztxt, loss))[1]


def _ring_loss_and_grads(zimg, ztxt, scale, bias, axis, n):
    perm = _ring_perm(n)
    first = blocks.sigmoid_block_loss_and_grads(zimg, ztxt, scale, bias, True)
    loss, d_zimg, d_chunk, d_scale, d_bias = first

    def step(_, carry):
        chunk, d_chunk, loss, d_zimg, d_scale, d_bias = carry
        # A chunk's gradient travels with the chunk, in the same hop.
        chunk, d_chunk = lax.ppermute((chunk, d_chunk), axis, perm)
        b_loss, b_zimg, b_ztxt, b_scale, b_bias = (
            blocks.sigmoid_block_loss_and_grads(zimg, chunk, scale, bias, False)
        )
        return (chunk, d_chunk + b_ztxt, loss + b_loss, d_zimg + b_zimg,
                d_scale + b_scale, d_bias + b_bias)

    carry = (ztxt, d_chunk, loss, d_zimg, d_scale, d_bias)
    _, d_chunk, loss, d_zimg, d_scale, d_bias = lax.fori_loop(1, n, step, carry)
    if n > 1:  # One more hop brings each chunk's gradient home.
        d_chunk = lax.ppermute(d_chunk, axis, perm)
    return loss, (d_zimg, d_chunk, d_scale, d_bias)


def _gather_loss(zimg, ztxt_all, scale, bias, axis, n):
    b = zimg.shape[0]
    me = lax.axis_index(axis)

    def step(k, loss):
        chunk = lax.dynamic_slice_in_dim(ztxt_all, k * b, b)
        return loss + blocks.sigmoid_block_loss(zimg, chunk, scale, bias, k == me)

    return lax.fori_loop(0, n, step, jnp.zeros((), jnp.float32))


def _gather_loss_and_grads(zimg, ztxt_all, scale, bias, axis, n):
    b = zimg.shape[0]
    me = lax.axis_index(axis)

    def step(k, carry):
        loss, d_zimg, d_all, d_scale, d_bias = carry
        chunk = lax.dynamic_slice_in_dim(ztxt_all, k * b, b)
        b_loss, b_zimg, b_ztxt, b_scale, b_bias = (
            blocks.sigmoid_block_loss_and_grads(zimg, chunk, scale, bias, k == me)
        )
        d_all = lax.dynamic_update_slice_in_dim(d_all, b_ztxt, k * b, 0)
        return (loss + b_loss, d_zimg + b_zimg, d_all, d_scale + b_scale,
                d_bias + b_bias)

    zero = jnp.zeros((), jnp.float32)
    carry = (zero, jnp.zeros_like(zimg), jnp.zeros_like(ztxt_all), zero, zero)
    loss, d_zimg, d_all, d_scale, d_bias = lax.fori_loop(0, n, step, carry)
    return loss, (d_zimg, d_all, d_scale, d_bias)


@functools.lru_cache(maxsize=None)
def _blockwise_share(kind, axis, n, global_batch):
    """A custom-VJP per-device function returning the device's loss share."""
    loss_fn, loss_and_grads_fn = {
        "ring": (_ring_loss, _ring_loss_and_grads),
        "gather": (_gather_loss, _gather_loss_and_grads),
    }[kind]

    @jax.custom_vjp
    def share(zimg, ztxt, logit_scale, logit_bias):
        loss = loss_fn(zimg, ztxt, jnp.exp(logit_scale), logit_bias, axis, n)
        return loss / global_batch

    def share_fwd(zimg, ztxt, logit_scale, logit_bias):
        loss, grads = loss_and_grads_fn(
            zimg, ztxt, jnp.exp(logit_scale), logit_bias, axis, n
        )
        return loss / global_batch, grads

    def share_bwd(grads, upstream):
        scale = upstream / global_batch
        d_zimg, d_ztxt, d_scale, d_bias = grads
        return (d_zimg * scale, d_ztxt * scale,
                jnp.reshape(d_scale * scale, ()), jnp.reshape(d_bias * scale, ()))

    share.defvjp(share_fwd, share_bwd)
    return share


def _sigmoid_per_device(negatives, axis, n, global_batch):
    if negatives == "local":
        def local(zimg, ztxt, logit_scale, logit_bias):
            loss = blocks.sigmoid_block_loss(
                zimg, ztxt, jnp.exp(logit_scale), logit_bias, True
            )
            return lax.psum(loss / global_batch, axis)
        return local
    share = _blockwise_share(negatives, axis, n, global_batch)

    def per_device(zimg, ztxt, logit_scale, logit_bias):
        if negatives == "gather":
            ztxt = lax.all_gather(ztxt, axis, tiled=True)
        return lax.psum(share(zimg, ztxt, logit_scale, logit_bias), axis)

    return per_device


def _softmax_per_device(negatives, axis, n, global_batch):
    def per_device(zimg, ztxt, logit_scale):
        scale = jnp.exp(logit_scale)
        if negatives == "local":
            b = zimg.shape[0]
            loss = blocks.softmax_rows_and_columns_loss(
                zimg, ztxt, zimg, ztxt, scale, 0
            )
            # Each device's CLIP loss is a mean over its own b examples;
            # the global objective is the mean over devices.
            return lax.psum(loss / (b * n), axis)
        zimg_all = lax.all_gather(zimg, axis, tiled=True)
        ztxt_all = lax.all_gather(ztxt, axis, tiled=True)
        offset = lax.axis_index(axis) * zimg.shape[0]
        loss = blocks.softmax_rows_and_columns_loss(
            zimg, ztxt_all, zimg_all, ztxt, scale, offset
        )
        return lax.psum(loss / global_batch, axis)

    return per_device


def _run_sharded(make_per_device, negatives, mesh, axis, embeddings, scalars):
    n = mesh.shape[axis]
    global_batch = embeddings[0].shape[0]
    if global_batch % n:
        raise ValueError(
            f"The global batch of {global_batch} examples is not divisible by "
            f"the {n} devices of the batch axis '{axis}'. Batch with "
            "drop_remainder=True or pick a batch size that is a multiple of "
            f"{n}."
        )
    per_device = make_per_device(negatives, axis, n, global_batch)
    sharded = jax.shard_map(
        per_device,
        mesh=mesh,
        in_specs=(P(axis),) * len(embeddings) + (P(),) * len(scalars),
        out_specs=P(),
        check_vma=False,
    )
    return sharded(*embeddings, *scalars)


def sigmoid_loss(zimg, ztxt, logit_scale, logit_bias, negatives):
    """Global SigLIP loss over the active distribution, or None (no mesh)."""
    layout = batch_mesh()
    if layout is None:
        return None
    negatives = "ring" if negatives == "auto" else negatives
    return _run_sharded(_sigmoid_per_device, negatives, *layout,
                        (zimg, ztxt), (logit_scale, logit_bias))


def softmax_loss(zimg, ztxt, logit_scale, negatives):
    """Global CLIP loss over the active distribution, or None (no mesh)."""
    layout = batch_mesh()
    if layout is None:
        return None
    negatives = "gather" if negatives == "auto" else negatives
    return _run_sharded(_softmax_per_device, negatives, *layout,
                        (zimg, ztxt), (logit_scale,))
