"""Build macros for keras_lip."""

load("@pypi//:requirements.bzl", "requirement")
load("@rules_python//python:defs.bzl", "py_test")

def keras_lip_test(name, srcs, deps = [], size = "medium", **kwargs):
    """A pytest-run test. tools/pytest_main.py configures the 8 virtual CPU
    devices (as the root conftest.py does) and runs pytest on `srcs`.
    Set KERAS_BACKEND with --test_env to pick the backend."""
    py_test(
        name = name,
        srcs = srcs + ["//tools:pytest_main.py"],
        main = "//tools:pytest_main.py",
        args = ["$(location %s)" % s for s in srcs],
        size = size,
        deps = deps + [requirement("pytest")],
        **kwargs
    )
