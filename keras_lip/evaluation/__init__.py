"""Evaluation of two-tower models: zero-shot classification and retrieval,
standalone or as Keras callbacks, plus PNG plots."""

from keras_lip.evaluation.class_names import load_class_names
from keras_lip.evaluation.embed import Embedder
from keras_lip.evaluation.prompts import (CLIP_BEST_TEMPLATES,
                                          CLIP_PAPER_TEMPLATES,
                                          PROMPT_TEMPLATE_SETS,
                                          canonicalize_text, expand_prompts,
                                          prompt_templates)
from keras_lip.evaluation.zero_shot import (average_class_embeddings,
                                            text_preprocessing_for,
                                            class_embeddings,
                                            evaluate_zero_shot,
                                            tokenize_texts, topk_accuracy)
from keras_lip.evaluation.retrieval import (chunked_topk, evaluate_retrieval,
                                            recall_at_k, retrieval_embeddings)
from keras_lip.evaluation.callbacks import (EvaluationCallback,
                                            RetrievalCallback,
                                            ZeroShotCallback)
from keras_lip.evaluation.plots import retrieval_png, similarity_png, write_plots
