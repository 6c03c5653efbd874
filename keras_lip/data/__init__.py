"""Image-text input pipelines in tf.data (used on both Keras backends).

Sources (`TfdsSource`, `TfrecordSource`, `CaptionFileSource`) make examples
of encoded image bytes and captions; `ImageTextPipeline` shards, shuffles,
checks, decodes, tokenises and batches them into `{"images", "token_ids"}`
for `TwoTower.fit`, counting skipped inputs in a `BadInputCounter` that
`BadInputLogger` reports at epoch end. `ShapesDataset` is the built-in,
procedurally generated demo data (with its `WordTokenizer`).
"""

from keras_lip.data.callbacks import BadInputLogger
from keras_lip.data.feature_cache import write_feature_cache
from keras_lip.data.feature_pipeline import FeaturePipeline
from keras_lip.data.pipeline import ImageTextPipeline, shard_for_process
from keras_lip.data.naflex_ops import naflex_patches
from keras_lip.data.naflex_ops import patchify
from keras_lip.data.naflex_ops import resize_to_sequence
from keras_lip.data.preprocess import ImagePreprocessing, TextPreprocessing
from keras_lip.data.sources import (CaptionFileSource, TfdsSource,
                                    TfrecordSource)
from keras_lip.data.stats import REASONS, BadInputCounter
from keras_lip.data.text_ops import sentencepiece_tokenizer
from keras_lip.data.shapes import ShapesDataset, ShapesSource
from keras_lip.data.render import render_text
from keras_lip.data.word_tokenizer import WordTokenizer
