import json
import os


from keras_lip.data import sources, tfrecord
from keras_lip.testing import TestCase
from keras_lip.testing import data_fixtures


def _collect(ds):
    return [(ex["image"].numpy(), ex["captions"].numpy().tolist())
            for ex in ds]


class TfrecordSourceTest(TestCase):
    def _write(self, n=6, shards=3, **keys):
        prefix = os.path.join(self.get_temp_dir(), "pairs")
        pairs = [(data_fixtures.jpeg_bytes(seed=i),
                  data_fixtures.captions_for(i, 1 + i % 3)) for i in range(n)]
        tfrecord.write_shards(pairs, prefix, shards, **keys)
        return prefix, pairs

    def test_round_trip_and_sharding(self):
        prefix, pairs = self._write()
        source = sources.TfrecordSource(prefix + "-*")
        everything = _collect(source.make())
        expected = [(img, [c.encode() for c in caps]) for img, caps in pairs]
        self.assertCountEqual(everything, expected)
        # By file (3 files over 3 shards) and by record (3 files over 4).
        for count in (3, 4):
            parts = [_collect(source.make(i, count)) for i in range(count)]
            self.assertCountEqual(sum(parts, []), expected)
            self.assertTrue(all(parts))

    def test_custom_keys_and_wrong_key(self):
        prefix, _ = self._write(image_key="jpg", captions_key="texts")
        source = sources.TfrecordSource(prefix + "-*", image_key="jpg",
                                        captions_key="texts")
        self.assertLen(_collect(source.make()), 6)
        with self.assertRaisesRegex(KeyError, "'txt'.*'jpg', 'texts'"):
            sources.TfrecordSource(prefix + "-*", image_key="jpg",
                                   captions_key="txt")

    def test_missing_files(self):
        missing = os.path.join(self.get_temp_dir(), "none-*.tfrecord")
        with self.assertRaisesRegex(FileNotFoundError, "none-"):
            sources.TfrecordSource(missing)


class CaptionFileSourceTest(TestCase):
    def _images(self, folder, n=3):
        for i in range(n):
            with open(os.path.join(folder, f"{i}.jpg"), "wb") as f:
                f.write(data_fixtures.jpeg_bytes(seed=i))

    def test_csv_groups_captions(self):
        folder = self.get_temp_dir()
        self._images(folder)
        path = os.path.join(folder, "pairs.csv")
        with open(path, "w") as f:
            f.write('image,caption\n0.jpg,a dog\n1.jpg,"a cat, small"\n'
                    "0.jpg,the dog\n")
        got = dict((img, caps) for img, caps in
                   _collect(sources.CaptionFileSource(path).make()))
        self.assertEqual(got[data_fixtures.jpeg_bytes(seed=0)],
                         [b"a dog", b"the dog"])
        self.assertEqual(got[data_fixtures.jpeg_bytes(seed=1)],
                         [b"a cat, small"])

    def test_jsonl_with_lists_and_root(self):
        folder = self.get_temp_dir()
        self._images(folder)
        path = os.path.join(self.get_temp_dir(), "pairs.jsonl")
        with open(path, "w") as f:
            f.write(json.dumps({"file": "2.jpg", "texts": ["x", "y"]}) + "\n")
        source = sources.CaptionFileSource(path, image_key="file",
                                           caption_key="texts",
                                           image_root=folder)
        self.assertEqual(_collect(source.make()),
                         [(data_fixtures.jpeg_bytes(seed=2), [b"x", b"y"])])

    def test_missing_image_and_key(self):
        folder = self.get_temp_dir()
        self._images(folder, 1)
        path = os.path.join(folder, "pairs.csv")
        with open(path, "w") as f:
            f.write("image,caption\n0.jpg,a\nmissing.jpg,b\n")
        with self.assertRaisesRegex(FileNotFoundError, "missing.jpg"):
            sources.CaptionFileSource(path)
        with self.assertRaisesRegex(KeyError, "'text'"):
            sources.CaptionFileSource(path, caption_key="text")
        with self.assertRaisesRegex(FileNotFoundError, "nope.csv"):
            sources.CaptionFileSource(os.path.join(folder, "nope.csv"))


class TfdsSourceTest(TestCase):
    def test_nested_caption_key_and_sharding(self):
        data_dir = self.get_temp_dir()
        name = data_fixtures.prepare_tiny_tfds(data_dir)
        source = sources.TfdsSource(name, split="train", data_dir=data_dir,
                                    captions_key="captions/text")
        examples = _collect(source.make())
        self.assertLen(examples, 6)
        image, captions = examples[0]
        self.assertEqual(image[:8], b"\x89PNG\r\n\x1a\n")  # still encoded
        self.assertLen(captions, 2)
        halves = [_collect(source.make(i, 2)) for i in range(2)]
        self.assertEqual([len(h) for h in halves], [3, 3])
        self.assertCountEqual(sum(halves, []), examples)

    def test_wrong_keys_and_unprepared(self):
        data_dir = self.get_temp_dir()
        name = data_fixtures.prepare_tiny_tfds(data_dir)
        with self.assertRaisesRegex(KeyError, "'texts'.*'text'"):
            sources.TfdsSource(name, data_dir=data_dir,
                               captions_key="captions/texts")
        with self.assertRaisesRegex(KeyError, "'img'"):
            sources.TfdsSource(name, data_dir=data_dir, image_key="img")
        with self.assertRaisesRegex(FileNotFoundError, "not prepared"):
            sources.TfdsSource(name, data_dir=self.get_temp_dir())
