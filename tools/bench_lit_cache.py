"""LiT step time: locked ViT-B/16 computed on the fly vs precomputed features.

    python tools/bench_lit_cache.py [--batch=8] [--steps=4] [--backend=jax]
        [--allocator=tuned|default]

Model: `models.LiT` with a locked big_vision ViT-B/16 (224 px, "tok"
pooling, no head: LiT-COCO's image tower) and a B text tower (L=16,
vocab 32000) with a head to 768; `LiT.compile()` defaults; random
inputs; one device. ONE model, two compiled train steps: from images
(`{"images", "token_ids"}`: the tower's forward pass in every step) and
from the tower's features (`{"image_features", "token_ids"}`: what
training from `tools/cache_image_features.py`'s shards does). After one
warm-up call each, the two are timed alternately (paired: A B A B ...),
so machine load affects both alike; medians and their ratio are printed.
The cache's one-off cost is the compiled `LiT.image_features` over a
batch (forward only), per image, and the number of epochs after which
the cache has paid for itself. The float32 matmul ceiling of the same
run and the allocator setting (glibc malloc, see keras_lip.trainer.malloc)
are printed with the table.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

IMAGE, TEXT_LEN, VOCAB = 224, 16, 32_000


def _child(args):
    import keras
    import numpy as np

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_train_step import _matmul  # noqa: E402  Same ceiling.

    from keras_lip import models
    from keras_lip.evaluation.embed import _compiled

    ceiling = _matmul(keras.config.backend())["gflops"]
    vit = models.ViTEncoder(16, 768, 12, 3072, 12, image_size=IMAGE,
                            pool_type="tok", name="image_encoder")
    text = models.TextEncoder(VOCAB, 768, 12, 3072, 12,
                              max_sequence_length=TEXT_LEN,
                              name="text_encoder")
    model = models.LiT(vit, text)
    model.compile(total_steps=1000)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (args.batch, IMAGE, IMAGE, 3)).astype(
        "float32")
    ids = rng.integers(2, VOCAB, (args.batch, TEXT_LEN)).astype("int32")
    features_fn = _compiled(model, lambda x: model.image_features(
        x, training=False))
    start = time.perf_counter()
    features = np.asarray(keras.ops.convert_to_numpy(features_fn(images)))
    first_features = time.perf_counter() - start
    batches = {"images": {"images": images, "token_ids": ids},
               "features": {"image_features": features, "token_ids": ids}}
    first = {}
    for name, batch in batches.items():
        start = time.perf_counter()
        model.train_on_batch(batch)
        first[name] = time.perf_counter() - start
    times = {name: [] for name in batches}
    cache = []
    for _ in range(args.steps):
        for name, batch in batches.items():
            start = time.perf_counter()
            loss = model.train_on_batch(batch)
            times[name].append(time.perf_counter() - start)
        start = time.perf_counter()
        np.asarray(keras.ops.convert_to_numpy(features_fn(images)))
        cache.append(time.perf_counter() - start)
    if not np.isfinite(float(np.asarray(loss).reshape(-1)[0])):
        raise FloatingPointError(f"loss {loss}")
    result = {name: statistics.median(t) for name, t in times.items()}
    result.update(cache=statistics.median(cache), ceiling=ceiling,
                  first=first, first_features=first_features,
                  backend=keras.config.backend(),
                  pairs=[[round(a, 3), round(b, 3)] for a, b in zip(
                      times["images"], times["features"])])
    print("RESULT " + json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--backend", default="jax",
                        choices=("jax", "tensorflow"))
    parser.add_argument("--allocator", default="tuned",
                        choices=("tuned", "default"))
    parser.add_argument("--child", action="store_true",
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args)
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    from keras_lip.trainer import malloc

    env = dict(os.environ, KERAS_BACKEND=args.backend)
    env.pop("GLIBC_TUNABLES", None)
    if args.allocator == "tuned":
        env = malloc.tuned_environment(env)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", f"--batch={args.batch}",
         f"--steps={args.steps}"], env=env, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines()
             if line.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(proc.stderr[-4000:])
    r = json.loads(lines[0][len("RESULT "):])
    b = args.batch
    saved = r["images"] - r["features"]
    print(f"LiT: locked ViT-B/16 224px ('tok') + B text L={TEXT_LEN}, batch "
          f"{b}, {r['backend']}, allocator "
          f"{malloc.allocator_description(env).split(' (')[0]}; float32 "
          f"matmul ceiling (same run): {r['ceiling']:.0f} GFLOP/s.")
    print("| train step from | step s (median) | examples/s | × images |")
    print("|---|---|---|---|")
    for name in ("images", "features"):
        print(f"| {name} | {r[name]:.3f} | {b / r[name]:.2f} | "
              f"{r['images'] / r[name]:.2f} |")
    print(f"paired step times (images, features) s: {r['pairs']}")
    per_image = r["cache"] / b
    print(f"cache one-off cost: {per_image * 1e3:.1f} ms per image "
          f"(image_features, compiled, batch {b}); saves "
          f"{saved / b * 1e3:.1f} ms per image per epoch: pays for itself "
          f"after {per_image / max(saved / b, 1e-9):.2f} epochs (plus "
          "decoding, not counted). First calls (compile) s: "
          f"{json.dumps(r['first'])}, features {r['first_features']:.1f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
