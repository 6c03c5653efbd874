"""Class names from a list, a file and a TFDS dataset's label names."""

import os

from keras_lip.evaluation.class_names import load_class_names
from keras_lip.testing import TestCase

_NAMES = ["red circle", "blue square", "green_triangle"]
_BUILDER = []


def _labelled_builder():
    if _BUILDER:
        return _BUILDER[0]
    import tensorflow_datasets as tfds

    class KerasLipTinyLabels(tfds.core.GeneratorBasedBuilder):
        """Three labelled 4×4 images."""

        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            return self.dataset_info_from_configs(
                features=tfds.features.FeaturesDict({
                    "image": tfds.features.Image(shape=(4, 4, 3)),
                    "label": tfds.features.ClassLabel(names=_NAMES)}))

        def _split_generators(self, dl_manager):
            del dl_manager
            return {"test": self._generate_examples()}

        def _generate_examples(self):
            import numpy as np

            for i in range(3):
                yield i, {"image": np.zeros((4, 4, 3), np.uint8), "label": i}

    _BUILDER.append(KerasLipTinyLabels)
    return KerasLipTinyLabels


class ClassNamesTest(TestCase):
    def test_list(self):
        self.assertEqual(load_class_names(("a", 1)), ["a", "1"])

    def test_file(self):
        path = os.path.join(self.get_temp_dir(), "names.txt")
        with open(path, "w") as f:
            f.write("red circle\n\n blue square \n")
        self.assertEqual(load_class_names(path), ["red circle", "blue square"])
        with self.assertRaisesRegex(FileNotFoundError, "nope.txt"):
            load_class_names("/no/nope.txt")

    def test_tfds_label_names(self):
        data_dir = self.get_temp_dir()
        builder = _labelled_builder()(data_dir=data_dir)
        builder.download_and_prepare()
        self.assertEqual(
            load_class_names(f"tfds:{builder.name}", data_dir=data_dir),
            _NAMES)
        with self.assertRaisesRegex(ValueError, "not a ClassLabel"):
            load_class_names(f"tfds:{builder.name}", data_dir=data_dir,
                             label_key="image")


class ImagenetNamesTest(TestCase):
    def test_imagenet_gives_clip_prompt_names_not_wordnet_ids(self):
        import json

        from keras_lip.evaluation.prompts import canonicalize_text
        from keras_lip.testing import golden_dir

        names = load_class_names("tfds:imagenet2012")
        self.assertEqual(len(names), 1000)
        self.assertEqual(names[:2], ["tench", "goldfish"])
        self.assertFalse(any(n.startswith("n0") for n in names))
        with open(golden_dir("zero_shot", "zero_shot.json")) as f:
            golden = json.load(f)["imagenet2012_clip_class_names"]
        self.assertEqual(
            [canonicalize_text(n, keep_punctuation_exact_string=",")
             for n in names], golden["canonicalized"])
