"""Where image-text pairs come from: TFDS, TFRecord shards, CSV/JSONL.

Every source checks its configuration when it is constructed (missing files,
unknown keys raise an error naming them) and makes, per input shard, a
`tf.data.Dataset` of `{"image": encoded bytes, "captions": [N] strings}`.
"""

import csv
import json
import os

import tensorflow as tf

from keras_lip.data import tfrecord

AUTOTUNE = tf.data.AUTOTUNE


def _as_vector(captions):
    return tf.reshape(tf.convert_to_tensor(captions, tf.string), [-1])


class TfdsSource:
    """A TFDS dataset by name (prepared beforehand in `data_dir`).

    Args:
        name: TFDS name, e.g. "coco_captions" (or "name/config:version").
        split: TFDS split string, e.g. "train" or "val[:1000]".
        data_dir: where the prepared data lives (TFDS' default if None).
        image_key: the image feature; '/' separates nested keys.
        captions_key: the caption feature, a string or a sequence of strings;
            coco_captions nests them as "captions/text".

    Example:

    >>> TfdsSource("no_such_dataset_xyz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    tensorflow_datasets.core.registered.DatasetNotFoundError: ...
    """

    def __init__(self, name, split="train", data_dir=None, image_key="image",
                 captions_key="captions/text"):
        import tensorflow_datasets as tfds

        self.builder = tfds.builder(name, data_dir=data_dir)
        if not self.builder.is_prepared():
            raise FileNotFoundError(
                f"TFDS dataset {name!r} is not prepared in "
                f"{self.builder.data_dir}; run its download_and_prepare first.")
        self.name, self.split = name, split
        self.image_key, self.captions_key = image_key, captions_key
        image_feature = _tfds_feature(self.builder.info.features, image_key)
        _tfds_feature(self.builder.info.features, captions_key)
        self._decoders = None
        if isinstance(image_feature, tfds.features.Image):
            self._decoders = _nest(image_key, tfds.decode.SkipDecoding())

    def make(self, shard_index=0, num_shards=1, shuffle_files=False, seed=0):
        """The dataset of this shard's examples."""
        import tensorflow_datasets as tfds

        split = self.split
        if num_shards > 1:
            split = tfds.even_splits(split, n=num_shards)[shard_index]
        ds = self.builder.as_dataset(
            split=split, decoders=self._decoders, shuffle_files=shuffle_files,
            read_config=tfds.ReadConfig(shuffle_seed=seed))
        return ds.map(lambda ex: {
            "image": _lookup(ex, self.image_key),
            "captions": _as_vector(_lookup(ex, self.captions_key)),
        }, num_parallel_calls=AUTOTUNE, deterministic=True)


def _nest(path, value):
    for part in reversed(path.split("/")):
        value = {part: value}
    return value


def _lookup(example, path):
    for part in path.split("/"):
        example = example[part]
    return example


def _tfds_feature(features, path):
    """The TFDS feature at a '/' path; a KeyError naming it if absent."""
    import tensorflow_datasets as tfds

    feature = features
    for part in path.split("/"):
        if isinstance(feature, tfds.features.Sequence):
            feature = feature.feature
        keys = list(feature.keys()) if hasattr(feature, "keys") else []
        if part not in keys:
            raise KeyError(f"Feature {path!r} not found: {part!r} is not one "
                           f"of {keys}.")
        feature = feature[part]
    return feature


