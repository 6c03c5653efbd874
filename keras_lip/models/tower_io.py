"""Feeding any Keras tower and reading its output (keras-hub backbones take
dicts of inputs and may return dicts)."""

import keras
from keras import ops

from keras_lip.models.two_tower import _functional_input


def input_names(encoder):
    """The input keys of a functional model taking a dict, else None."""
    spec = _functional_input(encoder)
    return sorted(spec) if isinstance(spec, dict) else None


def variable_length(encoder):
    """Whether a functional text tower takes any length (keras-hub's BERT:
    inputs `(None, None)`), so its `max_sequence_length` is only a limit."""
    spec = _functional_input(encoder)
    if isinstance(spec, dict):
        spec = spec.get("token_ids", next(iter(spec.values())))
    shape = getattr(spec, "shape", None)
    return shape is not None and len(shape) == 2 and shape[1] is None


def text_inputs(encoder, token_ids, pad_id):
    """What `encoder` takes for `token_ids`: the ids, a one-key dict, or
    keras-hub's `{"token_ids", "padding_mask", "segment_ids"}` (mask =
    ids != pad_id, one segment), as big_vision feeds BERT."""
    names = input_names(encoder)
    if names is None:
        return token_ids
    if len(names) == 1:
        return {names[0]: token_ids}
    made = {"token_ids": token_ids,
            "padding_mask": ops.cast(ops.not_equal(token_ids, pad_id),
                                     "int32"),
            "segment_ids": ops.zeros_like(token_ids)}
    unknown = [n for n in names if n not in made]
    if unknown:
        raise ValueError(
            f"Text tower {encoder.name!r} takes inputs {names}; LiT can make "
            f"{sorted(made)} from token ids but not {unknown}.")
    return {name: made[name] for name in names}


def image_inputs(encoder, images):
    """`images`, or `{name: images}` for a tower taking a one-key dict."""
    names = input_names(encoder)
    if names is None:
        return images
    if len(names) != 1:
        raise ValueError(f"Image tower {encoder.name!r} takes inputs {names};"
                         " LiT feeds an image tower one tensor of images.")
    return {names[0]: images}


def select_output(outputs, key, tower):
    """One tensor of a tower's outputs: `key` of a dict (default: its only
    entry, else keras-hub's token output "sequence_output")."""
    if not isinstance(outputs, dict):
        if key is not None:
            raise ValueError(f"{tower} output key {key!r} given, but the "
                             "tower returns one tensor, not a dict.")
        return outputs
    if key is None:
        if len(outputs) == 1:
            return next(iter(outputs.values()))
        if "sequence_output" in outputs:
            return outputs["sequence_output"]
    if key not in outputs:
        raise ValueError(f"{tower} returns a dict with keys {sorted(outputs)}"
                         f"; name the one to use (got {key!r}).")
    return outputs[key]


def symbolic_output(encoder, inputs):
    """The tower's output `KerasTensor`(s) for symbolic `inputs`."""
    return encoder(inputs, training=False)


def symbolic(shape, dtype):
    return keras.KerasTensor((None, *shape), dtype=dtype)
