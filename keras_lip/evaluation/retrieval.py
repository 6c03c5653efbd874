"""Image↔text retrieval Recall@k with several captions per image, in chunks.

Similarities are computed block by block (`image_chunk × text_chunk`) while
a running top-k is kept per image (over captions) and per caption (over
images), so memory is O((N + M)·k + block), never the full N×M matrix.
"""

import numpy as np
from keras import ops

from keras_lip.evaluation.embed import Embedder, as_numpy


def _merge_topk(values, indices, new_values, new_indices, k):
    """Top-k of the union of two (values, indices) sets along the last axis."""
    values = ops.concatenate([values, new_values], axis=-1)
    indices = ops.concatenate([indices, new_indices], axis=-1)
    values, where = ops.top_k(values, k=k, sorted=True)
    return values, ops.take_along_axis(indices, where, axis=-1)


def chunked_topk(image_embeddings, text_embeddings, k, image_chunk=1024,
                 text_chunk=4096):
    """Top-k captions per image and top-k images per caption by dot product.

    Args:
        image_embeddings: `[N, d]`.
        text_embeddings: `[M, d]`.
        k: neighbours kept (capped at M for images, N for captions).
        image_chunk, text_chunk: block shape; at most `image_chunk ×
            text_chunk` similarities exist at a time.

    Returns:
        `(i2t, t2i)`: int numpy `[N, k]` caption indices and `[M, k]` image
        indices, most similar first.

    Example:

    >>> import numpy as np
    >>> zimg = np.eye(3, dtype="float32")
    >>> ztxt = np.array([[0, 1, 0], [1, 0, 0]], "float32")
    >>> i2t, t2i = chunked_topk(zimg, ztxt, k=1, image_chunk=2, text_chunk=1)
    >>> i2t[:2, 0].tolist(), t2i[:, 0].tolist()
    ([1, 0], [1, 0])
    """
    zimg = np.asarray(image_embeddings, np.float32)
    ztxt = np.asarray(text_embeddings, np.float32)
    n, m = len(zimg), len(ztxt)
    k_rows, k_cols = min(k, m), min(k, n)
    neg = float("-inf")
    col_values = ops.full((m, k_cols), neg)
    col_indices = ops.zeros((m, k_cols), "int32")
    row_results = []
    for i0 in range(0, n, image_chunk):
        zi = ops.convert_to_tensor(zimg[i0:i0 + image_chunk])
        rows = zi.shape[0]
        row_values = ops.full((rows, k_rows), neg)
        row_indices = ops.zeros((rows, k_rows), "int32")
        for t0 in range(0, m, text_chunk):
            zt = ops.convert_to_tensor(ztxt[t0:t0 + text_chunk])
            block = ops.matmul(zi, ops.transpose(zt))  # [rows, cols]
            cols = block.shape[1]
            v, j = ops.top_k(block, k=min(k_rows, cols), sorted=True)
            row_values, row_indices = _merge_topk(
                row_values, row_indices, v, ops.cast(j, "int32") + t0, k_rows)
            v, j = ops.top_k(ops.transpose(block), k=min(k_cols, rows),
                             sorted=True)
            cv, ci = _merge_topk(col_values[t0:t0 + cols],
                                 col_indices[t0:t0 + cols], v,
                                 ops.cast(j, "int32") + i0, k_cols)
            col_values = ops.slice_update(col_values, (t0, 0), cv)
            col_indices = ops.slice_update(col_indices, (t0, 0), ci)
        row_results.append(ops.convert_to_numpy(row_indices))
    return (np.concatenate(row_results).astype(np.int64),
            np.asarray(ops.convert_to_numpy(col_indices), np.int64))


