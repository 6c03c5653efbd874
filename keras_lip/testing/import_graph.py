"""keras_lip's own import graph, read from the source (module level AND
inside functions), for the layering and BUILD tests."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def imported_modules(path):
    """Every `keras_lip...` module a Python file imports, anywhere in it.

    `from keras_lip.x import y` counts as `keras_lip.x.y` when that is a
    module (file or package), else as `keras_lip.x`.
    """
    tree = ast.parse(pathlib.Path(path).read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 \
                and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [n if module_file(n) else node.module for n in names]
        else:
            continue
        found.update(n for n in names
                     if n == "keras_lip" or n.startswith("keras_lip."))
    return found


def module_file(module):
    """The file defining `module` (`keras_lip.a.b`), or None."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def package_of(module):
    """`keras_lip.models.siglip` → "models"; top-level modules keep their
    name ("train", "version"); `keras_lip` itself → ""."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def library_files():
    """Non-test Python files of the keras_lip package."""
    return sorted(p for p in (ROOT / "keras_lip").rglob("*.py")
                  if not p.name.endswith("_test.py"))


def package_graph():
    """`{package: {imported package: [importing file, ...]}}` between
    keras_lip's packages (imports within a package left out)."""
    graph = {}
    for path in library_files():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        source = package_of(module)
        edges = graph.setdefault(source, {})
        for target in map(package_of, imported_modules(path)):
            if target != source:
                edges.setdefault(target, []).append(
                    path.relative_to(ROOT).as_posix())
    return graph


def find_cycle(graph):
    """One import cycle as a list of packages, or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in graph.get(node, {}):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt] if nxt in stack \
                    else [node, nxt]
            if nxt not in state:
                cycle = visit(nxt, stack + [nxt])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [node])
            if cycle:
                return cycle
    return None
