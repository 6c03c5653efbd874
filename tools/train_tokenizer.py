"""Trains a SentencePiece tokenizer on the captions of your data.

    python tools/train_tokenizer.py --captions=my_data/train.csv \
        --output=my_data/captions_sp [--vocab_size=8000] [--caption_key=caption]

Reads the captions of a CSV (with a header) or JSONL file as keras_lip's
`CaptionFileSource` does (so images must exist), lowercases them as the
training pipeline does, and writes `<output>.model` / `<output>.vocab`
with big_vision's c4_en conventions: pad 0, EOS `</s>` 1, unk 2, no BOS.
Pass the `.model` as `--config.data.tokenizer` and its vocabulary size
(printed) as `--config.model.text.vocab_size`.
"""

import argparse
import sys

from keras_lip.data import sources


def train(captions, output, vocab_size=8000, caption_key="caption",
          image_key="image"):
    """Trains the model; returns `(model path, vocabulary size)`."""
    import sentencepiece as spm

    source = sources.CaptionFileSource(captions, image_key=image_key,
                                       caption_key=caption_key)
    lines = [c.decode("utf-8", "replace").lower()
             for texts in source.captions for c in texts if c.strip()]
    if not lines:
        raise ValueError(f"No captions in {captions}.")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_prefix=output,
        vocab_size=vocab_size, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        model_type="unigram", hard_vocab_limit=False, minloglevel=2)
    size = spm.SentencePieceProcessor(model_file=output + ".model")
    return output + ".model", size.get_piece_size()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captions", required=True,
                        help="CSV (with a header) or JSONL captions file.")
    parser.add_argument("--output", required=True,
                        help="Output prefix (writes .model and .vocab).")
    parser.add_argument("--vocab_size", type=int, default=8000,
                        help="Target vocabulary (fewer if the data is small).")
    parser.add_argument("--caption_key", default="caption")
    parser.add_argument("--image_key", default="image")
    args = parser.parse_args(argv)
    path, size = train(args.captions, args.output, args.vocab_size,
                       args.caption_key, args.image_key)
    print(f"Wrote {path} ({size} ids): --config.data.tokenizer={path} "
          f"--config.model.text.vocab_size={size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
