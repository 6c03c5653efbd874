"""Exports a two-tower model to a TensorFlow SavedModel with endpoints."""

import keras

from keras_lip.models.text_encoder import TextEncoder
from keras_lip.models.vit_encoder import ViTEncoder

ENDPOINTS = ("embed_images", "embed_texts", "similarity")


def _image_shape(model, image_shape):
    if image_shape is not None:
        return tuple(image_shape)
    encoder = model.image_encoder
    if isinstance(encoder, ViTEncoder) and encoder.built:
        (gh, gw), (ph, pw) = encoder.grid, encoder.patch_size
        return (gh * ph, gw * pw, 3)
    raise ValueError(
        "export_saved_model cannot infer the image shape of image_encoder "
        f"{type(encoder).__name__}; pass image_shape=(height, width, 3).")


def _text_length(model, text_length):
    if text_length is not None:
        return int(text_length)
    encoder = model.text_encoder
    if isinstance(encoder, TextEncoder) and encoder.built:
        return int(encoder.pos_embedding.shape[1])
    raise ValueError(
        "export_saved_model cannot infer the text length of text_encoder "
        f"{type(encoder).__name__}; pass text_length=L.")


def export_saved_model(model, path, image_shape=None, text_length=None,
                       similarity=True, verbose=False):
    """Writes `model` as a SavedModel with serving endpoints.

    Endpoints (batch size free, inputs as in training):
      - `embed_images(images)`: float32 `[B, H, W, 3]` in [-1, 1] →
        L2-normalised float32 `[B, d]`;
      - `embed_texts(token_ids)`: int32 `[B, L]` → float32 `[B, d]`;
      - `similarity(images, token_ids)` (if `similarity`): `{"logits":
        t·zimg·ztxtᵀ + b, "probabilities": sigmoid(logits)}`, `[B_img,
        B_txt]`.
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
        path: output directory.
        image_shape: `(H, W, 3)`; inferred for `ViTEncoder` towers.
        text_length: L; inferred for `TextEncoder` towers.
        similarity: also export the `similarity` endpoint.
        verbose: print Keras' summary of the endpoints.

    Returns:
        The `keras.export.ExportArchive` that was written.
    """
    if not model.built:
        raise ValueError("Call the model on a batch (or load its weights) "
                         "before exporting it.")
    image_shape = _image_shape(model, image_shape)
    length = _text_length(model, text_length)
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
        zimg = model.embed_images(x, training=False)
        ztxt = model.embed_texts(ids, training=False)
        logits = (keras.ops.matmul(zimg, keras.ops.transpose(ztxt))
                  * keras.ops.exp(model.logit_scale) + model.logit_bias)
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
