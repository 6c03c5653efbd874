"""Precomputed image features next to their captions (LiT's locked tower).

With the image tower locked and no image augmentation, its output is the
same every epoch; `write_feature_cache` computes it once per image and
writes TFRecord shards that `FeaturePipeline` reads instead of images.

Schema (one `tf.train.Example` per image, `keras_lip.data.tfrecord`'s
layout with the image bytes replaced):

| key | type | content |
|---|---|---|
| `image_features` | bytes ×1 | the float32 features, little-endian, row-major; empty for an image that could not be decoded (kept in place, skipped when read) |
| `captions` | bytes ×N | the image's captions, as the source gave them |
| `index` | int64 ×1 | the example's position in its source shard |

`{prefix}.json` records the feature shape, the number of shards, a
fingerprint of the tower and, per finished shard, its counts. Shards are
written to a temporary name and renamed when complete, so an interrupted
run resumes at the first unfinished shard; a cache made by another tower,
shape or sharding is never overwritten (an error names the file).
"""

import json
import os
import time

import numpy as np
import tensorflow as tf

from keras_lip.data import image_ops, tfrecord

FEATURES_KEY = "image_features"
INDEX_KEY = "index"


def make_feature_example(features, captions, index):
    """A serialised record of one image's features and captions."""
    captions = [c.encode("utf-8") if isinstance(c, str) else bytes(c)
                for c in captions]
    data = np.ascontiguousarray(features, dtype="<f4").tobytes()
    feature = {
        FEATURES_KEY: tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[data])),
        tfrecord.CAPTIONS_KEY: tf.train.Feature(
            bytes_list=tf.train.BytesList(value=captions)),
        INDEX_KEY: tf.train.Feature(
            int64_list=tf.train.Int64List(value=[int(index)])),
    }
    return tf.train.Example(
        features=tf.train.Features(feature=feature)).SerializeToString()


def decode_features(data, shape):
    """Bytes of `make_feature_example` → float32 `shape` (in graph)."""
    return tf.reshape(tf.io.decode_raw(data, tf.float32, little_endian=True),
                      shape)


def metadata_path(prefix):
    return f"{prefix}.json"


def read_metadata(prefix):
    """The cache's metadata dict, or None when there is none."""
    path = metadata_path(prefix)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)


def _write_json(path, value):
    tmp = path + ".partial"
    with tf.io.gfile.GFile(tmp, "w") as f:
        json.dump(value, f, indent=1, sort_keys=True)
    tf.io.gfile.rename(tmp, path, overwrite=True)


def _check_same(meta, want, prefix):
    for key in ("feature_shape", "num_shards", "fingerprint", "image_size"):
        if meta.get(key) != want[key]:
            raise ValueError(
                f"{metadata_path(prefix)} describes another cache ({key}: "
                f"{meta.get(key)!r}, this run: {want[key]!r}); nothing was "
                "overwritten. Use another output prefix (or remove that "
                "cache yourself).")


def write_feature_cache(source, features_fn, prefix, *, image, feature_shape,
                        num_shards=None, batch_size=256, fingerprint="",
                        print_fn=print, progress_seconds=10.0):
    """Computes `features_fn` over every image of `source` into shards.

    Args:
        source: a `keras_lip.data` source (`make(i, n)` of `{"image",
            "captions"}`). A `TfrecordSource` gives one output shard per
            input file (same order, so `FeaturePipeline` over the cache
            sees the examples in the order `ImageTextPipeline` sees them).
        features_fn: numpy/tensor images `[b, size, size, 3]` in [-1, 1] →
            float32 `[b, *feature_shape]` (e.g. a compiled
            `LiT.image_features`); called with `batch_size` rows (the last
            batch padded).
        prefix: output path prefix: shards `{prefix}-00000-of-0000N.tfrecord`
            and `{prefix}.json`.
        image: `ImagePreprocessing` (evaluation mode: no augmentation).
        feature_shape: the shape of one example's features.
        num_shards: output shards (default: the source's files, else 1).
        batch_size: images per `features_fn` call.
        fingerprint: a string identifying the tower (its weights); a cache
            with another fingerprint is not resumed.
        print_fn: progress lines (None: quiet).
        progress_seconds: seconds between progress lines within a shard.

    Returns:
        The metadata dict (also written to `{prefix}.json`).

    Example:

    >>> import os, tempfile, numpy as np, tensorflow as tf
    >>> from keras_lip.data import ImagePreprocessing, TfrecordSource, tfrecord
    >>> folder = tempfile.mkdtemp()
    >>> png = tf.io.encode_png(np.zeros((4, 4, 3), "uint8")).numpy()
    >>> _ = tfrecord.write_shards([(png, ["a"]), (png, ["b"])],
    ...                           os.path.join(folder, "img"))
    >>> meta = write_feature_cache(
    ...     TfrecordSource(os.path.join(folder, "img*")),
    ...     lambda x: np.asarray(x).mean(axis=(1, 2)), os.path.join(folder, "f"),
    ...     image=ImagePreprocessing(size=2), feature_shape=(3,),
    ...     print_fn=None)
    >>> meta["shards"]["0"]["examples"], meta["feature_shape"]
    (2, [3])
    """
    if num_shards is None:
        num_shards = len(getattr(source, "files", [None]))
    folder = os.path.dirname(str(prefix))
    if folder:
        tf.io.gfile.makedirs(folder)
    shapes = [num_shards, list(feature_shape)]
    want = {"feature_shape": shapes[1], "num_shards": num_shards,
            "fingerprint": fingerprint, "image_size": image.size,
            "dtype": "float32", "shards": {}}
    meta = read_metadata(prefix)
    if meta is None:
        meta = want
        _write_json(metadata_path(prefix), meta)
    else:
        _check_same(meta, want, prefix)
    paths = tfrecord.shard_paths(prefix, num_shards)
    start = time.time()
    for i, path in enumerate(paths):
        if str(i) in meta["shards"] and tf.io.gfile.exists(path):
            if print_fn:
                print_fn(f"shard {i + 1}/{num_shards}: done before, kept "
                         f"({meta['shards'][str(i)]['examples']} images)")
            continue
        counts = _write_shard(source.make(i, num_shards), features_fn, path,
                              image, tuple(feature_shape), batch_size,
                              print_fn, progress_seconds,
                              f"shard {i + 1}/{num_shards}")
        meta["shards"][str(i)] = counts
        _write_json(metadata_path(prefix), meta)
    if print_fn:
        total = sum(s["examples"] for s in meta["shards"].values())
        skipped = sum(s["skipped"] for s in meta["shards"].values())
        print_fn(f"feature cache complete: {total} images in {num_shards} "
                 f"shard(s), {skipped} skipped (undecodable), "
                 f"{time.time() - start:.1f} s this run: {prefix}-*")
    return meta


