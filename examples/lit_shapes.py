"""LiT on the shapes demo: a pretrained image tower, locked, and a fresh
text tower trained against it; compared with unlocking the tower.

    python examples/lit_shapes.py [--pretrain_epochs=12] [--epochs=6]
        [--pretrained=tower.weights.h5]

1. Pretrain an image tower: the SigLIP demo (`keras_lip/trainer/configs/
   demo.py`'s towers and data) for `--pretrain_epochs`, keeping its ViT
   (saved to `--pretrained`; an existing file is loaded instead).
2. Train three `models.LiT` for `--epochs` passes with LiT's compile
   defaults and the same fresh text tower:
   - Lu: the pretrained tower LOCKED, trained from its precomputed
     features (`data.write_feature_cache` once, then
     `data.FeaturePipeline`);
   - Uu: the pretrained tower unlocked (fine-tuned with the text tower);
   - uu: a random tower, unlocked (training from scratch).
3. Print a table: zero-shot top-1/top-5 on 480 images of the six
   colour-shape pairs never seen in training (24 classes), image→text
   R@1 on 180 unseen images, each against chance, and the time of each
   run. Exits 1 unless LiT is clearly above chance.
"""

import argparse
import os
import sys
import tempfile
import time

PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--pretrain_epochs", type=int, default=12)
PARSER.add_argument("--epochs", type=int, default=6)
PARSER.add_argument("--pretrained", default=os.path.join(
    tempfile.gettempdir(), "keras_lip_shapes_vit.weights.h5"))


def _towers(c, seed):
    import keras

    from keras_lip import models

    keras.utils.set_random_seed(seed)
    image, text = c.model.image, c.model.text
    shape = dict(width=image.width, depth=image.depth, mlp_dim=image.mlp_dim,
                 num_heads=image.num_heads)
    vit, txt = models.variant_towers(
        image.variant, text.variant, vocab_size=text.vocab_size,
        image_size=image.image_size, max_sequence_length=text.max_len,
        image_kwargs=shape, text_kwargs=shape)
    return vit, txt


def _pretrain(c, shapes, train, epochs, path):
    from keras_lip import models

    vit, txt = _towers(c, c.seed)
    if os.path.exists(path):
        models.load_tower_weights(vit, path)
        print(f"pretrained image tower: loaded {path}")
        return
    siglip = models.SigLIP(vit, txt)
    siglip.compile()
    start = time.time()
    siglip.fit(train.dataset(), epochs=epochs, verbose=2)
    models.save_tower_weights(vit, path)
    print(f"pretrained image tower: SigLIP demo, {epochs} epochs, "
          f"{time.time() - start:.0f} s -> {path}")


def main(argv=None):
    args = PARSER.parse_args(argv)
    import keras

    from keras_lip import data
    from keras_lip import evaluation
    from keras_lip import models
    from keras_lip.trainer.configs import demo

    c = demo.get_config()
    image, text = c.model.image, c.model.text
    shapes = data.ShapesDataset(image_size=image.image_size)
    tokenizer = shapes.tokenizer()
    text_pp = data.TextPreprocessing(max_len=text.max_len, pad_value=0)
    image_pp = data.ImagePreprocessing(size=image.image_size)
    source = shapes.source(c.data.train_examples, "train", c.seed)
    pipeline_args = dict(batch_size=c.batch_size, seed=c.seed,
                         shuffle_buffer=c.data.train_examples, text=text_pp)
    train = data.ImageTextPipeline(source, tokenizer, training=True,
                                   image=image_pp, **pipeline_args)
    test = data.ImageTextPipeline(
        shapes.source(180, "train", c.seed + 1, unique=True), tokenizer,
        batch_size=256, training=False, image=image_pp, text=text_pp)
    held = shapes.generate(480, "held_out", c.seed + 2)
    zero_shot = [(held["images"].astype("float32") / 127.5 - 1,
                  held["labels"])]
    _pretrain(c, shapes, train, args.pretrain_epochs, args.pretrained)
    steps = args.epochs * (c.data.train_examples // c.batch_size)
    rows = []
    for name, locked, pretrained in (("Lu: LiT, pretrained tower locked "
                                      "(from cached features)", True, True),
                                     ("Uu: pretrained tower unlocked", False,
                                      True),
                                     ("uu: random tower, unlocked", False,
                                      False)):
        vit, _ = _towers(c, c.seed)
        if pretrained:
            models.load_tower_weights(vit, args.pretrained)
        keras.utils.set_random_seed(c.seed + 10)  # The same fresh text
        txt = models.TextEncoder(                 # tower (LiT adds a head).
            text.vocab_size, text.width, text.depth, text.mlp_dim,
            text.num_heads, max_sequence_length=text.max_len)
        model = models.LiT(vit, txt, lock_image=locked)
        model.compile(total_steps=steps)
        start = time.time()
        dataset = train.dataset()
        if locked:
            prefix = os.path.join(tempfile.mkdtemp(), "shapes_features")
            features = evaluation.embed._compiled(
                model, lambda x: model.image_features(x, training=False))
            data.write_feature_cache(
                source, features, prefix, image=image_pp,
                feature_shape=model.image_feature_shape, print_fn=None)
            dataset = data.FeaturePipeline(prefix, tokenizer,
                                           **pipeline_args).dataset()
        model.fit(dataset.repeat(), steps_per_epoch=steps // args.epochs,
                  epochs=args.epochs, verbose=2)
        seconds = time.time() - start
        zs = evaluation.evaluate_zero_shot(
            model, zero_shot, shapes.class_names, tokenizer,
            shapes.zero_shot_templates, text=text_pp)
        r = evaluation.evaluate_retrieval(model, test.dataset())
        rows.append((name, zs, r, seconds))
    chance_zs, chance_r1 = 1 / len(shapes.class_names), 1 / 180
    print(f"\n{steps} steps of batch {c.batch_size} each; "
          f"{keras.config.backend()}")
    print("| run | zero-shot top-1 held-out | top-5 | i2t R@1 | t2i R@1 | "
          "time s |")
    print("|---|---|---|---|---|---|")
    print(f"| chance | {chance_zs:.3f} | {5 * chance_zs:.3f} | "
          f"{chance_r1:.4f} | {chance_r1:.4f} | |")
    for name, zs, r, seconds in rows:
        print(f"| {name} | {zs['top1']:.3f} | {zs['top5']:.3f} | "
              f"{r['i2t_r1']:.3f} | {r['t2i_r1']:.3f} | {seconds:.0f} |")
    lit_zs = rows[0][1]["top1"]
    if lit_zs < 3 * chance_zs:
        print("FAILED: LiT not clearly above chance", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
