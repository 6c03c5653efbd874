"""The shapes demo as a plain `model.fit` script (no trainer).

    python examples/shapes_fit.py [--epochs=12] [--plots_dir=/tmp/demo]

The same settings as `python -m keras_lip.train` (read from its config,
`keras_lip/trainer/configs/demo.py`), written with the library only:
`data.ShapesDataset` + `data.ImageTextPipeline`, `models.SigLIP`,
`evaluation` callbacks and plots. Prints zero-shot accuracy on the
held-out colour-shape pairs and image↔text Recall@1, each against chance;
exits 1 unless both are clearly above chance.
"""

import argparse
import sys

PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--epochs", type=int, default=12, help="Passes.")
PARSER.add_argument("--eval_every", type=int, default=4,
                    help="Evaluate every N epochs.")
PARSER.add_argument("--plots_dir", default=None,
                    help="Write the PNG plots here.")


def main(argv=None):
    args = PARSER.parse_args(argv)
    import keras

    from keras_lip import data
    from keras_lip import evaluation
    from keras_lip import models
    from keras_lip.trainer.configs import demo

    c = demo.get_config()
    keras.utils.set_random_seed(c.seed)
    image, text = c.model.image, c.model.text
    shapes = data.ShapesDataset(image_size=image.image_size)
    tokenizer = shapes.tokenizer()
    text_pp = data.TextPreprocessing(max_len=text.max_len, pad_value=0)
    image_pp = data.ImagePreprocessing(size=image.image_size)
    train = data.ImageTextPipeline(
        shapes.source(c.data.train_examples, "train", c.seed), tokenizer,
        batch_size=c.batch_size, training=True, seed=c.seed,
        shuffle_buffer=c.data.train_examples, image=image_pp, text=text_pp)
    test = data.ImageTextPipeline(
        shapes.source(180, "train", c.seed + 1, unique=True), tokenizer,
        batch_size=256, training=False, image=image_pp, text=text_pp)
    held = shapes.generate(480, "held_out", c.seed + 2)
    zero_shot = [(held["images"].astype("float32") / 127.5 - 1,
                  held["labels"])]
    shape = dict(width=image.width, depth=image.depth,
                 mlp_dim=image.mlp_dim, num_heads=image.num_heads)
    model = models.SigLIP.from_variant(
        image.variant, text_variant=text.variant,
        vocab_size=text.vocab_size, image_size=image.image_size,
        max_sequence_length=text.max_len, image_kwargs=shape,
        text_kwargs=shape)
    model.compile()
    callbacks = [
        evaluation.ZeroShotCallback(
            zero_shot, shapes.class_names, tokenizer,
            shapes.zero_shot_templates, text=text_pp,
            every_n_epochs=args.eval_every),
        evaluation.RetrievalCallback(test.dataset(),
                                     every_n_epochs=args.eval_every)]
    # One epoch = one pass over the training images (not repeated).
    history = model.fit(train.dataset(), epochs=args.epochs, verbose=2,
                        callbacks=callbacks)
    zs = evaluation.evaluate_zero_shot(
        model, zero_shot, shapes.class_names, tokenizer,
        shapes.zero_shot_templates, text=text_pp)
    r = evaluation.evaluate_retrieval(model, test.dataset())
    chance_zs, chance_r1 = 1 / len(shapes.class_names), 1 / r["num_images"]
    print(f"zero-shot on held-out pairs ({zs['num_images']} images): top1 "
          f"{zs['top1']:.3f} (chance {chance_zs:.3f}); retrieval i2t R@1 "
          f"{r['i2t_r1']:.3f} t2i R@1 {r['t2i_r1']:.3f} (chance "
          f"{chance_r1:.4f})")
    print("history: " + ", ".join(
        f"{k} {[round(v, 3) for v in vals]}"
        for k, vals in history.history.items() if "_" in k))
    if args.plots_dir:
        batch = shapes.generate(8, "all", c.seed + 3, unique=True)
        paths = evaluation.write_plots(
            model, batch["images"].astype("float32") / 127.5 - 1,
            [caps[0] for caps in batch["captions"]], tokenizer,
            args.plots_dir, text=text_pp, text_to_image=list(range(8)))
        print("plots: " + ", ".join(paths))
    if zs["top1"] < 3 * chance_zs or r["i2t_r1"] < 10 * chance_r1:
        print("FAILED: not clearly above chance", file=sys.stderr)
        return 1
    print("OK: zero-shot and retrieval far above chance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