class TfrecordSource:
    """TFRecord shards of `tf.train.Example` in `keras_lip.data.tfrecord`'s
    schema (keys configurable).

    Args:
        paths: a glob pattern, a file name, or a list of them.
        image_key: the bytes feature with the encoded image.
        captions_key: the bytes feature with one or more captions.

    Example:

    >>> TfrecordSource("/no/such/*.tfrecord")
    Traceback (most recent call last):
      ...
    FileNotFoundError: No TFRecord files match '/no/such/*.tfrecord'.
    """

    def __init__(self, paths, image_key=tfrecord.IMAGE_KEY,
                 captions_key=tfrecord.CAPTIONS_KEY):
        patterns = [paths] if isinstance(paths, (str, os.PathLike)) else paths
        files = []
        for pattern in map(str, patterns):
            matched = sorted(tf.io.gfile.glob(pattern))
            if not matched:
                raise FileNotFoundError(
                    f"No TFRecord files match {pattern!r}.")
            files.extend(matched)
        self.files = files
        self.image_key, self.captions_key = image_key, captions_key
        for path in files:
            keys = tfrecord.first_example_keys(path)
            if keys is None:
                continue
            for key in (image_key, captions_key):
                if key not in keys:
                    raise KeyError(f"Feature {key!r} not in the records of "
                                   f"{path}; they have {keys}.")
            break

    def make(self, shard_index=0, num_shards=1, shuffle_files=False, seed=0):
        """The dataset of this shard's examples (by file when possible)."""
        files = self.files
        by_file = num_shards > 1 and len(files) >= num_shards
        if by_file:
            files = files[shard_index::num_shards]
        ds = tf.data.Dataset.from_tensor_slices(files)
        if shuffle_files:
            ds = ds.shuffle(len(files), seed=seed)
        ds = ds.interleave(tf.data.TFRecordDataset,
                           cycle_length=min(len(files), 16),
                           num_parallel_calls=AUTOTUNE, deterministic=True)
        if num_shards > 1 and not by_file:
            ds = ds.shard(num_shards, shard_index)
        return ds.map(lambda r: tfrecord.parse_example(
            r, self.image_key, self.captions_key),
            num_parallel_calls=AUTOTUNE, deterministic=True)


class CaptionFileSource:
    """A CSV (with a header) or JSONL file of (image path, caption) rows.

    Rows naming the same image are grouped into one example with several
    captions; in JSONL the caption value may also be a list. Relative image
    paths are taken from `image_root` (default: the file's folder). Every
    image file must exist when the source is made.

    Args:
        path: the .csv, .jsonl or .json (one object a line) file.
        image_key: the column / field with the image path.
        caption_key: the column / field with the caption(s).
        image_root: folder that relative image paths are relative to.

    Example:

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "pairs.csv"), "w") as f:
    ...     _ = f.write("file,text\\na.jpg,a cat\\n")
    >>> CaptionFileSource(os.path.join(folder, "pairs.csv"))
    Traceback (most recent call last):
      ...
    KeyError: "Column 'image' not in ...pairs.csv; it has ['file', 'text']."
    """

    def __init__(self, path, image_key="image", caption_key="caption",
                 image_root=None):
        path = str(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Caption file not found: {path}")
        root = image_root or os.path.dirname(os.path.abspath(path))
        rows = _read_rows(path)
        captions = {}
        for row in rows:
            for key in (image_key, caption_key):
                if key not in row:
                    raise KeyError(f"Column {key!r} not in {path}; it has "
                                   f"{sorted(row)}.")
            value = row[caption_key]
            value = value if isinstance(value, list) else [value]
            image = os.path.join(root, row[image_key])
            captions.setdefault(image, []).extend(
                str("" if v is None else v).encode("utf-8", "surrogateescape")
                for v in value)
        missing = [p for p in captions if not os.path.isfile(p)]
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} image file(s) listed in {path} not found, "
                f"e.g. {missing[:3]}")
        self.image_paths = list(captions)
        self.captions = list(captions.values())

    def make(self, shard_index=0, num_shards=1, shuffle_files=False, seed=0):
        """The dataset of this shard's examples (images read from disk)."""
        del shuffle_files, seed  # One file: the pipeline shuffles examples.
        paths = tf.constant(self.image_paths or [""], tf.string)
        texts = tf.ragged.constant(self.captions or [[b""]], dtype=tf.string)
        ds = tf.data.Dataset.range(len(self.image_paths))
        ds = ds.shard(num_shards, shard_index)
        return ds.map(lambda i: {"image": tf.io.read_file(paths[i]),
                                 "captions": texts[i]},
                      num_parallel_calls=AUTOTUNE, deterministic=True)


def _read_rows(path):
    # surrogateescape keeps bytes that are not UTF-8, so the pipeline can
    # count (and skip) such captions instead of failing here.
    if path.endswith(".csv"):
        with open(path, newline="", encoding="utf-8",
                  errors="surrogateescape") as f:
            return list(csv.DictReader(f))
    if path.endswith((".jsonl", ".json")):
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return [json.loads(line) for line in f if line.strip()]
    raise ValueError(f"Unsupported caption file {path}: use .csv or .jsonl.")
