"""NaFlex preprocessing against big_vision's pp intermediates."""

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_lip import data
from keras_lip.data import image_ops
from keras_lip.data import naflex_ops
from keras_lip.testing import TestCase
from keras_lip.testing import golden_dir

IO = dict(np.load(golden_dir("flexi", "naflex", "io.npz")))
RAW = [IO[f"pp/raw/{i}"] for i in range(4)]
KEYS = ("patches", "ptype", "yidx", "xidx")


def _pp(image):
    return data.naflex_patches(image_ops.value_range(image), 8, 64)


class NaFlexOpsTest(TestCase):
    def test_resized_images_match_big_vision(self):
        for i, raw in enumerate(RAW):
            hw = naflex_ops.sequence_target_size(tf.shape(raw)[:2], 8, 64)
            self.assertEqual(hw.numpy().tolist(),
                             IO["pp/target_hw"][i].tolist())
            resized = data.resize_to_sequence(image_ops.value_range(raw), 8, 64)
            self.assertAllClose(resized, IO[f"pp/resized/{i}"], atol=1e-5,
                                rtol=0)

    def test_eager_matches_big_vision(self):
        for i, raw in enumerate(RAW):
            for key, value in zip(KEYS, _pp(raw)):
                self.assertAllClose(value, IO[key][i], atol=1e-5, rtol=0,
                                    msg=key)

    def test_dataset_map_matches_big_vision(self):
        ds = tf.data.Dataset.from_generator(
            lambda: iter(RAW),
            output_signature=tf.TensorSpec([None, None, 3], tf.uint8))
        batch = next(iter(ds.map(_pp).batch(4)))
        for key, value in zip(KEYS, batch):
            self.assertEqual(tuple(value.shape), IO[key].shape)
            self.assertEqual(value.dtype.name, IO[key].dtype.name)
            self.assertAllClose(value, IO[key], atol=1e-5, rtol=0, msg=key)

    @parameterized.parameters((1, 1), (3, 500), (480, 640), (1000, 17),
                              (256, 256), (31, 33))
    def test_fits_the_sequence(self, h, w):
        for patch, tokens in ((16, 256), (14, 196), (8, 64)):
            target = naflex_ops.sequence_target_size([h, w], patch, tokens)
            th, tw = target.numpy().tolist()
            self.assertEqual((th % patch, tw % patch), (0, 0))
            self.assertLessEqual((th // patch) * (tw // patch), tokens)
            # One scale r explains both sides: side = patch * ceil(hw * r /
            # patch), at least one patch (the aspect ratio is kept up to
            # rounding to whole patches).
            low = max((th - patch) / h if th > patch else 0.0,
                      (tw - patch) / w if tw > patch else 0.0)
            self.assertLess(low, min(th / h, tw / w))

    def test_patchify_order_and_coordinates(self):
        image = np.arange(2 * 8 * 6 * 3, dtype="float32").reshape(16, 6, 3)
        out = data.patchify(image, (8, 3))
        expected = image.reshape(2, 8, 2, 3, 3).transpose(0, 2, 1, 3, 4)
        self.assertAllClose(out["patches"], expected.reshape(4, 72), atol=0)
        self.assertEqual(out["yidx"].numpy().tolist(), [0, 0, 1, 1])
        self.assertEqual(out["xidx"].numpy().tolist(), [0, 1, 0, 1])
        self.assertEqual(out["type"].numpy().tolist(), [1, 1, 1, 1])

    def test_padding(self):
        patches, ptype, yidx, xidx = _pp(RAW[0])
        valid = int(tf.reduce_sum(ptype))
        self.assertEqual(valid, 52)
        self.assertAllClose(patches[valid:], np.zeros((12, 192)), atol=0)
        self.assertEqual(yidx[valid:].numpy().tolist(), [0] * 12)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "patch_size"):
            data.naflex_patches(tf.zeros([8, 8, 3]), 0, 4)
        with self.assertRaisesRegex(ValueError, "max_sequence_len"):
            data.resize_to_sequence(tf.zeros([8, 8, 3]), 4, 0)
        fn = tf.function(lambda x: data.naflex_patches(x, 4, 4),
                         input_signature=[tf.TensorSpec([None, None, None])])
        with self.assertRaisesRegex(ValueError, "static channel count"):
            fn.get_concrete_function()
