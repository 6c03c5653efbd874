"""SigLIP's pairwise sigmoid loss, on one device or across replicas."""

import keras

from keras_lip import distribution
from keras_lip.losses.contrastive_loss import ContrastiveLoss
from keras_lip.losses.contrastive_loss import prepare_embeddings
from keras_lip.losses.contrastive_loss import prepare_scalar
from keras_lip.ops import blocks
from keras_lip.ops import validate_negatives


def sigmoid_contrastive_loss(image_embeddings, text_embeddings, logit_scale,
                             logit_bias, negatives="auto", check_finite=True):
    """SigLIP loss: every (image, text) pair is a binary problem.

    `logits = zimg · ztxtᵀ · exp(logit_scale) + logit_bias`, labels are +1 on
    the diagonal and −1 elsewhere, and the loss is
    `mean_i sum_j −log σ(label_ij · logit_ij)`, summed over the texts and
    averaged over the GLOBAL image batch, exactly as big_vision's
    `trainers/proj/image_text/siglip.py`. The math runs in float32.

    Under a distribution the texts of the other replicas are the extra
    negatives, and no replica materialises more than a b×b block of logits
    (b = local batch), forward or backward:

    * TensorFlow, in a `tf.distribute` replica context: returns this
      replica's share of the global loss (its images' terms over the global
      batch), so that summed gradients give the global gradient and the shares
      sum to the global loss. This is how Keras scales per-replica losses.
    * JAX, under a `keras.distribution` with a batch axis (`DataParallel`):
      returns the global loss, computed with `jax.shard_map`.
    * Otherwise: the plain global loss on one device.

    Args:
        image_embeddings: `[batch, dim]`, L2-normalised.
        text_embeddings: `[batch, dim]`, L2-normalised; row i pairs with image i.
        logit_scale: t, the log-temperature (scalar or shape `(1,)`).
        logit_bias: b (scalar or shape `(1,)`).
        negatives: `"auto"`, `"ring"`, `"gather"` or `"local"`. "ring" passes
            text chunks around the replicas (JAX: `ppermute`; TF: TPU
            `CollectivePermute`, emulated with all_gather elsewhere); "gather"
            all-gathers the texts once and walks over blocks; "local" uses
            only the replica's own batch as negatives. "auto" is "ring" on JAX
            and on TPUStrategy, "gather" on other tf.distribute strategies.
            Ignored without a distribution.
        check_finite: raise if t or b is NaN or infinite.

    Returns:
        A float32 scalar.

    Example:

    >>> import numpy as np
    >>> z = np.eye(4, 8, dtype="float32")
    >>> loss = sigmoid_contrastive_loss(z, z, np.log(10.0), -10.0)
    >>> round(float(loss), 4)
    0.6933
    """
    validate_negatives(negatives)
    zimg, ztxt = prepare_embeddings(image_embeddings, text_embeddings)
    logit_scale = prepare_scalar(logit_scale, "logit_scale")
    logit_bias = prepare_scalar(logit_bias, "logit_bias")
    if check_finite:
        logit_scale, logit_bias = distribution.check_finite(
            logit_scale, logit_bias)
    loss = distribution.sigmoid_loss(zimg, ztxt, logit_scale, logit_bias,
                                     negatives)
    if loss is None:
        loss = blocks.naive_sigmoid_loss(zimg, ztxt, logit_scale, logit_bias)
    return loss


@keras.saving.register_keras_serializable(package="keras_lip")
class SigmoidContrastiveLoss(ContrastiveLoss):
    """SigLIP's sigmoid loss as a `keras.losses.Loss`.

    `y_pred` is the output dict of a keras_lip two-tower model plus its learned
    `"logit_scale"` (t) and `"logit_bias"` (b); the model's `compute_loss`
    adds those two, so `model.compile(loss=SigmoidContrastiveLoss())` and
    `model.fit(dataset)` on unlabelled `{"images", "token_ids"}` batches is
    all a user writes. See `sigmoid_contrastive_loss` for the math and for the
    meaning of `negatives` under tf.distribute and keras.distribution.

    Args:
        negatives: `"auto"`, `"ring"`, `"gather"` or `"local"`.
        check_finite: raise if t or b is NaN or infinite.
        name: name of the loss.

    Example:

    >>> import numpy as np
    >>> loss = SigmoidContrastiveLoss()
    >>> z = np.eye(4, 8, dtype="float32")
    >>> y_pred = {"image_embeddings": z, "text_embeddings": z,
    ...           "logit_scale": np.log(10.0), "logit_bias": -10.0}
    >>> round(float(loss(None, y_pred)), 4)
    0.6933
    """

    required_keys = ("image_embeddings", "text_embeddings", "logit_scale",
                     "logit_bias")

    def __init__(self, negatives="auto", check_finite=True,
                 name="sigmoid_contrastive_loss", dtype=None):
        super().__init__(negatives=negatives, check_finite=check_finite,
                         name=name, dtype=dtype)

    def compute(self, image_embeddings, text_embeddings, logit_scale,
                logit_bias):
        return sigmoid_contrastive_loss(
            image_embeddings, text_embeddings, logit_scale, logit_bias,
            negatives=self.negatives, check_finite=self.check_finite)
