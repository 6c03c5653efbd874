"""Shared test helpers (after keras-hub's `src/tests/test_case.py`)."""

import json
import os
import pathlib
import shutil
import tempfile

import keras
import numpy as np
from absl.testing import parameterized
from keras import ops
from keras import tree

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def golden_dir(*parts):
    """A folder of big_vision's golden vectors, vendored in the repository.

    `tests/testdata/golden/` holds a copy of `shared/golden/public/` (with its
    README.json provenance), so the tests need nothing outside the clone.
    `$KERAS_LIP_GOLDEN` may point at another copy (e.g. a newer set).
    """
    root = pathlib.Path(os.environ.get("KERAS_LIP_GOLDEN")
                        or REPO_ROOT / "tests" / "testdata" / "golden")
    path = root.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"Golden data {path} is missing (set KERAS_LIP_GOLDEN to a copy "
            "of big_vision's public goldens).")
    return path


def to_numpy(x):
    return tree.map_structure(
        lambda v: v if v is None else np.asarray(ops.convert_to_numpy(v)), x
    )


def value_and_grad(fn, *args):
    """`(fn(*args), d fn / d args)` on the current backend."""
    backend = keras.config.backend()
    if backend == "jax":
        import jax

        value, grads = jax.value_and_grad(fn, argnums=range(len(args)))(*args)
        return value, list(grads)
    if backend == "tensorflow":
        import tensorflow as tf

        args = [tf.convert_to_tensor(a) for a in args]
        with tf.GradientTape() as tape:
            tape.watch(args)
            value = fn(*args)
        return value, tape.gradient(value, args)
    raise NotImplementedError(f"value_and_grad on backend {backend}")


class TestCase(parameterized.TestCase):
    """Base class for keras_lip tests: numpy comparisons and save round-trips."""

    def get_temp_dir(self):
        path = tempfile.mkdtemp(prefix="keras_lip_test_")
        self.addCleanup(shutil.rmtree, path, ignore_errors=True)
        return path

    def assertAllClose(self, actual, expected, atol=1e-6, rtol=1e-6, msg=None):
        actual, expected = to_numpy(actual), to_numpy(expected)
        tree.map_structure(
            lambda a, e: np.testing.assert_allclose(
                a, e, atol=atol, rtol=rtol, err_msg=msg or ""),
            actual, expected)

    def assertGradientClose(self, actual, expected, name="", rtol=0.0,
                            atol=1e-5):
        """Gradients within `atol` scaled by max|expected| (+ `rtol`): the
        tolerance big_vision's golden files suggest."""
        expected = np.asarray(expected)
        scale = max(float(np.max(np.abs(expected))), 1e-12)
        np.testing.assert_allclose(
            np.reshape(to_numpy(actual), expected.shape), expected,
            rtol=rtol, atol=atol * scale, err_msg=name)

    def run_serialization_test(self, instance):
        """get_config/from_config and serialize/deserialize are idempotent."""
        config = instance.get_config()
        config_json = json.dumps(config, sort_keys=True)
        revived = type(instance).from_config(config)
        self.assertEqual(config_json,
                         json.dumps(revived.get_config(), sort_keys=True))
        serialized = json.dumps(keras.saving.serialize_keras_object(instance))
        revived = keras.saving.deserialize_keras_object(json.loads(serialized))
        self.assertIsInstance(revived, type(instance))
        self.assertEqual(config_json,
                         json.dumps(revived.get_config(), sort_keys=True))
        return revived

    def run_model_saving_test(self, model, input_data, atol=1e-6, rtol=1e-6):
        """`.keras` save → load gives the same class and the same outputs."""
        expected = model(input_data)
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)
        restored = keras.models.load_model(path)
        self.assertIsInstance(restored, type(model))
        self.assertAllClose(restored(input_data), expected, atol=atol,
                            rtol=rtol)
        return restored
