"""Exports a two-tower model to a TensorFlow SavedModel with endpoints."""

import keras


def _geometry(model, image_shape, text_length):
    image_shape = tuple(image_shape or ()) or model.image_shape
    text_length = text_length or model.text_length
    if image_shape is None or text_length is None:
        missing = "image_shape=(H, W, 3)" if image_shape is None \
            else "text_length=L"
        raise ValueError(
            f"export_saved_model: the towers of {type(model).__name__} do not "
            "declare their input geometry (keras_lip towers take "
            "image_size / max_sequence_length; keras-hub encoders "
            f"image_shape / max_sequence_length): pass {missing}.")
    return tuple(int(v) for v in image_shape), int(text_length)


def export_saved_model(model, path, image_shape=None, text_length=None,
                       similarity=True, verbose=False):
    """Writes `model` as a SavedModel with serving endpoints.

    Endpoints (batch size free, inputs as in training):
      - `embed_images(images)`: float32 `[B, H, W, 3]` in [-1, 1] →
        L2-normalised float32 `[B, d]`;
      - `embed_texts(token_ids)`: int32 `[B, L]` → float32 `[B, d]`;
      - `similarity(images, token_ids)` (if `similarity`): `{"logits":
        t·zimg·ztxtᵀ + b, "probabilities"}`, `[B_img, B_txt]`: sigmoid of
        the logits for models with a bias (SigLIP), softmax over the texts
        for models without (CLIP).
    `embed_images` is also the `serving_default` signature. Load with plain
    TensorFlow: `tf.saved_model.load(path).embed_texts(ids)`; no keras_lip
    (or Keras) needed.

    Works from the TensorFlow and the JAX backend (Keras converts JAX
    functions with `jax2tf`). If the JAX conversion fails, save the model
    with `model.save("m.keras")` and export from TensorFlow:
    `KERAS_BACKEND=tensorflow python -m keras_lip.export --model=m.keras
    --output=DIR`.

    Args:
        model: a built `TwoTower` / `SigLIP` (float32 or mixed precision).
        path: output directory (local, or any `tf.io.gfile` filesystem).
        image_shape: `(H, W, 3)`; default: what the image tower declares.
        text_length: L; default: what the text tower declares.
        similarity: also export the `similarity` endpoint.
        verbose: print Keras' summary of the endpoints.

    Returns:
        The `keras.export.ExportArchive` that was written.
    """
    if not model.built:
        raise ValueError("Call the model on a batch (or load its weights) "
                         "before exporting it.")
    image_shape, length = _geometry(model, image_shape, text_length)
    backend = keras.config.backend()
    if backend not in ("tensorflow", "jax"):
        raise ValueError(f"SavedModel export needs the TensorFlow or JAX "
                         f"backend; this is {backend}.")
    images = keras.InputSpec(shape=(None, *image_shape), dtype="float32")
    tokens = keras.InputSpec(shape=(None, length), dtype="int32")

    def _embed_images(x):
        return model.embed_images(x, training=False)

    def _embed_texts(x):
        return model.embed_texts(x, training=False)

    def _similarity(x, ids):
        logits = model.logits(model.embed_images(x, training=False),
                              model.embed_texts(ids, training=False))
        if model.logit_bias is None:  # Softmax-trained: rank the texts.
            return {"logits": logits,
                    "probabilities": keras.ops.softmax(logits, axis=-1)}
        return {"logits": logits, "probabilities": keras.ops.sigmoid(logits)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    try:
        archive.add_endpoint("embed_images", _embed_images, [images])
        archive.add_endpoint("embed_texts", _embed_texts, [tokens])
        if similarity:
            archive.add_endpoint("similarity", _similarity, [images, tokens])
        archive.write_out(str(path), verbose=verbose)
    except Exception as error:
        if backend != "jax":
            raise
        raise RuntimeError(
            f"SavedModel export from the JAX backend failed ({error!r}). "
            "Save the model with model.save('m.keras') and export it from "
            "TensorFlow: KERAS_BACKEND=tensorflow python -m keras_lip.export "
            "--model=m.keras --output=DIR") from error
    return archive
