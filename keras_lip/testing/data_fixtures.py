"""Small real data for input-pipeline tests: images, malformed bytes, a
SentencePiece model trained on the spot, a local TFDS dataset."""

import functools
import os
import tempfile

import numpy as np
import tensorflow as tf

WORDS = ("a dog cat bird runs sits on the grass red blue green small big "
         "photo of two people street car tree house with near under").split()


def image_array(height=24, width=32, channels=3, seed=0):
    """A smooth uint8 image (JPEG-friendly) with some noise."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = [(x * (3 + c) + y * (5 + 2 * c) + 40 * c) % 256
            for c in range(channels)]
    image = np.stack(base, -1) + rng.randint(0, 16, (height, width, channels))
    return np.clip(image, 0, 255).astype("uint8")


def jpeg_bytes(height=24, width=32, channels=3, seed=0):
    return tf.io.encode_jpeg(image_array(height, width, channels,
                                         seed)).numpy()


def png_bytes(height=24, width=32, channels=3, seed=0):
    return tf.io.encode_png(image_array(height, width, channels, seed)).numpy()


def malformed_images():
    """`{name: (bytes, expected reason)}` of real broken image files."""
    jpeg, png = jpeg_bytes(seed=1), png_bytes(seed=2)
    bad_header = bytearray(jpeg)
    bad_header[20:40] = b"\xff" * 20  # complete file, broken markers
    bad_png = bytearray(png)
    bad_png[40:60] = b"\x00" * 20  # complete file, broken data and CRC
    return {
        "zero_bytes": (b"", "empty_image"),
        "text_file": (b"this is not an image\n", "unsupported_format"),
        "tiff": (b"II*\x00" + b"\x00" * 64, "unsupported_format"),
        "truncated_jpeg": (jpeg[:len(jpeg) // 2], "truncated_image"),
        "truncated_png": (png[:len(png) // 2], "truncated_image"),
        "corrupt_jpeg": (bytes(bad_header), "undecodable_image"),
        "corrupt_png": (bytes(bad_png), "undecodable_image"),
    }


def captions_for(i, n=2):
    rng = np.random.RandomState(i)
    return [" ".join(rng.choice(WORDS, 4 + (i + k) % 5)) for k in range(n)]


def train_sentencepiece(folder, vocab_size=40):
    """Trains a tiny unigram model (pad 0, eos 1, unk 2 as big_vision's
    c4_en); returns the `.model` path."""
    import sentencepiece as spm

    lines = [c for i in range(200) for c in captions_for(i)]
    prefix = os.path.join(folder, "tiny_spm")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_prefix=prefix,
        vocab_size=vocab_size, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        model_type="unigram", hard_vocab_limit=False, minloglevel=2)
    return prefix + ".model"


@functools.lru_cache(maxsize=None)
def shared_sentencepiece():
    """`train_sentencepiece` once per process, in a temporary folder."""
    return train_sentencepiece(tempfile.mkdtemp(prefix="keras_lip_spm_"))


def prepare_tiny_tfds(data_dir):
    """Builds `keras_lip_tiny_captions` (coco_captions-like layout:
    `image`, `captions/text`) in `data_dir`; returns its name."""
    builder = _tiny_builder_class()(data_dir=data_dir)
    builder.download_and_prepare()
    return builder.name


_BUILDER = []


def _tiny_builder_class():
    if _BUILDER:
        return _BUILDER[0]
    import tensorflow_datasets as tfds

    class KerasLipTinyCaptions(tfds.core.GeneratorBasedBuilder):
        """Six images with two captions each, for tests."""

        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            return self.dataset_info_from_configs(
                features=tfds.features.FeaturesDict({
                    "image": tfds.features.Image(shape=(None, None, 3)),
                    "captions": tfds.features.Sequence(
                        {"text": tfds.features.Text()}),
                }))

        def _split_generators(self, dl_manager):
            del dl_manager
            return {"train": self._generate_examples(6),
                    "val": self._generate_examples(2)}

        def _generate_examples(self, n):
            for i in range(n):
                yield i, {"image": image_array(16, 20, seed=i),
                          "captions": [{"text": c} for c in captions_for(i)]}

    _BUILDER.append(KerasLipTinyCaptions)
    return KerasLipTinyCaptions


def tfrecord_module():
    from keras_lip.data import tfrecord

    return tfrecord


def write_mixed_tfrecords(prefix, num_shards=1):
    """Good pairs mixed with every kind of bad input; returns
    `(paths, expected skip counts by reason, number of good examples)`.

    The last record is a corrupt PNG (a decode failure at the very end)."""
    good = [(jpeg_bytes(seed=i) if i % 2 else png_bytes(seed=i),
             captions_for(i)) for i in range(8)]
    good.append((jpeg_bytes(channels=1, seed=9), [b"\xff bad", "a dog"]))
    good.append((png_bytes(channels=4, seed=10), ["a cat with alpha"]))
    bad_images = [(data, ["a dog"]) for data, _ in malformed_images().values()]
    bad_captions = [(jpeg_bytes(seed=20), [""]), (jpeg_bytes(seed=21), ["  "]),
                    (jpeg_bytes(seed=22), []),
                    (jpeg_bytes(seed=23), [b"caf\xe9 latin-1"])]
    pairs = []
    for i in range(max(len(good), len(bad_images), len(bad_captions))):
        for group in (good, bad_images, bad_captions):
            if i < len(group):
                pairs.append(group[i])
    corrupt_png = malformed_images()["corrupt_png"][0]
    pairs.remove((corrupt_png, ["a dog"]))
    pairs.append((corrupt_png, ["a dog"]))
    expected = {"empty_image": 1, "unsupported_format": 2,
                "truncated_image": 2, "undecodable_image": 2,
                "empty_caption": 3, "invalid_utf8_caption": 1}
    paths = tfrecord_module().write_shards(pairs, prefix, num_shards)
    return paths, expected, len(good)
