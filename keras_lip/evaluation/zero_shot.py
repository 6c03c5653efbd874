"""Zero-shot classification: class embeddings from prompts, top-k accuracy."""

import numpy as np
from keras import ops

from keras_lip.evaluation import prompts as prompts_lib
from keras_lip.evaluation.embed import Embedder, as_numpy
from keras_lip.layers import l2_normalize


def text_preprocessing_for(model, text=None):
    """`text` checked against the model's text length, or (None) the
    default `data.TextPreprocessing` with that length.

    Raises:
        ValueError: the lengths disagree, or neither is known.
    """
    from keras_lip.data import preprocess

    length = getattr(model, "text_length", None)
    if text is None:
        if length is None:
            raise ValueError(
                f"The text length of {type(model).__name__} is not known "
                "(its text tower declares no max_sequence_length): pass "
                "text=keras_lip.data.TextPreprocessing(max_len=L).")
        return preprocess.TextPreprocessing(max_len=length)
    if length is not None and text.max_len != length:
        raise ValueError(
            f"text.max_len={text.max_len} but the text tower of "
            f"{type(model).__name__} takes {length} tokens: use the "
            "TextPreprocessing the model was trained with.")
    return text


def tokenize_texts(texts, tokenizer, text=None):
    """Strings → int32 numpy `[N, L]` with a data pipeline's tokenisation.

    Args:
        texts: list of strings.
        tokenizer: as for `keras_lip.data.ImageTextPipeline` (a SentencePiece
            path, a tensorflow_text tokenizer or a callable).
        text: `keras_lip.data.TextPreprocessing` (defaults: L 64, sticky EOS).
    """
    import tensorflow as tf

    from keras_lip.data import preprocess, text_ops

    if isinstance(tokenizer, str):
        tokenizer = text_ops.sentencepiece_tokenizer(tokenizer)
    text = text or preprocess.TextPreprocessing()
    return text(tf.constant(list(texts), tf.string), tokenizer).numpy()


def class_embeddings(model, class_names, tokenizer, templates="clip_paper", *,
                     text=None, canonicalize=True, batch_size=256):
    """One L2-normalised embedding per class: the mean over its prompts
    (templates × aliases) of the normalised text embeddings, renormalised.

    Args:
        model: a `TwoTower` (uses `embed_texts`).
        class_names: list of names (see `load_class_names`).
        tokenizer: the tokenizer the model was trained with.
        templates: a set name ("clip_paper", "clip_best",
            "class_name_only") or a list of templates with one "{}".
        text: `keras_lip.data.TextPreprocessing` (the training one;
            default: big_vision's with the model's text length).
        canonicalize: big_vision's canonicalisation of names and templates.
        batch_size: prompts per forward pass.

    Returns:
        float32 numpy `[num_classes, d]`.
    """
    labels, prompts = prompts_lib.expand_prompts(class_names, templates,
                                                 canonicalize)
    text = text_preprocessing_for(model, text)
    token_ids = tokenize_texts(prompts, tokenizer, text)
    ztxt = Embedder.cached(model, batch_size).texts(token_ids)
    return average_class_embeddings(ztxt, labels, len(class_names))


def average_class_embeddings(prompt_embeddings, labels, num_classes):
    """Mean of the prompt embeddings of each class, L2-normalised.

    Example:

    >>> import numpy as np
    >>> z = np.array([[1, 0], [0, 1], [0, 1]], "float32")
    >>> average_class_embeddings(z, [0, 0, 1], 2).astype(float).round(4).tolist()
    [[0.7071, 0.7071], [0.0, 1.0]]
    """
    z = ops.convert_to_tensor(np.asarray(prompt_embeddings, np.float32))
    labels = ops.convert_to_tensor(np.asarray(labels, np.int32))
    sums = ops.segment_sum(z, labels, num_segments=num_classes)
    return np.asarray(ops.convert_to_numpy(l2_normalize(sums)), np.float32)


