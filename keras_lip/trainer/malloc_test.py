"""The re-exec applies the tuned GLIBC_TUNABLES once, and can be opted out."""

import os
import subprocess
import sys

from keras_lip.testing import TestCase
from keras_lip.trainer import malloc

SCRIPT = """
import os, sys
print("argv", sys.argv[1:], flush=True)
from keras_lip.trainer import malloc
malloc.reexec_with_tuned_malloc()
print("tunables", os.environ.get("GLIBC_TUNABLES", ""), flush=True)
"""


def _run(extra):
    env = dict(os.environ)
    env.pop("GLIBC_TUNABLES", None)
    env.pop(malloc.OPT_OUT, None)
    env.update(extra)
    return subprocess.run([sys.executable, "-c", SCRIPT, "--flag=1"],
                          env=env, capture_output=True, text=True,
                          timeout=60, check=True).stdout.splitlines()


class MallocTest(TestCase):
    def test_reexecs_once_with_tuned_settings(self):
        lines = _run({"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"})
        # Printed before and after the re-exec, with the same arguments.
        self.assertEqual(lines[0], lines[1])
        self.assertIn("--flag=1", lines[0])
        self.assertEqual(lines[2], "tunables " + malloc.TUNED_GLIBC_TUNABLES
                         + ":glibc.malloc.tcache_count=0")
        self.assertEqual(len(lines), 3)

    def test_opt_out(self):
        lines = _run({malloc.OPT_OUT: "1"})
        self.assertEqual(lines, ["argv ['--flag=1']", "tunables "])

    def test_description(self):
        self.assertEqual(malloc.allocator_description({}),
                         "default glibc malloc")
        self.assertIn("tuned", malloc.allocator_description(
            malloc.tuned_environment({})))
