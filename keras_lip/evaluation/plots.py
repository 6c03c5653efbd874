"""PNG plots: an image-text similarity matrix and a top-k retrieval grid."""

import os

import numpy as np

_THUMB = 48
_ROW_TEXT = 12


def _thumbnails(images, size=_THUMB):
    """uint8 or [-1, 1] float images → list of PIL images `size`²."""
    from PIL import Image

    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = np.clip((images + 1) * 127.5, 0, 255).astype(np.uint8)
    return [Image.fromarray(im).resize((size, size), Image.NEAREST)
            for im in images]


def _save(canvas, path):
    """PNG to any `tf.io.gfile` path (local, gs://, ...)."""
    import tensorflow as tf

    with tf.io.gfile.GFile(str(path), "wb") as f:
        canvas.save(f, format="PNG")
    return str(path)


def _color(value):
    """[0, 1] → an RGB tuple from dark blue through teal to yellow."""
    stops = np.array([(20, 20, 80), (30, 140, 140), (250, 230, 50)], float)
    v = float(np.clip(value, 0, 1)) * 2
    i = min(int(v), 1)
    return tuple(int(c) for c in stops[i] + (stops[i + 1] - stops[i]) * (v - i))


def similarity_png(images, captions, similarity, path):
    """Writes a heatmap of `similarity` [n_images, n_captions] as a PNG.

    Rows are images (thumbnails on the left), columns are captions
    (numbered; the legend lists them). Colours span the matrix' own range;
    the best caption of each row is outlined.

    Args:
        images: `[n, H, W, 3]` uint8 or float in [-1, 1].
        captions: list of `m` strings.
        similarity: `[n, m]` numbers (e.g. cosine similarities or sigmoid
            probabilities).
        path: output `.png` path.

    Returns:
        `path`.

    Example:

    >>> import numpy as np, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "sim.png")
    >>> _ = similarity_png(np.zeros((2, 8, 8, 3), "uint8"), ["a", "b"],
    ...                    np.eye(2), path)
    >>> os.path.getsize(path) > 0
    True
    """
    from PIL import Image, ImageDraw

    sim = np.asarray(similarity, np.float64)
    n, m = sim.shape
    cell = _THUMB
    low, high = sim.min(), sim.max()
    header = f"captions (range {low:.2f} .. {high:.2f})"
    legend = [header] + [f"{j}: {c}" for j, c in enumerate(captions)]
    # PIL's default bitmap font is 6 px wide per character (+ margins).
    legend_w = 7 * max(len(line) for line in legend) + 20
    width = cell * (m + 1) + legend_w
    height = max(cell * (n + 1), _ROW_TEXT * (m + 2))
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    scale = (sim - low) / (high - low) if high > low else np.zeros_like(sim)
    for i, thumb in enumerate(_thumbnails(images, cell)):
        canvas.paste(thumb, (0, cell * (i + 1)))
    for j in range(m):
        draw.text((cell * (j + 1) + cell // 3, cell // 3), str(j), fill="black")
    for i in range(n):
        best = int(np.argmax(sim[i]))
        for j in range(m):
            box = (cell * (j + 1), cell * (i + 1), cell * (j + 2) - 1,
                   cell * (i + 2) - 1)
            draw.rectangle(box, fill=_color(scale[i, j]),
                           outline="red" if j == best else None,
                           width=3 if j == best else 0)
            draw.text((box[0] + 4, box[1] + cell // 3), f"{sim[i, j]:.2f}",
                      fill="white" if scale[i, j] < 0.6 else "black")
    x = cell * (m + 1) + 10
    for row, line in enumerate(legend):
        draw.text((x, _ROW_TEXT * row + 4), line, fill="black")
    return _save(canvas, path)


def retrieval_png(images, captions, similarity, path, k=3,
                  text_to_image=None):
    """Writes a top-k retrieval grid as a PNG.

    Top half: each image (rows) with its top-k captions, best first.
    Bottom half: each caption with its top-k images. With `text_to_image`
    (caption → index of its image), correct hits are green and misses red.

    Args:
        images: `[n, H, W, 3]` uint8 or float in [-1, 1].
        captions: list of `m` strings.
        similarity: `[n, m]` image-caption scores.
        path: output `.png` path.
        k: neighbours shown.
        text_to_image: optional `[m]` ints.

    Returns:
        `path`.

    Example:

    >>> import numpy as np, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "top.png")
    >>> _ = retrieval_png(np.zeros((2, 8, 8, 3), "uint8"), ["a", "b"],
    ...                   np.eye(2), path, k=2, text_to_image=[0, 1])
    >>> os.path.getsize(path) > 0
    True
    """
    from PIL import Image, ImageDraw

    sim = np.asarray(similarity, np.float64)
    n, m = sim.shape
    k = min(k, n, m)
    owner = None if text_to_image is None else np.asarray(text_to_image)
    thumbs = _thumbnails(images)
    cell, text_w = _THUMB, 8 * max(len(c) for c in captions) + 60
    width = max(cell + 10 + text_w, text_w + k * (cell + 6))
    height = (n + m) * (cell + 6) + 40
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 2), f"image -> top-{k} captions", fill="black")
    y = 16
    for i in range(n):
        canvas.paste(thumbs[i], (0, y))
        for rank, j in enumerate(np.argsort(-sim[i], kind="stable")[:k]):
            hit = owner is not None and owner[j] == i
            fill = "green" if hit else ("red" if owner is not None else
                                        "black")
            draw.text((cell + 10, y + rank * _ROW_TEXT),
                      f"{sim[i, j]:.2f} {captions[j]}", fill=fill)
        y += cell + 6
    draw.text((4, y), f"caption -> top-{k} images", fill="black")
    y += 16
    for j in range(m):
        draw.text((4, y + cell // 3), captions[j], fill="black")
        for rank, i in enumerate(np.argsort(-sim[:, j], kind="stable")[:k]):
            x = text_w + rank * (cell + 6)
            canvas.paste(thumbs[i], (x, y))
            if owner is not None:
                draw.rectangle((x - 2, y - 2, x + cell + 1, y + cell + 1),
                               outline="green" if owner[j] == i else "red",
                               width=2)
        y += cell + 6
    return _save(canvas, path)


def write_plots(model, images, captions, tokenizer, folder, *, text=None,
                text_to_image=None, k=3):
    """Embeds `images` and `captions` with `model` and writes
    `similarity.png` and `retrieval.png` (cosine similarities) to `folder`.

    Args:
        model: a `TwoTower`.
        images: `[n, H, W, 3]` preprocessed as in training ([-1, 1]).
        captions: list of strings.
        tokenizer, text: the training tokenizer and `TextPreprocessing`
            (default: big_vision's with the model's text length).
        folder: output folder (created).
        text_to_image: caption → image index (marks hits).
        k: neighbours in the retrieval grid.

    Returns:
        The two paths.
    """
    from keras_lip.evaluation.embed import Embedder
    from keras_lip.evaluation.zero_shot import text_preprocessing_for
    from keras_lip.evaluation.zero_shot import tokenize_texts

    import tensorflow as tf

    tf.io.gfile.makedirs(str(folder))
    embedder = Embedder.cached(model)
    zimg = embedder.images(np.asarray(images, np.float32))
    text = text_preprocessing_for(model, text)
    ztxt = embedder.texts(tokenize_texts(captions, tokenizer, text))
    sim = zimg @ ztxt.T
    folder = str(folder).rstrip("/")
    return [similarity_png(images, captions, sim, f"{folder}/similarity.png"),
            retrieval_png(images, captions, sim, f"{folder}/retrieval.png",
                          k=k, text_to_image=text_to_image)]
