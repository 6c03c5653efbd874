"""Speed of one SigLIP training step on CPU: Keras-JAX vs Keras-TF.

    python tools/bench_train_step.py [--batch=32] [--steps=3]
        [--modes=jax,tf_jit,tf_graph] [--allocator=tuned|default|both]

Model: SigLIP ViT-Ti/16 at 224 px (MAP head) + Ti text tower (L=64, vocab
32000, head to 192), `SigLIP.compile()` defaults (MaskedAdamW, sigmoid
loss), random inputs, one device. Modes, each in its own process:

* jax: Keras on JAX (the train step is jitted by XLA);
* tf_jit: Keras on TensorFlow with `jit_compile=True` (XLA);
* tf_graph: Keras on TensorFlow, `tf.function` without XLA.

Each process calls `train_on_batch` twice to warm up (tracing and
compilation), then times `--steps` calls and reports the median. The matmul
ceiling is measured in the same run: the best float32 GFLOP/s of a jitted
4096² matmul in JAX and TensorFlow. Achieved GFLOP/s = analytic training
FLOPs per step (3 × forward matmul FLOPs; see `train_flops`) / step time.
The allocator setting (glibc malloc, see keras_lip.trainer.malloc) is
stated on every row; `both` measures each mode under both settings.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

IMAGE, PATCH, TEXT_LEN, VOCAB = 224, 16, 64, 32_000
WIDTH, DEPTH, MLP = 192, 12, 768  # Ti.
BACKENDS = {"jax": "jax", "tf_jit": "tensorflow", "tf_graph": "tensorflow",
            "matmul_jax": "jax", "matmul_tf": "tensorflow"}


def encoder_flops(tokens, width=WIDTH, depth=DEPTH, mlp=MLP):
    """Forward multiply-add FLOPs (×2) of `depth` pre-LN blocks."""
    projections = 4 * tokens * width * width
    attention = 2 * tokens * tokens * width
    mlp_block = 2 * tokens * width * mlp
    return 2 * depth * (projections + attention + mlp_block)


def train_flops(batch):
    """Training FLOPs of one step: 3 × forward (backward ≈ 2 × forward)."""
    patches = (IMAGE // PATCH) ** 2
    image = (2 * patches * PATCH * PATCH * 3 * WIDTH      # Patch embedding.
             + encoder_flops(patches)
             + 2 * (2 * patches * WIDTH * WIDTH           # MAP: k, v.
                    + 2 * WIDTH * WIDTH                   # q, out.
                    + 2 * patches * WIDTH                 # scores, values.
                    + 2 * WIDTH * MLP))                   # MLP.
    text = encoder_flops(TEXT_LEN) + 2 * WIDTH * WIDTH    # Blocks + head.
    loss = 2 * batch * WIDTH                              # Per example.
    return 3 * batch * (image + text + loss)


def _matmul(backend, n=4096, repeats=5):
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        a = jnp.ones((n, n), jnp.float32)
        f = jax.jit(lambda x: x @ x)
        f(a).block_until_ready()
        run = lambda: f(a).block_until_ready()  # noqa: E731
    else:
        import tensorflow as tf

        a = tf.ones((n, n), tf.float32)
        f = tf.function(lambda x: tf.matmul(x, x), jit_compile=True)
        f(a).numpy()
        run = lambda: f(a).numpy()  # noqa: E731
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return {"gflops": 2 * n**3 / min(times) / 1e9}


def _train(mode, batch, steps):
    import keras
    import numpy as np

    from keras_lip.models import SigLIP

    model = SigLIP.from_variant(f"Ti/{PATCH}", text_variant="Ti",
                                vocab_size=VOCAB)
    model.compile(jit_compile=mode != "tf_graph")
    rng = np.random.default_rng(0)
    data = {
        "images": rng.uniform(-1, 1, (batch, IMAGE, IMAGE, 3)).astype(
            "float32"),
        "token_ids": rng.integers(2, VOCAB, (batch, TEXT_LEN)).astype(
            "int32"),
    }
    start = time.perf_counter()
    model.train_on_batch(data)
    first = time.perf_counter() - start
    model.train_on_batch(data)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = model.train_on_batch(data)
        times.append(time.perf_counter() - start)
    if not np.isfinite(float(np.asarray(loss).reshape(-1)[0])):
        raise FloatingPointError(f"{mode}: loss {loss}")
    step = statistics.median(times)
    return {"step_s": step, "first_call_s": first,
            "backend": keras.config.backend(),
            "jit_compile": bool(model.jit_compile)}


def _child(args):
    mode = args.child
    if mode.startswith("matmul"):
        result = _matmul(BACKENDS[mode])
    else:
        result = _train(mode, args.batch, args.steps)
    print("RESULT " + json.dumps(result), flush=True)


def _run(mode, args, tuned):
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    from keras_lip.trainer import malloc

    env = dict(os.environ, KERAS_BACKEND=BACKENDS[mode])
    env.pop("GLIBC_TUNABLES", None)
    if tuned:
        env = malloc.tuned_environment(env)
    proc = subprocess.run(
        [sys.executable, __file__, f"--child={mode}", f"--batch={args.batch}",
         f"--steps={args.steps}"], env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            result["allocator"] = malloc.allocator_description(env).split(
                " (")[0]
            return result
    raise RuntimeError(f"{mode} failed:\n{proc.stderr[-4000:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--modes", default="jax,tf_jit,tf_graph")
    parser.add_argument("--allocator", default="tuned",
                        choices=("tuned", "default", "both"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args)
    settings = {"tuned": [True], "default": [False],
                "both": [True, False]}[args.allocator]
    ceiling = max(_run(m, args, True)["gflops"]
                  for m in ("matmul_jax", "matmul_tf"))
    flops = train_flops(args.batch)
    print(f"SigLIP Ti/16 224px + Ti text L={TEXT_LEN} vocab {VOCAB}, "
          f"batch {args.batch}: {flops / 1e9:.0f} GFLOP per training step "
          f"(analytic). float32 matmul ceiling (same run): {ceiling:.0f} "
          "GFLOP/s.")
    print("| mode | allocator | step s | steps/s | examples/s | GFLOP/s | "
          "× ceiling | × jax | first call s |")
    print("|---|---|---|---|---|---|---|---|---|")
    baseline = {}
    for tuned in settings:
        for mode in args.modes.split(","):
            r = _run(mode, args, tuned)
            gflops = flops / r["step_s"] / 1e9
            baseline.setdefault(tuned, r["step_s"])
            print(f"| {mode} | {r['allocator']} | {r['step_s']:.2f} | "
                  f"{1 / r['step_s']:.3f} | {args.batch / r['step_s']:.1f} | "
                  f"{gflops:.1f} | {gflops / ceiling:.2f} | "
                  f"{baseline[tuned] / r['step_s']:.2f} | "
                  f"{r['first_call_s']:.0f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
