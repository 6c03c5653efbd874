"""Fails loudly, naming the API, if a private Keras/TF API that keras_lip
relies on (keras_lip.compat) is gone from the installed versions."""

import unittest

import keras
import tensorflow as tf

from keras_lip import compat


class CompatTest(unittest.TestCase):
    def test_private_apis_exist(self):
        gone = compat.missing()
        self.assertEqual(
            gone, [], f"Private APIs missing in keras {keras.__version__}, "
            f"tensorflow {tf.__version__} (checked against "
            f"{compat.CHECKED_AGAINST}): {gone}. Update keras_lip/compat.")

    def test_detects_a_missing_api(self):
        apis = compat._apis
        try:
            compat._apis = lambda: {**apis(), "x._gone": (object(), "_gone")}
            self.assertEqual(compat.missing(), ["x._gone"])
        finally:
            compat._apis = apis

    def test_checked_against_the_pinned_versions(self):
        pins = open(compat.__file__.rsplit("/keras_lip/", 1)[0]
                    + "/requirements.txt").read()
        for package, version in compat.CHECKED_AGAINST.items():
            self.assertIn(f"{package}=={version}", pins)


if __name__ == "__main__":
    unittest.main()
