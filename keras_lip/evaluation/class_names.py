"""Class names for zero-shot classification: a list, a file or TFDS."""

import os

# TFDS datasets whose label names are ids, not words: the names zero-shot
# prompts use instead (files in keras_lip/evaluation/data, see PROVENANCE).
PROMPT_CLASS_NAMES = {"imagenet2012": "imagenet2012_clip_class_names.txt"}


def _packaged(filename):
    import importlib.resources

    text = importlib.resources.files("keras_lip.evaluation").joinpath(
        "data", filename).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def load_class_names(source, *, data_dir=None, label_key="label"):
    """Class names from a list, a text file or a TFDS dataset's labels.

    Args:
        source: a list/tuple of names; a path to a text file with one name
            per line (blank lines ignored); or `"tfds:<name>"` for the
            `names` of the `ClassLabel` feature `label_key` of a prepared
            TFDS dataset. For `"tfds:imagenet2012"` (whose labels are
            WordNet ids) these are CLIP's 1000 prompt names, as big_vision
            uses; no download or prepared dataset is needed for them.
        data_dir: TFDS data directory.
        label_key: TFDS feature holding the labels.

    Returns:
        A list of strings.

    Example:

    >>> load_class_names(("cat", "dog"))
    ['cat', 'dog']
    """
    if isinstance(source, (list, tuple)):
        return [str(name) for name in source]
    source = os.fspath(source)
    if source.startswith("tfds:"):
        import tensorflow_datasets as tfds

        name = source[len("tfds:"):].split(":")[0].split("/")[0]
        if name in PROMPT_CLASS_NAMES and label_key == "label":
            return _packaged(PROMPT_CLASS_NAMES[name])
        builder = tfds.builder(source[len("tfds:"):], data_dir=data_dir)
        feature = builder.info.features[label_key]
        if not hasattr(feature, "names"):
            raise ValueError(f"TFDS feature {label_key!r} of {source} is not "
                             "a ClassLabel with names.")
        return list(feature.names)
    import tensorflow as tf

    if not tf.io.gfile.exists(source):
        raise FileNotFoundError(f"Class-name file not found: {source}")
    with tf.io.gfile.GFile(source) as f:
        return [line.strip() for line in f if line.strip()]
