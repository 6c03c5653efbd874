"""Demo: train a tiny SigLIP on the built-in shapes data, then evaluate.

    python -m keras_lip.cli.demo_eval [--epochs=12] [--plots_dir=/tmp/demo]

Trains on procedurally drawn shapes ("a small red circle at the top left")
whose training split never shows some colour-shape pairs, then prints
zero-shot accuracy on images of those held-out pairs (24 classes) and
image↔text Recall@1 on a test set with one image per seen attribute
combination, each against chance. Captions and zero-shot prompts share one
word-level tokenizer over the closed demo vocabulary.
"""

import argparse
import sys
import time

# argparse, not absl flags: absl's global flag registry would clash with
# toy_fit's flags when both modules are imported (pytest's doctests).
PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--epochs", type=int, default=12, help="Training epochs.")
PARSER.add_argument("--train_examples", type=int, default=8192,
                    help="Training images.")
PARSER.add_argument("--batch_size", type=int, default=128, help="Batch size.")
PARSER.add_argument("--eval_every", type=int, default=4,
                    help="Evaluate every N epochs.")
PARSER.add_argument("--seed", type=int, default=0,
                    help="Data and initialisation seed.")
PARSER.add_argument("--learning_rate", type=float, default=1e-3,
                    help="Peak AdamW learning rate.")
PARSER.add_argument("--plots_dir", default=None,
                    help="Write the PNG plots here.")
PARSER.add_argument("--tensorboard_dir", default=None,
                    help="keras.callbacks.TensorBoard folder.")
FLAGS = None

IMAGE_SIZE, MAX_LEN = 32, 16


def build(data, seed):
    """(tokenizer, text preprocessing, training pipeline, zero-shot and
    retrieval evaluation data)."""
    from keras_lip import data as data_lib

    tokenizer = data.tokenizer()
    text = data_lib.TextPreprocessing(max_len=MAX_LEN, pad_value=0)
    image = data_lib.ImagePreprocessing(size=IMAGE_SIZE)
    train = data_lib.ImageTextPipeline(
        data.source(FLAGS.train_examples, "train", seed), tokenizer,
        batch_size=FLAGS.batch_size, training=True, seed=seed, image=image,
        text=text, shuffle_buffer=FLAGS.train_examples)
    test = data_lib.ImageTextPipeline(
        data.source(180, "train", seed + 1, unique=True), tokenizer,
        batch_size=256, training=False, image=image, text=text)
    held = data.generate(480, "held_out", seed + 2)
    zero_shot = [((held["images"].astype("float32") / 127.5 - 1),
                  held["labels"])]
    return tokenizer, text, train, test, zero_shot


def main(argv=None):
    """Runs the demo; returns the exit code (0 when above chance)."""
    global FLAGS
    FLAGS = PARSER.parse_args(argv)
    import keras

    from keras_lip import evaluation
    from keras_lip.data.shapes import ShapesDataset
    from keras_lip.testing import tiny_siglip
    from keras_lip.training import siglip_optimizer

    start = time.time()
    keras.utils.set_random_seed(FLAGS.seed)
    data = ShapesDataset(image_size=IMAGE_SIZE)
    tokenizer, text, train, test, zero_shot = build(data, FLAGS.seed)
    print(f"keras {keras.__version__}, backend {keras.config.backend()}; "
          f"{FLAGS.train_examples} training images, vocabulary "
          f"{tokenizer.vocab_size} words, held-out pairs: "
          + ", ".join(" ".join(p) for p in data.held_out))
    model = tiny_siglip(patch_size=4, width=64, depth=2,
                        vocab_size=tokenizer.vocab_size)
    model.compile(optimizer=siglip_optimizer(
        learning_rate=FLAGS.learning_rate))
    callbacks = [
        evaluation.ZeroShotCallback(
            zero_shot, data.class_names, tokenizer, data.zero_shot_templates,
            text=text, every_n_epochs=FLAGS.eval_every),
        evaluation.RetrievalCallback(test.dataset(),
                                     every_n_epochs=FLAGS.eval_every),
    ]
    if FLAGS.tensorboard_dir:
        callbacks.append(keras.callbacks.TensorBoard(FLAGS.tensorboard_dir))
    history = model.fit(train.dataset(), epochs=FLAGS.epochs, verbose=2,
                        callbacks=callbacks)
    final = evaluation.evaluate_zero_shot(
        model, zero_shot, data.class_names, tokenizer,
        data.zero_shot_templates, text=text)
    retrieval = evaluation.evaluate_retrieval(model, test.dataset())
    elapsed = time.time() - start
    chance_zs = 1 / len(data.class_names)
    chance_r1 = 1 / retrieval["num_images"]
    print(f"zero-shot on held-out pairs ({final['num_images']} images, "
          f"{len(data.class_names)} classes): top1 {final['top1']:.3f} "
          f"top5 {final['top5']:.3f} (chance {chance_zs:.3f} / "
          f"{5 * chance_zs:.3f})")
    print(f"retrieval ({retrieval['num_images']} images, "
          f"{retrieval['num_texts']} captions): i2t R@1 "
          f"{retrieval['i2t_r1']:.3f} R@5 {retrieval['i2t_r5']:.3f}, t2i R@1 "
          f"{retrieval['t2i_r1']:.3f} R@5 {retrieval['t2i_r5']:.3f} "
          f"(chance R@1 {chance_r1:.4f})")
    print("history: " + ", ".join(
        f"{k} {[round(v, 3) for v in vals]}"
        for k, vals in history.history.items() if "_" in k))
    if FLAGS.plots_dir:
        write_plots(model, data, tokenizer, text, FLAGS.plots_dir)
    print(f"total time {elapsed:.0f} s")
    if final["top1"] < 3 * chance_zs or retrieval["i2t_r1"] < 10 * chance_r1:
        print("FAILED: not clearly above chance", file=sys.stderr)
        return 1
    print("OK: zero-shot and retrieval far above chance")
    return 0


def write_plots(model, data, tokenizer, text, folder):
    from keras_lip.evaluation import plots

    batch = data.generate(8, "all", FLAGS.seed + 3, unique=True)
    images = batch["images"].astype("float32") / 127.5 - 1
    captions = [c[0] for c in batch["captions"]]
    paths = plots.write_plots(model, images, captions, tokenizer, folder,
                              text=text, text_to_image=list(range(8)))
    print("plots: " + ", ".join(paths))


if __name__ == "__main__":
    sys.exit(main())