def recall_at_k(i2t, t2i, text_to_image, ks=(1, 5, 10)):
    """Recall@k from top-k neighbour lists.

    An image→text hit at k: any of the image's captions among its top k.
    A text→image hit: the caption's own image among its top k.

    Example:

    >>> import numpy as np
    >>> i2t = np.array([[2, 0], [2, 0]])          # 2 images, 3 captions
    >>> t2i = np.array([[0, 1], [1, 0], [0, 1]])  # caption → images
    >>> r = recall_at_k(i2t, t2i, text_to_image=[0, 0, 1], ks=(1, 2))
    >>> {key: round(value, 3) for key, value in r.items()}
    {'i2t_r1': 0.5, 'i2t_r2': 1.0, 't2i_r1': 0.333, 't2i_r2': 1.0}
    """
    owner = np.asarray(text_to_image)
    i2t_hit = owner[i2t] == np.arange(len(i2t))[:, None]  # [N, k]
    t2i_hit = t2i == owner[:, None]  # [M, k]
    out = {}
    for k in ks:
        out[f"i2t_r{k}"] = float(np.mean(np.any(i2t_hit[:, :k], axis=1)))
    for k in ks:  # k beyond the list: everything retrieved.
        out[f"t2i_r{k}"] = float(np.mean(np.any(t2i_hit[:, :k], axis=1)))
    return out


def retrieval_embeddings(model, dataset, batch_size=256):
    """Embeds evaluation batches that keep every caption.

    Args:
        model: a `TwoTower`.
        dataset: iterable of `{"images" [b,H,W,3], "token_ids" [b,k,L],
            "caption_mask" [b,k]}` (`ImageTextPipeline(training=False)`);
            `token_ids [b, L]` without a mask means one caption per image.
        batch_size: rows per forward pass.

    Returns:
        `(image_embeddings [N, d], text_embeddings [M, d], text_to_image
        [M])` as numpy arrays.
    """
    embedder = Embedder.cached(model, batch_size)
    zimg, ztxt, owner, offset = [], [], [], 0
    for batch in dataset:
        images = as_numpy(batch["images"])
        tokens = as_numpy(batch["token_ids"])
        if tokens.ndim == 2:
            tokens = tokens[:, None, :]
        mask = (as_numpy(batch["caption_mask"]).astype(bool)
                if "caption_mask" in batch
                else np.ones(tokens.shape[:2], bool))
        zimg.append(embedder.images(images))
        rows = np.nonzero(mask)
        if len(rows[0]):
            ztxt.append(embedder.texts(tokens[rows]))
            owner.append(rows[0] + offset)
        offset += len(images)
    if not zimg or not ztxt:
        raise ValueError("Retrieval needs at least one image and caption.")
    return (np.concatenate(zimg), np.concatenate(ztxt),
            np.concatenate(owner))


def evaluate_retrieval(model, dataset, ks=(1, 5, 10), *, batch_size=256,
                       image_chunk=1024, text_chunk=4096):
    """Image→text and text→image Recall@k of a two-tower model.

    Args:
        model: a `TwoTower`.
        dataset: evaluation batches (see `retrieval_embeddings`).
        ks: the k of Recall@k.
        batch_size: rows per forward pass.
        image_chunk, text_chunk: similarity block shape (memory bound).

    Returns:
        `{"i2t_r1", ..., "t2i_r10", "num_images", "num_texts"}`.

    Example:

    >>> import numpy as np
    >>> from keras_lip.testing import toy_two_tower
    >>> batch = {"images": np.zeros((3, 2, 2, 3), "float32"),
    ...          "token_ids": np.ones((3, 2, 4), "int32"),
    ...          "caption_mask": np.array([[1, 1], [1, 0], [1, 0]], bool)}
    >>> r = evaluate_retrieval(toy_two_tower(width=8), [batch], ks=(1, 5))
    >>> r["num_texts"], r["i2t_r5"], r["t2i_r5"]
    (4, 1.0, 1.0)
    """
    zimg, ztxt, owner = retrieval_embeddings(model, dataset, batch_size)
    i2t, t2i = chunked_topk(zimg, ztxt, max(ks), image_chunk, text_chunk)
    result = recall_at_k(i2t, t2i, owner, ks)
    result.update(num_images=int(len(zimg)), num_texts=int(len(ztxt)))
    return result