def topk_accuracy(image_embeddings, class_embeddings_, labels, ks=(1, 5)):
    """Top-k accuracy of argmax(image · classᵀ) for each k (capped at the
    number of classes).

    Example:

    >>> import numpy as np
    >>> classes = np.eye(3, dtype="float32")
    >>> images = np.array([[1, 0.5, 0], [0, 0, 1]], "float32")
    >>> topk_accuracy(images, classes, [1, 2], ks=(1, 2))
    {'top1': 0.5, 'top2': 1.0}
    """
    logits = np.asarray(image_embeddings) @ np.asarray(class_embeddings_).T
    labels = np.asarray(labels).reshape(-1)
    order = np.argsort(-logits, axis=1, kind="stable")
    rank = np.argmax(order == labels[:, None], axis=1)
    return {f"top{k}": float(np.mean(rank < k)) for k in ks}


def _batches(dataset, image_key, label_key):
    for batch in dataset:
        if isinstance(batch, dict):
            yield as_numpy(batch[image_key]), as_numpy(batch[label_key])
        else:
            images, labels = batch[:2]
            yield as_numpy(images), as_numpy(labels)


def evaluate_zero_shot(model, dataset, class_names, tokenizer,
                       templates="clip_paper", *, text=None, ks=(1, 5),
                       canonicalize=True, batch_size=256, image_key="images",
                       label_key="labels", class_embeddings_=None):
    """Zero-shot top-k accuracy of a two-tower model on labelled images.

    Args:
        model: a `TwoTower`.
        dataset: an iterable (e.g. `tf.data.Dataset`) of batches, either
            dicts with `image_key` and `label_key` or `(images, labels)`.
            Images must be preprocessed as in training.
        class_names: list of names, index = label.
        tokenizer, templates, text, canonicalize: see `class_embeddings`.
        ks: the k of the top-k accuracies.
        batch_size: rows per forward pass.
        image_key, label_key: keys of dict batches.
        class_embeddings_: precomputed `class_embeddings(...)` (skips the
            text tower).

    Returns:
        `{"top1": float, "top5": float, "num_images": int}`.

    Example:

    >>> import numpy as np
    >>> from keras_lip.testing import toy_two_tower
    >>> model = toy_two_tower(width=8, vocab_size=300)
    >>> toy = lambda s: tf.strings.unicode_decode(s, "UTF-8")
    >>> import tensorflow as tf
    >>> from keras_lip.data import TextPreprocessing
    >>> images = np.zeros((4, 2, 2, 3), "float32")
    >>> result = evaluate_zero_shot(
    ...     model, [(images, np.array([0, 1, 2, 0]))], ["a", "b", "c"], toy,
    ...     "clip_best", text=TextPreprocessing(max_len=8, eos_id=1))
    >>> sorted(result), result["top5"]
    (['num_images', 'top1', 'top5'], 1.0)
    """
    if class_embeddings_ is None:
        class_embeddings_ = class_embeddings(
            model, class_names, tokenizer, templates, text=text,
            canonicalize=canonicalize, batch_size=batch_size)
    embedder = Embedder.cached(model, batch_size)
    zimg, labels = [], []
    for images, batch_labels in _batches(dataset, image_key, label_key):
        zimg.append(embedder.images(images))
        labels.append(batch_labels.reshape(-1))
    if not zimg:
        raise ValueError("evaluate_zero_shot got an empty dataset.")
    zimg, labels = np.concatenate(zimg), np.concatenate(labels)
    num_classes = len(class_embeddings_)
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"Labels must be in [0, {num_classes}); got "
                         f"[{labels.min()}, {labels.max()}].")
    result = topk_accuracy(zimg, class_embeddings_, labels,
                           ks=[min(k, num_classes) for k in ks])
    result = {f"top{k}": result[f"top{min(k, num_classes)}"] for k in ks}
    result["num_images"] = int(len(labels))
    return result
