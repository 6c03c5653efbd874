"""Peak memory and speed of the sigmoid loss: naive vs gather vs ring.

    python tools/bench_loss.py [--batches=1024,4096,16384] [--dim=768]
        [--backends=tensorflow,jax] [--repeats=3]

One process per (backend, global batch B, method), each with 8 virtual CPU
devices, timing forward+backward (loss and gradients w.r.t. both embedding
matrices, t and b) and reading the process' peak RSS (ru_maxrss) after the
run. Methods:

* naive: the plain global loss on one device, differentiated by autodiff
  (B×B logits and their autodiff residuals).
* gather / ring: the loss split over 8 replicas (TF MirroredStrategy on
  logical CPUs; JAX DataParallel + shard_map on host devices) with negatives
  "gather" or "ring".

Memory columns (MiB, from /proc/self/status VmHWM, reset between phases):
"first call" is the peak during the first forward+backward call minus the
RSS just before it: tracing/compilation plus the step itself, and what an
allocator pool grows to (TensorFlow's CPU allocator keeps its pool, so later
steps add little). "steady" is the same for the timed calls after the
warm-up. "peak RSS" is the whole process' peak. Ratios are against
naive of the same backend and B, measured in the same run. All logical CPU
devices share one process, so memory is process-wide: the total over all 8
replicas.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("naive", "gather", "ring")
DEVICES = 8


def _rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib():
    """Peak RSS since start, or since the last `_reset_peak()`."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak():
    """Resets VmHWM (Linux >= 4.0) so that compilation is not counted."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _tensorflow_step(method, zimg, ztxt, t, b):
    import tensorflow as tf

    from keras_lip import losses

    if method == "naive":
        @tf.function
        def step(zimg, ztxt):
            with tf.GradientTape() as tape:
                tape.watch([zimg, ztxt])
                loss = losses.sigmoid_contrastive_loss(zimg, ztxt, t, b)
            return loss, tape.gradient(loss, [zimg, ztxt])

        args = (tf.constant(zimg), tf.constant(ztxt))
        return lambda: [x.numpy() for x in tf.nest.flatten(step(*args))]

    from keras_lip.testing.replicas import tensorflow_replicated_step

    strategy, step = tensorflow_replicated_step(
        lambda a, c, t, b: losses.sigmoid_contrastive_loss(
            a, c, t, b, negatives=method),
        [zimg, ztxt], [t, b], DEVICES)

    def run():
        return [v.numpy() for x in tf.nest.flatten(step())
                for v in strategy.experimental_local_results(x)]

    return run


def _jax_step(method, zimg, ztxt, t, b):
    import jax
    import keras

    from keras_lip import losses

    def loss_fn(a, c, t, b):
        return losses.sigmoid_contrastive_loss(
            a, c, t, b, negatives="auto" if method == "naive" else method)

    grad_fn = jax.value_and_grad(loss_fn, argnums=(0, 1, 2, 3))
    if method == "naive":
        step = jax.jit(grad_fn)
        args = (jax.device_put(zimg), jax.device_put(ztxt), t, b)
        return lambda: jax.block_until_ready(step(*args))
    distribution = keras.distribution.DataParallel(
        devices=jax.devices()[:DEVICES])
    sharding = distribution.get_data_layout(zimg.shape).backend_layout
    args = (jax.device_put(zimg, sharding), jax.device_put(ztxt, sharding),
            t, b)
    with distribution.scope():
        step = jax.jit(grad_fn).lower(*args).compile()
    return lambda: jax.block_until_ready(step(*args))


def run_case(backend, batch, method, dim, repeats):
    """Runs in the child process; returns a dict of measurements."""
    os.environ["KERAS_BACKEND"] = backend
    from keras_lip.distribution.devices import configure_cpu_devices

    configure_cpu_devices(DEVICES)
    import numpy as np

    rng = np.random.default_rng(0)
    zimg, ztxt = rng.standard_normal((2, batch, dim), dtype=np.float32)
    zimg /= np.linalg.norm(zimg, axis=-1, keepdims=True)
    ztxt /= np.linalg.norm(ztxt, axis=-1, keepdims=True)
    t, b = np.float32(np.log(10.0)), np.float32(-10.0)
    make = _tensorflow_step if backend == "tensorflow" else _jax_step
    step = make(method, zimg, ztxt, t, b)
    _reset_peak()
    before_first = _rss_mib()
    start = time.perf_counter()
    step()  # Warm-up: traces/compiles and runs once.
    first = time.perf_counter() - start
    first_peak = _peak_mib()
    _reset_peak()
    before = _rss_mib()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    step_peak = _peak_mib()
    return {"backend": backend, "batch": batch, "method": method,
            "seconds": statistics.median(times), "first_call_s": first,
            "peak_mib": max(first_peak, step_peak),
            "first_mib": first_peak - before_first,
            "step_mib": step_peak - before}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1024,4096,16384")
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        backend, batch, method = args.case.split(",")
        result = run_case(backend, int(batch), method, args.dim, args.repeats)
        print("RESULT " + json.dumps(result))
        return 0
    print(f"# d={args.dim}, {DEVICES} virtual CPU devices, {os.cpu_count()} "
          f"cores, median of {args.repeats} forward+backward runs; "
          f"GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '(unset)')}")
    print("| backend | B | method | time s | × naive | first call MiB | "
          "× naive | steady MiB | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for backend in args.backends.split(","):
        for batch in [int(b) for b in args.batches.split(",")]:
            baseline = None
            for method in args.methods.split(","):
                proc = subprocess.run(
                    [sys.executable, __file__, f"--case={backend},{batch},"
                     f"{method}", f"--dim={args.dim}",
                     f"--repeats={args.repeats}"],
                    capture_output=True, text=True, cwd=ROOT)
                lines = [l for l in proc.stdout.splitlines()
                         if l.startswith("RESULT ")]
                if proc.returncode or not lines:
                    print(f"| {backend} | {batch} | {method} | FAILED "
                          f"(exit {proc.returncode}): "
                          f"{proc.stderr.strip().splitlines()[-1:]} |")
                    continue
                r = json.loads(lines[0][len("RESULT "):])
                baseline = baseline or (r if method == "naive" else None)
                time_ratio = mem_ratio = "-"
                if baseline:
                    time_ratio = f"{r['seconds'] / baseline['seconds']:.2f}"
                    mem_ratio = f"{r['first_mib'] / baseline['first_mib']:.2f}"
                print(f"| {backend} | {batch} | {method} | {r['seconds']:.3f} "
                      f"| {time_ratio} | {r['first_mib']:.0f} | {mem_ratio} | "
                      f"{r['step_mib']:.0f} | {r['peak_mib']:.0f} |",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
