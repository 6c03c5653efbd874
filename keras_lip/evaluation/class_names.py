"""Class names for zero-shot classification: a list, a file or TFDS."""

import os


def load_class_names(source, *, data_dir=None, label_key="label"):
    """Class names from a list, a text file or a TFDS dataset's labels.

    Args:
        source: a list/tuple of names; a path to a text file with one name
            per line (blank lines ignored); or `"tfds:<name>"` for the
            `names` of the `ClassLabel` feature `label_key` of a prepared
            TFDS dataset (e.g. `"tfds:imagenet2012"`).
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
