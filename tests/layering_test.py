"""The package structure README's "Layout" section shows, checked against
the code: library packages import only the packages below them (module
level and inside functions alike), nothing imports the trainer
application or the test helpers, and there is no import cycle."""

import unittest

from keras_lip.testing import import_graph

LIBRARY = {"compat", "ops", "distribution", "layers", "losses", "optimizers",
           "models", "data", "evaluation", "export"}
# package -> the keras_lip packages it may import (README "Layout").
ALLOWED = {
    "": {"version"},                  # keras_lip/__init__.py
    "version": set(),
    "compat": set(),
    "ops": set(),
    "distribution": {"ops", "compat"},
    "layers": {"ops", "compat"},
    "losses": {"ops", "distribution"},
    "optimizers": {"distribution", "compat"},
    "models": {"layers", "losses", "optimizers", "ops", "distribution",
               "compat"},
    "data": {"distribution", "ops"},
    "evaluation": {"data", "layers", "ops"},
    "export": {"models", "optimizers", "ops"},  # __main__ loads .keras
    "trainer": LIBRARY,
    "train": {"trainer", "distribution"},  # python -m keras_lip.train
    "testing": LIBRARY | {"trainer"},
}


class LayeringTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.graph = import_graph.package_graph()

    def test_every_package_has_a_rule(self):
        self.assertEqual(sorted(set(self.graph) - set(ALLOWED)), [],
                         "add new packages to ALLOWED and README's Layout")

    def test_imports_follow_the_layers(self):
        wrong = []
        for package, edges in sorted(self.graph.items()):
            for target, files in sorted(edges.items()):
                if target not in ALLOWED.get(package, set()):
                    wrong.append(f"{package} -> {target} ({files[0]})")
        self.assertEqual(wrong, [])

    def test_no_import_cycles(self):
        self.assertIsNone(import_graph.find_cycle(self.graph))

    def test_the_checker_sees_function_level_imports_and_cycles(self):
        graph = {"a": {"b": ["a.py"]}, "b": {"a": ["b.py"]}}
        self.assertEqual(import_graph.find_cycle(graph), ["a", "b", "a"])
        modules = import_graph.imported_modules(
            import_graph.ROOT / "keras_lip" / "distribution" / "__init__.py")
        self.assertIn("keras_lip.distribution.tf_replicas", modules)


if __name__ == "__main__":
    unittest.main()
