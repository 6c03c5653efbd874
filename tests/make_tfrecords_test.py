import json
import os
import subprocess
import sys

from keras_lip.data import ImageTextPipeline, TfrecordSource
from keras_lip.data import ImagePreprocessing, TextPreprocessing
from keras_lip.testing import TestCase
from keras_lip.testing import data_fixtures

TOOL = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tools", "make_tfrecords.py")


class MakeTfrecordsTest(TestCase):
    def test_jsonl_to_shards_to_pipeline(self):
        folder = self.get_temp_dir()
        images = os.path.join(folder, "images")
        os.makedirs(images)
        with open(os.path.join(folder, "pairs.jsonl"), "w") as f:
            for i in range(5):
                name = f"{i}.{'jpg' if i % 2 else 'png'}"
                data = (data_fixtures.jpeg_bytes(seed=i) if i % 2
                        else data_fixtures.png_bytes(seed=i))
                with open(os.path.join(images, name), "wb") as img:
                    img.write(data)
                f.write(json.dumps({"file": name,
                                    "text": data_fixtures.captions_for(i)})
                        + "\n")
        prefix = os.path.join(folder, "out", "train")
        proc = subprocess.run(
            [sys.executable, TOOL, f"--images_dir={images}",
             f"--captions={folder}/pairs.jsonl", f"--output_prefix={prefix}",
             "--num_shards=2", "--image_key=file", "--caption_key=text"],
            capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("wrote 5 records to 2 shard(s)", proc.stdout)
        spm = data_fixtures.train_sentencepiece(folder)
        pipeline = ImageTextPipeline(
            TfrecordSource(prefix + "-*"), spm, batch_size=5, training=False,
            image=ImagePreprocessing(size=8), text=TextPreprocessing(8))
        batch = next(iter(pipeline.dataset()))
        self.assertEqual(batch["token_ids"].shape, (5, 2, 8))
        self.assertEqual(pipeline.stats.total(), 0)

    def test_missing_image_is_an_error(self):
        folder = self.get_temp_dir()
        with open(os.path.join(folder, "pairs.csv"), "w") as f:
            f.write("image,caption\nghost.jpg,a ghost\n")
        proc = subprocess.run(
            [sys.executable, TOOL, f"--images_dir={folder}",
             f"--captions={folder}/pairs.csv",
             f"--output_prefix={folder}/out"],
            capture_output=True, text=True, timeout=300)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("ghost.jpg", proc.stderr)
        self.assertFalse(os.path.exists(f"{folder}/out-00000-of-00001.tfrecord"))
