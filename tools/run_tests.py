"""Runs the test suite once per Keras backend, each in its own process.

    python tools/run_tests.py [--backends=tensorflow,jax] [--fast] [PYTEST_ARGS]

README's test command and .ci/run call this. A backend whose pytest run
fails, or collects no test (pytest exit code 5), fails the whole run.
`--fast` deselects tests marked `slow`.
"""

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NO_TESTS_COLLECTED = 5


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--fast", action="store_true",
                        help="deselect tests marked slow")
    args, pytest_args = parser.parse_known_args()
    if args.fast:
        pytest_args = ["-m", "not slow", *pytest_args]
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    failures = []
    for backend in args.backends.split(","):
        env = dict(os.environ, KERAS_BACKEND=backend)
        start = time.time()
        print(f"=== KERAS_BACKEND={backend}: pytest {' '.join(pytest_args)}",
              flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        sys.stdout.write(proc.stdout)
        summary = proc.stdout.strip().splitlines()[-1:] or [""]
        for key in totals:
            match = re.search(rf"(\d+) {key}", summary[0])
            totals[key] += int(match.group(1)) if match else 0
        elapsed = time.time() - start
        print(f"=== KERAS_BACKEND={backend}: exit {proc.returncode} in "
              f"{elapsed:.0f} s", flush=True)
        if proc.returncode == NO_TESTS_COLLECTED:
            failures.append(f"{backend}: no tests were collected")
        elif proc.returncode != 0:
            failures.append(f"{backend}: pytest exit code {proc.returncode}")
    for failure in failures:
        print(f"FAILED {failure}")
    print(f"{totals['passed']} passed, {totals['failed']} failed, "
          f"{totals['skipped']} skipped")
    return 1 if failures or not totals["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
