"""LiT: locked-image tuning (Zhai et al., CVPR 2022)."""

import keras
from keras import ops

from keras_lip.layers import l2_normalize
from keras_lip.layers.feature_pooling import FeaturePooling
from keras_lip.losses import SigmoidContrastiveLoss
from keras_lip.models import tower_io
from keras_lip.models.locking import apply_lock
from keras_lip.models.locking import lock_groups
from keras_lip.models.two_tower import TwoTower
from keras_lip.models.two_tower import text_length_of
from keras_lip.optimizers import carry_over
from keras_lip.optimizers import lit_optimizer

FEATURES = "image_features"
_LOCKS = ("lock_image", "unlocked_image_groups", "lock_text",
          "unlocked_text_groups")


@keras.saving.register_keras_serializable(package="keras_lip")
class LiT(TwoTower):
    """A two-tower model whose (pretrained) image tower is locked.

    Image tower: any Keras model or layer mapping float images `[B, H, W,
    3]` in [-1, 1] to a vector `[B, d]`, tokens `[B, N, d]` or a feature
    map `[B, h, w, d]` (or a dict of them: `image_output=` names the key),
    pooled by `image_pooling` (`layers.FeaturePooling`: "tok", "gap",
    "map", ...). Text tower: keras_lip's `TextEncoder`, or a keras-hub
    backbone such as `BertBackbone` (its `padding_mask` is `ids !=
    text_pad_id`, one segment; the CLS token is pooled, as big_vision's
    BERT), or any model of token ids. Heads (Dense to `embed_dim`, Flax's
    lecun-normal init) follow big_vision's LiT configs: none on the image
    side, one on the text side to the image width.

    Locked means: the tower's variables are not in `trainable_weights`
    (so the optimizer makes no slots for them, applies no weight decay and
    leaves them out of the clipping norm), and the tower runs with
    `training=False` even in `fit` (BatchNorm statistics and dropout
    frozen). `unlocked_image_groups=K` unlocks the last K groups of
    `models.lock_groups` (stem, blocks..., head; the tower then runs in
    training mode with its locked BatchNorm layers frozen); `lock_text`
    locks the text tower the same way (both locked: only heads, pooling,
    t and b train). `set_lock` changes it in the middle of training and
    keeps the optimizer's state. LiT owns its towers' trainable flags: it
    sets them from these arguments at construction and on loading.

    Precomputed features: with a fully locked image tower, batches may
    carry `"image_features"` (what `image_features(images)` returns: the
    tower's output, pooled unless the pooling is learned) instead of
    `"images"`; training from them gives the weights of training from the
    images (`tools/cache_image_features.py` writes them to TFRecords).

    `compile()` defaults to LiT's recipe (big_vision
    `configs/proj/image_text/siglip_lit_coco.py`): the sigmoid loss and
    `optimizers.lit_optimizer` (Adam β2 0.999, lr 1e-3, big_vision weight
    decay 0.01 on kernels, clipping at global norm 1; `total_steps=` adds
    the cosine schedule with 3% (≥ 100 steps) warm-up).

    Args:
        image_encoder: the image tower (locked by default).
        text_encoder: the text tower.
        embed_dim: joint width of the heads (default: the pooled image
            width, as big_vision's LiT).
        image_pooling, text_pooling: `FeaturePooling` types ("auto": a
            vector as is, tokens → first token, feature maps → mean).
        image_head: add a trained Dense to `embed_dim` on the image side.
        text_head: add a Dense to `embed_dim` on the text side.
        lock_image, lock_text: lock a tower.
        unlocked_image_groups, unlocked_text_groups: of a locked tower,
            the last groups that still train.
        image_groups, text_groups: regexes defining the groups (see
            `models.lock_groups`); default: by block names.
        image_output, text_output: key of a tower's dict output.
        max_sequence_length: text length L (default: what the text tower
            declares; required for export with keras-hub's BERT).
        text_pad_id: padding id for keras-hub towers' `padding_mask`
            (BERT: 0).
        temperature_init: initial exp(t) (LiT: 10).
        bias_init: initial b (LiT's SigLIP config: −2.71), None for none.
        **kwargs: passed to `keras.Model`.

    Example:

    >>> import numpy as np
    >>> from keras_lip.models import TextEncoder, ViTEncoder
    >>> vit = ViTEncoder(8, 32, 2, 64, 2, image_size=16, pool_type="none")
    >>> text = TextEncoder(50, 32, 1, 64, 2, max_sequence_length=8)
    >>> model = LiT(vit, text, image_pooling="gap")
    >>> model.compile()     # LiT's loss and optimizer; then model.fit(...)
    >>> {id(v) for v in vit.weights} & {id(v) for v in model.trainable_weights}
    set()
    >>> [name for name, _ in model.image_lock_groups()]
    ['stem', 'encoderblock_0', 'encoderblock_1', 'head']
    >>> tuple(model.embed_images(np.zeros((2, 16, 16, 3), "float32")).shape)
    (2, 32)
    """

    def __init__(self, image_encoder, text_encoder, embed_dim=None,
                 image_pooling="auto", text_pooling="auto", image_head=False,
                 text_head=True, lock_image=True, unlocked_image_groups=0,
                 lock_text=False, unlocked_text_groups=0, image_groups=None,
                 text_groups=None, image_output=None, text_output=None,
                 max_sequence_length=None, text_pad_id=0,
                 temperature_init=10.0, bias_init=-2.71, **kwargs):
        super().__init__(image_encoder, text_encoder,
                         temperature_init=temperature_init,
                         bias_init=bias_init, **kwargs)
        # === Config ===
        self.embed_dim = embed_dim
        self.use_image_head = bool(image_head)
        self.use_text_head = bool(text_head)
        self.lock_image = bool(lock_image)
        self.unlocked_image_groups = int(unlocked_image_groups)
        self.lock_text = bool(lock_text)
        self.unlocked_text_groups = int(unlocked_text_groups)
        self.image_groups = list(image_groups) if image_groups else None
        self.text_groups = list(text_groups) if text_groups else None
        self.image_output = image_output
        self.text_output = text_output
        self.max_sequence_length = max_sequence_length
        self.text_pad_id = int(text_pad_id)
        self._compile_kwargs = {}
        # === Layers ===
        self.image_pool = FeaturePooling(image_pooling, name="image_pooling")
        self.text_pool = FeaturePooling(text_pooling, name="text_pooling")
        self.image_head = None
        self.text_head = None
        self._lit_ready = True
        if self.image_shape is not None and self.text_length is not None:
            self.build()

    # --- Geometry -------------------------------------------------------

    @property
    def image_shape(self):
        if not getattr(self, "_lit_ready", False):
            return None  # TwoTower.__init__ must not build: LiT's layers
            # are made after it.
        return super().image_shape

    @property
    def text_length(self):
        length = getattr(self, "max_sequence_length", None)
        if length is not None:
            return int(length)
        if tower_io.variable_length(self.text_encoder):
            return None
        return text_length_of(self.text_encoder)

    @property
    def image_fully_locked(self):
        """The image tower is locked with no unlocked group."""
        return self.lock_image and self.unlocked_image_groups == 0

    def _check_keys(self, inputs):
        if isinstance(inputs, dict) and FEATURES in inputs and \
                "token_ids" in inputs:
            return
        super()._check_keys(inputs)

    def build(self, input_shape=None):
        if input_shape is not None and FEATURES in input_shape:
            if not self.image_encoder.built:
                raise ValueError(
                    "LiT got image_features, but its image tower is not "
                    "built: give it its input geometry (image_size).")
            input_shape = None
        super().build(input_shape)
        image = tower_io.select_output(
            tower_io.symbolic_output(self.image_encoder, tower_io.image_inputs(
                self.image_encoder,
                tower_io.symbolic(self.image_shape, "float32"))),
            self.image_output, "The image tower")
        text = tower_io.select_output(
            tower_io.symbolic_output(self.text_encoder, tower_io.text_inputs(
                self.text_encoder,
                tower_io.symbolic((self.text_length,), "int32"),
                self.text_pad_id)),
            self.text_output, "The text tower")
        self.image_pool.build(image.shape)
        self.text_pool.build(text.shape)
        if self.image_pool.has_weights:
            self.image_feature_shape = tuple(image.shape[1:])
        else:
            self.image_feature_shape = (int(image.shape[-1]),)
        width = self.embed_dim or int(image.shape[-1])
        if self.use_image_head and self.image_head is None:
            self.image_head = keras.layers.Dense(
                width, kernel_initializer="lecun_normal",
                dtype=self.dtype_policy, name="image_head")
            self.image_head.build((None, int(image.shape[-1])))
        if self.use_text_head and self.text_head is None:
            self.text_head = keras.layers.Dense(
                width, kernel_initializer="lecun_normal",
                dtype=self.dtype_policy, name="text_head")
            self.text_head.build((None, int(text.shape[-1])))
        self.built = True
        self._apply_locks()

    # --- Locking --------------------------------------------------------

    def _apply_locks(self):
        apply_lock(self.image_encoder, self.lock_image,
                   self.unlocked_image_groups, self.image_groups)
        apply_lock(self.text_encoder, self.lock_text,
                   self.unlocked_text_groups, self.text_groups)

    def image_lock_groups(self):
        """`[(name, [variables])]` of the image tower, in order."""
        return lock_groups(self.image_encoder, self.image_groups)

    def text_lock_groups(self):
        """`[(name, [variables])]` of the text tower, in order."""
        return lock_groups(self.text_encoder, self.text_groups)

    def set_lock(self, lock_image=None, unlocked_image_groups=None,
                 lock_text=None, unlocked_text_groups=None):
        """Changes what is locked, e.g. for a second stage of training.

        The trainable flags change at once. A compiled model is compiled
        again (same loss and compile arguments) with a copy of its
        optimizer that, when the next `fit` builds it, continues the step
        count (so the schedule) and every slot of the variables that were
        already trained; newly unlocked variables start with zero slots
        (`optimizers.carry_over`). Call it inside the distribution scope
        the model was made in.

        Example:

        >>> import numpy as np
        >>> from keras_lip.models import TextEncoder, ViTEncoder
        >>> vit = ViTEncoder(8, 32, 2, 64, 2, image_size=16)
        >>> text = TextEncoder(50, 32, 1, 64, 2, max_sequence_length=8)
        >>> model = LiT(vit, text)
        >>> model.compile()
        >>> len(model.trainable_weights) < len(model.weights)
        True
        >>> model.set_lock(unlocked_image_groups=2)   # last block + head
        >>> [len(vs) > 0 and all(v.trainable for v in vs)
        ...  for _, vs in model.image_lock_groups()]
        [False, False, True, True]
        """
        new = dict(lock_image=lock_image,
                   unlocked_image_groups=unlocked_image_groups,
                   lock_text=lock_text,
                   unlocked_text_groups=unlocked_text_groups)
        for key, value in new.items():
            if value is not None:
                setattr(self, key, type(getattr(self, key))(value))
        self._apply_locks()
        if getattr(self, "compiled", False) and self.optimizer is not None:
            self.compile(optimizer=carry_over(self.optimizer), loss=self.loss,
                         **self._compile_kwargs)

    # --- Forward --------------------------------------------------------

    def image_features(self, images, training=None):
        """The locked part of the image path: the tower's output (the dict
        entry `image_output`), pooled when the pooling has no weights,
        float32. What the feature cache stores."""
        images = ops.convert_to_tensor(images)
        self._check_input(images, "images", self.image_shape)
        if self.image_fully_locked:
            training = False
        x = self.image_encoder(
            tower_io.image_inputs(self.image_encoder, images),
            training=training)
        x = tower_io.select_output(x, self.image_output, "The image tower")
        if not self.image_pool.has_weights:
            x = self.image_pool(x)
        return ops.cast(x, "float32")

    def embed_image_features(self, features, training=None):
        """L2-normalised float32 image embeddings from `image_features`."""
        x = ops.convert_to_tensor(features)
        if self.image_pool.has_weights:
            x = self.image_pool(x)
        if self.image_head is not None:
            x = self.image_head(x)
        return l2_normalize(ops.cast(x, "float32"))

    def embed_images(self, images, training=None):
        return self.embed_image_features(
            self.image_features(images, training), training)

    def embed_texts(self, token_ids, training=None):
        token_ids = ops.convert_to_tensor(token_ids)
        length = self.text_length
        self._check_input(token_ids, "token_ids",
                          None if length is None else (length,))
        if self.lock_text and self.unlocked_text_groups == 0:
            training = False
        x = self.text_encoder(
            tower_io.text_inputs(self.text_encoder, token_ids,
                                 self.text_pad_id), training=training)
        x = self.text_pool(tower_io.select_output(x, self.text_output,
                                                  "The text tower"))
        if self.text_head is not None:
            x = self.text_head(x)
        return l2_normalize(ops.cast(x, "float32"))

    def call(self, inputs, training=None):
        self._check_keys(inputs)
        if "images" in inputs:
            image = self.embed_images(inputs["images"], training)
        else:
            image = self.embed_image_features(
                self._checked_features(inputs[FEATURES]), training)
        return {"image_embeddings": image,
                "text_embeddings": self.embed_texts(inputs["token_ids"],
                                                    training)}

    def _checked_features(self, features):
        if not self.image_fully_locked:
            raise ValueError(
                "LiT got precomputed image_features, but its image tower is "
                f"not fully locked (lock_image={self.lock_image}, "
                f"unlocked_image_groups={self.unlocked_image_groups}): "
                "train from images when any of the tower trains.")
        features = ops.convert_to_tensor(features)
        if tuple(features.shape[1:]) != self.image_feature_shape:
            raise ValueError(
                f"LiT: image_features of shape {list(features.shape)} do not "
                f"match the image tower's features [B, "
                f"{', '.join(map(str, self.image_feature_shape))}]; "
                "recompute the cache with this model.")
        return features

    # --- Training set-up ------------------------------------------------

    def compile(self, optimizer=None, loss=None, total_steps=None, **kwargs):
        """`keras.Model.compile` with LiT's loss and optimizer as defaults;
        `total_steps` gives the default optimizer LiT's cosine schedule."""
        self._compile_kwargs = dict(kwargs)
        super().compile(
            optimizer=lit_optimizer(total_steps) if optimizer is None
            else optimizer,
            loss=SigmoidContrastiveLoss() if loss is None else loss,
            **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update({
            "embed_dim": self.embed_dim,
            "image_pooling": self.image_pool.pool_type,
            "text_pooling": self.text_pool.pool_type,
            "image_head": self.use_image_head,
            "text_head": self.use_text_head,
            **{key: getattr(self, key) for key in _LOCKS},
            "image_groups": self.image_groups,
            "text_groups": self.text_groups,
            "image_output": self.image_output,
            "text_output": self.text_output,
            "max_sequence_length": self.max_sequence_length,
            "text_pad_id": self.text_pad_id,
        })
        return config
