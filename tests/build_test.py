"""The Bazel BUILD files list every module and test, and nothing stale.

Each BUILD file is evaluated as Python with recording stubs for the Starlark
rules it uses (Starlark here is a Python subset), so the check reads the same
targets Bazel would.
"""

import pathlib
import re
import unittest

from keras_lip.testing import import_graph

ROOT = pathlib.Path(__file__).resolve().parents[1]
PYTHON_DIRS = ("experiments", "keras_lip", "tests", "tools")
TEST_RULES = {"py_test", "keras_lip_test"}


def _requirements():
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==", line.strip())
        if match:
            names.add(match.group(1).lower().replace("_", "-"))
    return names


def _evaluate(build_file):
    """Returns the targets of one BUILD file as dicts with 'rule' and args."""
    targets = []

    def rule(kind):
        def record(name, **kwargs):
            targets.append(dict(kwargs, rule=kind, name=name))
        return record

    def load(_, *symbols):
        for symbol in symbols:
            if symbol != "requirement":  # Keep the stub that returns a label.
                namespace[symbol] = rule(symbol)

    namespace = {
        "load": load,
        "package": lambda **_: None,
        "exports_files": lambda *_, **__: None,
        "glob": lambda patterns, **_: [],
        "requirement": lambda name: f"@pypi//{name}",
        "filegroup": rule("filegroup"),
    }
    exec(compile(build_file.read_text(), str(build_file), "exec"), namespace)
    return targets


def _resolve(package, label):
    """A label's (package, name); a file label's path relative to ROOT."""
    if label.startswith("//"):
        pkg, _, name = label[2:].partition(":")
        return pkg, name or pkg.rsplit("/", 1)[-1]
    return package, label.lstrip(":")


class BuildFilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.targets = {}  # (package, name) -> target
        for build_file in sorted(ROOT.glob("**/BUILD")):
            if ".venv" in build_file.parts:
                continue
            package = build_file.parent.relative_to(ROOT).as_posix()
            package = "" if package == "." else package
            for target in _evaluate(build_file):
                target["package"] = package
                cls.targets[(package, target["name"])] = target

    def _sources(self, rules=None):
        sources = {}
        for target in self.targets.values():
            if rules and target["rule"] not in rules:
                continue
            for src in target.get("srcs", []):
                pkg, name = _resolve(target["package"], src)
                path = f"{pkg}/{name}" if pkg else name
                sources.setdefault(path, []).append(target["name"])
        return sources

    def test_found_build_files(self):
        self.assertGreater(len(self.targets), 10)

    def test_every_python_file_is_listed(self):
        listed = set(self._sources())
        files = {"conftest.py"}
        for directory in PYTHON_DIRS:
            files |= {p.relative_to(ROOT).as_posix()
                      for p in (ROOT / directory).glob("**/*.py")}
        missing = sorted(files - listed)
        self.assertEqual(missing, [], f"Not in any BUILD target: {missing}")

    def test_every_listed_file_exists(self):
        stale = sorted(p for p in self._sources() if not (ROOT / p).is_file())
        self.assertEqual(stale, [], f"Listed in BUILD but missing: {stale}")

    def test_every_test_file_has_a_test_target(self):
        tested = {p for p, _ in self._sources(TEST_RULES).items()
                  if p.endswith("_test.py")}
        tests = {p.relative_to(ROOT).as_posix()
                 for d in PYTHON_DIRS for p in (ROOT / d).glob("**/*_test.py")}
        self.assertEqual(sorted(tests - tested), [])

    def test_dependencies_resolve(self):
        requirements = _requirements()
        for target in self.targets.values():
            for dep in target.get("deps", []):
                where = f"{target['package']}:{target['name']} -> {dep}"
                if dep.startswith("@pypi//"):
                    self.assertIn(dep[len("@pypi//"):], requirements, where)
                    continue
                self.assertIn(_resolve(target["package"], dep), self.targets,
                              where)

    def _owners(self):
        """`{file: [(package, name) of the non-test targets listing it]}`."""
        owners = {}
        for key, target in self.targets.items():
            if target["rule"] in TEST_RULES:
                continue
            for src in target.get("srcs", []):
                pkg, name = _resolve(target["package"], src)
                owners.setdefault(f"{pkg}/{name}" if pkg else name,
                                  []).append(key)
        return owners

    def _undeclared(self, targets):
        """Imports of keras_lip modules that a target's sources make
        (anywhere in the file) but neither the target itself nor one of
        its direct deps provides."""
        owners = self._owners()
        missing = []
        for key, target in sorted(targets.items()):
            deps = {_resolve(target["package"], d)
                    for d in target.get("deps", []) if not d.startswith("@")}
            deps.add(key)
            for src in target.get("srcs", []):
                pkg, name = _resolve(target["package"], src)
                path = ROOT / pkg / name
                if path.suffix != ".py" or not path.is_file():
                    continue
                for module in sorted(import_graph.imported_modules(path)):
                    file = import_graph.module_file(module)
                    where = file and file.relative_to(ROOT).as_posix()
                    if file and not deps & set(owners.get(where, [])):
                        missing.append(f"//{key[0]}:{key[1]} ({name}) imports "
                                       f"{module}: add one of "
                                       f"{owners.get(where)}")
        return missing

    def test_imports_are_declared(self):
        self.assertEqual(self._undeclared(self.targets), [])

    def test_an_undeclared_import_fails(self):
        key = ("keras_lip/losses", "losses")
        target = dict(self.targets[key], deps=[])
        missing = self._undeclared({key: target})
        self.assertTrue(any("keras_lip.ops" in m for m in missing), missing)

if __name__ == "__main__":
    unittest.main()
