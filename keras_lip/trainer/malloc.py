"""glibc malloc settings for XLA's large per-step buffers.

On these CPU VMs glibc returns XLA's multi-GB per-step scratch buffer to
the OS after every step and page-faults it back in on the next one; raising
the mmap and trim thresholds keeps it mapped (measured: a JAX SigLIP Ti/16
step at B=64 went from 14.7 s to 8.1 s), at the cost of more resident
memory. The settings only apply to a process started with them, so entry
points re-execute themselves once (`reexec_with_tuned_malloc`).
"""

import os
import sys

TUNED_GLIBC_TUNABLES = ":".join((
    "glibc.malloc.mmap_threshold=17179869184",
    "glibc.malloc.trim_threshold=68719476736",
    "glibc.malloc.arena_max=1",
))
OPT_OUT = "KERAS_LIP_DEFAULT_MALLOC"  # Set to 1 to keep glibc's defaults.
_MARK = "KERAS_LIP_MALLOC_REEXEC"


def tuned_environment(env=None):
    """A copy of `env` (default os.environ) with the tuned GLIBC_TUNABLES
    added in front of any the user already set."""
    env = dict(os.environ if env is None else env)
    current = env.get("GLIBC_TUNABLES", "")
    if TUNED_GLIBC_TUNABLES not in current:
        env["GLIBC_TUNABLES"] = ":".join(
            v for v in (TUNED_GLIBC_TUNABLES, current) if v)
    return env


def allocator_description(env=None):
    """'tuned', 'default' or 'custom: ...' for logs and benchmarks."""
    value = (os.environ if env is None else env).get("GLIBC_TUNABLES", "")
    if not value:
        return "default glibc malloc"
    if TUNED_GLIBC_TUNABLES in value:
        return f"tuned glibc malloc (GLIBC_TUNABLES={value})"
    return f"custom GLIBC_TUNABLES={value}"


def reexec_with_tuned_malloc(extra_env=None):
    """Re-executes this process with the tuned GLIBC_TUNABLES, once.

    Call it first thing in `main` (before frameworks allocate). The malloc
    part does nothing if the settings are already in place, if
    `KERAS_LIP_DEFAULT_MALLOC=1` opts out, or off Linux. `extra_env`
    (e.g. `{"KERAS_BACKEND": "jax"}`) is applied too, re-executing if any
    of it differs from the current environment. Uses `sys.orig_argv`, so
    `python -m module` entry points come back the same way.
    """
    env = dict(os.environ)
    env.update(extra_env or {})
    if not (os.environ.get(OPT_OUT) == "1"
            or not sys.platform.startswith("linux")):
        env = tuned_environment(env)
    if env == dict(os.environ) or os.environ.get(_MARK):
        return
    env[_MARK] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, sys.orig_argv, env)
