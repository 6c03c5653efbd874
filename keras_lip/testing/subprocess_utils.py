"""Run a snippet in a fresh Python process (for state a test must not leak).

TensorFlow cancels every collective group of a process once one collective
fails, and device/XLA settings only apply before a framework initialises:
tests of such failures, or of other device counts, run in a child process.
"""

import os
import subprocess
import sys
import textwrap

PRELUDE = (
    "from keras_lip.distribution.devices import configure_cpu_devices\n"
    "configure_cpu_devices({devices})\n"
)


def run_python(code, devices=8, env=None, timeout=600):
    """Runs `code` with `devices` virtual CPUs; returns CompletedProcess."""
    child_env = dict(os.environ)
    child_env.pop("XLA_FLAGS", None)
    child_env.update(env or {})
    script = PRELUDE.format(devices=devices) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], env=child_env,
                          capture_output=True, text=True, timeout=timeout)
