"""The TFRecord schema for image-text pairs: writing and parsing.

Each record is a `tf.train.Example` with two features:

| key (default) | type | content |
|---|---|---|
| `image` | bytes, exactly one | the encoded image file (JPEG, PNG, GIF, BMP) |
| `captions` | bytes, one or more | UTF-8 captions of that image |

Shards are named `{prefix}-{i:05d}-of-{n:05d}.tfrecord`.
"""

import tensorflow as tf

IMAGE_KEY = "image"
CAPTIONS_KEY = "captions"


def make_example(image_bytes, captions, image_key=IMAGE_KEY,
                 captions_key=CAPTIONS_KEY):
    """A serialised `tf.train.Example` for one image and its captions.

    Example:

    >>> record = make_example(b"...", ["a cat", "a pet"])
    >>> parsed = parse_example(record)
    >>> parsed["captions"].numpy().tolist()
    [b'a cat', b'a pet']
    """
    if isinstance(captions, (str, bytes)):
        captions = [captions]
    captions = [c.encode("utf-8") if isinstance(c, str) else c
                for c in captions]
    feature = {
        image_key: tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[image_bytes])),
        captions_key: tf.train.Feature(
            bytes_list=tf.train.BytesList(value=captions)),
    }
    return tf.train.Example(
        features=tf.train.Features(feature=feature)).SerializeToString()


def parse_example(record, image_key=IMAGE_KEY, captions_key=CAPTIONS_KEY):
    """Parses one record to `{"image": bytes, "captions": [N] strings}`."""
    parsed = tf.io.parse_single_example(record, {
        image_key: tf.io.FixedLenFeature([], tf.string, default_value=""),
        captions_key: tf.io.VarLenFeature(tf.string),
    })
    return {"image": parsed[image_key],
            "captions": tf.sparse.to_dense(parsed[captions_key])}


def shard_paths(prefix, num_shards):
    """The file names of `num_shards` shards for `prefix`."""
    return [f"{prefix}-{i:05d}-of-{num_shards:05d}.tfrecord"
            for i in range(num_shards)]


def write_shards(pairs, prefix, num_shards=1, image_key=IMAGE_KEY,
                 captions_key=CAPTIONS_KEY):
    """Writes `(image_bytes, captions)` pairs round-robin into shards.

    Returns the list of shard paths.

    Example:

    >>> import tempfile, os
    >>> prefix = os.path.join(tempfile.mkdtemp(), "train")
    >>> paths = write_shards([(b"x", ["one"]), (b"y", ["two"])], prefix, 2)
    >>> [os.path.basename(p) for p in paths]
    ['train-00000-of-00002.tfrecord', 'train-00001-of-00002.tfrecord']
    """
    paths = shard_paths(prefix, num_shards)
    writers = [tf.io.TFRecordWriter(p) for p in paths]
    try:
        for i, (image_bytes, captions) in enumerate(pairs):
            writers[i % num_shards].write(make_example(
                image_bytes, captions, image_key, captions_key))
    finally:
        for writer in writers:
            writer.close()
    return paths


def first_example_keys(path):
    """Feature names of the first record in `path` (None if it is empty)."""
    for record in tf.data.TFRecordDataset(path).take(1):
        example = tf.train.Example.FromString(record.numpy())
        return sorted(example.features.feature.keys())
    return None