def _write_shard(examples, features_fn, path, image, feature_shape,
                 batch_size, print_fn, progress_seconds, name):
    zero_seed = tf.zeros([2], tf.int64)
    empty = tf.zeros([image.size, image.size, 3])

    def decode(index, ex):
        # The image pipeline's cheap checks first: what it would skip is
        # skipped here too (a decode failure drops the element: a gap).
        ok = tf.equal(image_ops.check_image_bytes(ex["image"]), 0)
        pixels = tf.cond(ok, lambda: image(ex["image"], False, zero_seed),
                         lambda: empty)
        return {"images": pixels, "captions": ex["captions"], "index": index,
                "ok": ok}

    ds = examples.enumerate().map(decode, num_parallel_calls=tf.data.AUTOTUNE,
                                  deterministic=True).ignore_errors()
    ds = ds.padded_batch(batch_size, padding_values={
        "images": 0.0, "captions": b"", "index": tf.constant(-1, tf.int64),
        "ok": False})
    tmp = path + ".partial"
    written, skipped, started, shown = 0, 0, time.time(), time.time()
    with tf.io.TFRecordWriter(tmp) as writer:

        def placeholders(upto):
            # Skipped images keep their place (no features), so a
            # FeaturePipeline shuffles exactly as ImageTextPipeline does and
            # skips them where it would.
            nonlocal written, skipped
            while written < upto:
                writer.write(make_feature_example(
                    np.zeros((0,), np.float32), [], written))
                written += 1
                skipped += 1

        for batch in ds.prefetch(2):
            rows = int(tf.shape(batch["images"])[0])
            images = batch["images"].numpy()
            if rows < batch_size:
                images = np.concatenate([images, np.zeros(
                    (batch_size - rows, *images.shape[1:]), images.dtype)])
            feats = np.asarray(features_fn(images), np.float32)[:rows]
            if feats.shape[1:] != feature_shape:
                raise ValueError(f"features_fn gave [b, {feats.shape[1:]}], "
                                 f"expected {feature_shape}.")
            for row in range(rows):
                placeholders(int(batch["index"][row]))
                if not bool(batch["ok"][row]):
                    placeholders(written + 1)
                    continue
                captions = [c for c in batch["captions"][row].numpy()]
                while len(captions) > 1 and captions[-1] == b"":
                    captions.pop()  # padded_batch's fill, not the source's.
                writer.write(make_feature_example(feats[row], captions,
                                                  written))
                written += 1
            if print_fn and time.time() - shown > progress_seconds:
                shown = time.time()
                print_fn(f"{name}: {written} images, "
                         f"{written / (shown - started):.1f} images/s")
        # Undecodable images at the end of the shard (bytes only: cheap).
        placeholders(int(examples.reduce(tf.constant(0, tf.int64),
                                         lambda n, _: n + 1)))
    tf.io.gfile.rename(tmp, path, overwrite=True)
    counts = {"examples": written - skipped, "skipped": skipped,
              "seconds": round(time.time() - started, 2)}
    if print_fn:
        print_fn(f"{name}: {counts['examples']} images ({skipped} skipped) "
                 f"in {counts['seconds']} s -> {path}")
    return counts
