import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_lip.data import image_ops, preprocess, stats
from keras_lip.testing import TestCase
from keras_lip.testing import data_fixtures


class CheckImageBytesTest(TestCase):
    def test_good_images_pass(self):
        for data in (data_fixtures.jpeg_bytes(), data_fixtures.png_bytes(),
                     data_fixtures.png_bytes(channels=4),
                     data_fixtures.jpeg_bytes(channels=1)):
            self.assertEqual(int(image_ops.check_image_bytes(data)), 0)

    @parameterized.named_parameters(
        (name, name) for name in data_fixtures.malformed_images())
    def test_malformed(self, name):
        data, reason = data_fixtures.malformed_images()[name]
        code = int(image_ops.check_image_bytes(data))
        if reason == "undecodable_image":  # Passes the cheap checks ...
            self.assertEqual(code, 0)
            with self.assertRaises(tf.errors.InvalidArgumentError):
                image_ops.decode_rgb(data)  # ... but does not decode.
        else:
            self.assertEqual(stats.REASONS[code], reason)


class DecodeTest(TestCase):
    @parameterized.parameters(1, 3, 4)
    def test_png_channels_to_rgb(self, channels):
        array = data_fixtures.image_array(6, 5, channels)
        image = image_ops.decode_rgb(tf.io.encode_png(array))
        self.assertEqual(image.shape, (6, 5, 3))
        expected = array[..., :3] if channels >= 3 else np.repeat(array, 3, -1)
        self.assertAllClose(image, expected)

    def test_grayscale_jpeg(self):
        image = image_ops.decode_rgb(data_fixtures.jpeg_bytes(channels=1))
        self.assertEqual(image.shape, (24, 32, 3))
        self.assertAllClose(image[..., 0], image[..., 2])


class PreprocessTest(TestCase):
    def test_value_range(self):
        x = tf.constant([0, 1, 127, 255], tf.uint8)
        self.assertAllClose(image_ops.value_range(x),
                            np.array([0, 1, 127, 255]) / 127.5 - 1)

    def test_resize_matches_tf_bilinear_no_antialias(self):
        array = data_fixtures.image_array(40, 30)
        out = image_ops.resize(tf.constant(array), 16)
        expected = tf.image.resize(array, [16, 16], "bilinear",
                                   antialias=False)
        self.assertEqual(out.dtype, tf.uint8)
        self.assertAllClose(out, tf.cast(expected, tf.uint8))

    def test_antialias_changes_downsampling(self):
        pp_off = preprocess.ImagePreprocessing(size=8)
        pp_on = preprocess.ImagePreprocessing(size=8, antialias=True)
        data = data_fixtures.png_bytes(64, 64)
        self.assertGreater(float(tf.reduce_max(tf.abs(
            pp_off(data, False, [0, 0]) - pp_on(data, False, [0, 0])))), 0.01)

    def test_inception_crop_is_deterministic_per_seed(self):
        image = tf.constant(data_fixtures.image_array(60, 80))
        a = image_ops.inception_crop(image, 16, seed=[3, 4])
        b = image_ops.inception_crop(image, 16, seed=[3, 4])
        c = image_ops.inception_crop(image, 16, seed=[5, 6])
        self.assertEqual(a.shape, (16, 16, 3))
        self.assertAllClose(a, b)
        self.assertFalse(np.array_equal(a.numpy(), c.numpy()))

    def test_central_crop_eval(self):
        pp = preprocess.ImagePreprocessing(size=8, eval_crop="central_crop")
        array = np.zeros((20, 40, 3), "uint8")
        array[:, 15:25] = 255  # a bright vertical band in the middle
        image = pp(tf.io.encode_png(array), training=False, seed=[0, 0])
        self.assertEqual(image.shape, (8, 8, 3))
        self.assertAllClose(image[:, 3:5], np.ones((8, 2, 3)))
        self.assertAllClose(image[:, 0], -np.ones((8, 3)))

    def test_flip_flips_for_some_seeds(self):
        pp = preprocess.ImagePreprocessing(size=8, random_flip=True)
        data = data_fixtures.png_bytes(8, 8)
        plain = preprocess.ImagePreprocessing(size=8)(data, True, [0, 0])
        outs = [pp(data, True, [0, s]).numpy() for s in range(8)]
        flipped = [np.array_equal(o, plain.numpy()[:, ::-1]) for o in outs]
        same = [np.array_equal(o, plain.numpy()) for o in outs]
        self.assertTrue(any(flipped) and any(same))
        self.assertTrue(all(f or s for f, s in zip(flipped, same)))

    def test_bad_crop_name(self):
        with self.assertRaisesRegex(ValueError, "train_crop"):
            preprocess.ImagePreprocessing(train_crop="random")
