"""Hides TensorFlow/XLA start-up noise on the CLI's stderr (unless
--verbose).

TensorFlow 2.21 and jaxlib log through absl's C++ logging before it is
initialised, which ignores TF_CPP_MIN_LOG_LEVEL: every start prints
oneDNN/cuda notices, a cuInit error on CPU-only machines and tf.data
attribute warnings. `filter_stderr()` routes file descriptor 2 through a
thread of this process that drops those lines and passes everything else
(tracebacks, Python warnings, real errors) through unchanged.
"""

import atexit
import os
import re
import sys
import threading

NOISE = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|[IW]\d{4} [\d:. ]+\d+ \S+:\d+\] "
    rb"|E\d{4} [\d:. ]+\d+ \S+:\d+\] .*(cuInit|use_unbounded_threadpool"
    rb"|oneDNN supports DT_INT64)"
    rb"|To enable the following instructions: .*rebuild TensorFlow)")


class _Filter:
    def __init__(self):
        self.saved = None
        self.thread = None

    def start(self):
        if self.saved is not None:
            return
        sys.stderr.flush()
        self.saved = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
        self.thread = threading.Thread(target=self._pump, args=(read,),
                                       daemon=True)
        self.thread.start()
        atexit.register(self.stop)

    def _pump(self, read):
        with os.fdopen(read, "rb") as lines:
            pending = b""
            for line in lines:
                if pending:  # A notice's second line ("To enable ...").
                    line, pending = pending + line, b""
                if line.startswith(b"To enable the following instructions"):
                    pending = line
                    continue
                if not NOISE.match(line):
                    os.write(self.saved, line)

    def stop(self):
        """Restores the real stderr (and ends the filter thread)."""
        if self.saved is None:
            return
        sys.stderr.flush()
        os.dup2(self.saved, 2)  # Closes the pipe: the reader sees EOF.
        self.thread.join(timeout=5)
        os.close(self.saved)
        self.saved = None


_FILTER = _Filter()
filter_stderr = _FILTER.start
restore_stderr = _FILTER.stop
