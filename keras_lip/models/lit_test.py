"""LiT: what "locked" means after `fit`, unlocking groups (at once and in a
second stage), keras-hub towers, saving, and the precomputed-feature path."""

import os

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_lip import losses, models
from keras_lip.export import export_saved_model
from keras_lip.testing import TestCase
from keras_lip.testing import tiny_batch
from keras_lip.testing.lit_fixtures import tiny_bert, tiny_towers

BATCH, STEPS = 8, 2


def _data(batch=BATCH, steps=STEPS, pad_tail=False):
    data = tiny_batch(batch * steps, image_size=16, text_len=8, vocab_size=50)
    if pad_tail:  # BERT-style padding (id 0) at the end of every caption.
        data["token_ids"][:, -3:] = 0
    return data


def _fit(model, data, batch=BATCH):
    return model.fit(data, batch_size=batch, epochs=1, shuffle=False,
                     verbose=0)


def _snapshot(variables):
    return {v.path: np.array(keras.ops.convert_to_numpy(v)) for v in variables}


def _changed(before, variables):
    """Paths whose values moved."""
    now = _snapshot(variables)
    return {p for p in before if not np.array_equal(before[p], now[p])}


def _key_bias(path):
    # Attention is invariant to the key bias: its gradient is exactly zero
    # in exact arithmetic, so it may or may not move by rounding.
    return path.endswith("key/bias")


class LockedTowerTest(TestCase):
    @parameterized.named_parameters(("vit", "vit", "gap"),
                                    ("cnn_batchnorm", "cnn", "auto"))
    def test_fit_leaves_the_locked_tower_alone(self, image, pooling):
        tower, text = tiny_towers(image)
        model = models.LiT(tower, text, image_pooling=pooling)
        model.compile()  # LiT's AdamW: decay 0.01 and clipping are active.
        image_before = _snapshot(tower.weights)  # BatchNorm stats included.
        text_before = _snapshot(text.weights)
        scalars = _snapshot([model.logit_scale, model.logit_bias])
        _fit(model, _data())
        self.assertEqual(_changed(image_before, tower.weights), set())
        unchanged = set(text_before) - _changed(text_before, text.weights)
        self.assertEqual({p for p in unchanged if not _key_bias(p)}, set())
        self.assertEqual(len(_changed(scalars, [model.logit_scale,
                                                model.logit_bias])), 2)
        # No slots for the locked tower: Adam's 2 per trainable variable,
        # plus the step count and the learning rate.
        trainable = model.trainable_weights
        self.assertFalse({id(v) for v in tower.weights} &
                         {id(v) for v in trainable})
        self.assertLen(model.optimizer.variables, 2 + 2 * len(trainable))
        self.assertEqual([v.path for v in model.optimizer.variables
                          if tower.name in v.path], [])
        if image == "cnn":
            self.assertFalse(any(layer.trainable for layer in tower.layers))

    def test_decay_and_clipping_leave_the_locked_tower_out(self):
        """One SGD step with decay and a tight global-norm clip equals the
        hand-computed update over the trainable variables only."""
        tower, text = tiny_towers("vit")
        model = models.LiT(tower, text, image_pooling="gap", image_head=True)
        lr, wd, clip = 0.5, 0.2, 0.05
        model.compile(optimizer=keras.optimizers.SGD(
            lr, weight_decay=wd, global_clipnorm=clip),
            loss=losses.SigmoidContrastiveLoss())
        data = _data(steps=1)
        variables = model.trainable_variables
        start = [np.array(keras.ops.convert_to_numpy(v)) for v in variables]
        grads = _gradients(model, data, variables + list(tower.weights))
        trainable_grads = grads[:len(variables)]
        norm = np.sqrt(sum(np.sum(g ** 2) for g in trainable_grads))
        with_tower = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        # The test can fail: the tower's gradient would change the norm.
        self.assertGreater(with_tower, 1.1 * norm)
        self.assertGreater(norm, clip)  # Clipping is active.
        scale = clip / norm
        _fit(model, data)
        for v, w, g in zip(variables, start, trainable_grads):
            want = w * (1 - lr * wd) - lr * scale * g
            self.assertAllClose(v, want, atol=2e-6, rtol=1e-5, msg=v.path)


def _gradients(model, data, variables):
    """d loss / d variables of one training forward pass."""
    if keras.config.backend() == "tensorflow":
        with tf.GradientTape() as tape:
            tape.watch([v.value for v in variables])
            y = model(data, training=True)
            loss = model.compute_loss(y_pred=y)
        grads = tape.gradient(loss, [v.value for v in variables])
        return [np.asarray(tf.convert_to_tensor(g)) for g in grads]
    import jax

    def loss_fn(values):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            y = model(data, training=True)
            return model.compute_loss(y_pred=y)

    values = [v.value for v in variables]
    return [np.asarray(g) for g in jax.grad(loss_fn)(values)]


class UnlockTest(TestCase):
    def test_groups_of_keras_lip_and_keras_hub_towers(self):
        vit, text = tiny_towers("vit")
        self.assertEqual([n for n, _ in models.lock_groups(vit)],
                         ["stem", "encoderblock_0", "encoderblock_1", "head"])
        self.assertEqual([n for n, _ in models.lock_groups(text)],
                         ["stem", "encoderblock_0", "encoderblock_1", "head"])
        hub_vit, _ = tiny_towers("hub_vit")
        groups = models.lock_groups(hub_vit)
        self.assertEqual([n for n, _ in groups],
                         ["stem", "transformer_block_1",
                          "transformer_block_2", "head"])
        self.assertIn("class_token", groups[0][1][0].path)
        self.assertEqual([v.path for v in groups[-1][1]],
                         ["vit_encoder/ln/gamma", "vit_encoder/ln/beta"])
        siglip, _ = tiny_towers("hub_siglip")
        self.assertEqual([n for n, _ in models.lock_groups(siglip)],
                         ["stem", "encoder_block_0", "encoder_block_1",
                          "head"])
        bert = tiny_bert()
        self.assertEqual([n for n, _ in models.lock_groups(bert)],
                         ["stem", "transformer_layer_0",
                          "transformer_layer_1", "head"])
        cnn, _ = tiny_towers("cnn")
        self.assertEqual([n for n, _ in models.lock_groups(cnn)],
                         ["block_0", "block_1", "head"])
        every = [v.path for _, vs in models.lock_groups(
            cnn, patterns=["block_0", ".*"]) for v in vs]
        self.assertCountEqual(every, [v.path for v in cnn.weights])
        with self.assertRaisesRegex(ValueError, "match none of these"):
            models.lock_groups(cnn, patterns=["block_0"])

    @parameterized.named_parameters(("hub_vit", "hub_vit", 2),
                                    ("cnn", "cnn", 2))
    def test_only_unlocked_groups_change(self, image, unlocked):
        tower, text = tiny_towers(image)
        model = models.LiT(tower, text, unlocked_image_groups=unlocked)
        model.compile()
        groups = model.image_lock_groups()
        before = _snapshot(tower.weights)
        _fit(model, _data())
        changed = _changed(before, tower.weights)
        for i, (name, variables) in enumerate(groups):
            paths = {v.path for v in variables}
            if i < len(groups) - unlocked:  # Locked: BatchNorm stats too.
                self.assertEqual(paths & changed, set(), name)
            else:
                moving = {v.path for v in variables if v.trainable}
                self.assertEqual(moving - changed, set(), name)
        if image == "cnn":  # Locked BatchNorm runs in inference mode.
            self.assertFalse(tower.get_layer("block_0_bn").trainable)
            self.assertTrue(tower.get_layer("block_1_bn").trainable)

    def test_set_lock_carries_the_optimizer_state(self):
        tower, text = tiny_towers("vit")
        model = models.LiT(tower, text, image_pooling="gap")
        model.compile()
        data = _data()
        _fit(model, data)
        old = model.optimizer
        old_slots = {v.path: (np.array(m), np.array(s)) for v, m, s in zip(
            model.trainable_variables, old._momentums, old._velocities)}
        head = {v.path for v in model.image_lock_groups()[-1][1]}
        model.set_lock(unlocked_image_groups=1)
        self.assertIsNot(model.optimizer, old)
        model.optimizer.build(model.trainable_variables)
        new = model.optimizer
        self.assertEqual(int(new.iterations), STEPS)
        for v, m, s in zip(model.trainable_variables, new._momentums,
                           new._velocities):
            if v.path in head:
                self.assertEqual(float(np.abs(m).sum() + np.abs(s).sum()), 0)
            else:
                self.assertAllClose(m, old_slots[v.path][0], atol=0, rtol=0)
                self.assertAllClose(s, old_slots[v.path][1], atol=0, rtol=0)
        self.assertEqual(set(old_slots) | head,
                         {v.path for v in model.trainable_variables})
        before = _snapshot(tower.weights)
        _fit(model, data)
        self.assertEqual(_changed(before, tower.weights), head)
        self.assertEqual(int(model.optimizer.iterations), 2 * STEPS)

    def test_text_locked_too_trains_only_heads(self):
        tower, text = tiny_towers("vit")
        model = models.LiT(tower, text, image_pooling="map", image_head=True,
                           lock_text=True)
        model.compile()
        before = _snapshot(tower.weights + text.weights)
        heads = [*model.image_pool.weights, *model.image_head.weights,
                 *model.text_head.weights]
        heads_before = _snapshot(heads)
        _fit(model, _data())
        self.assertEqual(_changed(before, tower.weights + text.weights),
                         set())
        self.assertEqual(len(_changed(heads_before, heads)), len(heads))


class HubTowersAndSavingTest(TestCase):
    def test_keras_hub_bert_and_siglip_vision(self):
        image, _ = tiny_towers("hub_siglip")
        bert = tiny_bert()
        model = models.LiT(image, bert, max_sequence_length=8)
        self.assertTrue(model.built)
        model.compile()
        data = _data(pad_tail=True)
        bert_before = _snapshot(bert.weights)
        image_before = _snapshot(image.weights)
        _fit(model, data)
        self.assertEqual(_changed(image_before, image.weights), set())
        # BERT's pooler is unused (LiT pools the CLS token of the sequence
        # output, as big_vision); it gets no gradient (on JAX Keras passes
        # zeros, so weight decay still shrinks its kernel).
        pooler = {"pooled_dense/kernel", "pooled_dense/bias"}
        unchanged = set(bert_before) - _changed(bert_before, bert.weights)
        self.assertEqual({p for p in unchanged if not _key_bias(p)} - pooler,
                         set())
        self.assertIn("pooled_dense/bias", unchanged)
        # Padding is masked: changing padded ids changes nothing.
        ids = data["token_ids"][:4]
        other = ids.copy()
        other[:, -3:] = 0
        self.assertAllClose(model.embed_texts(ids), model.embed_texts(other))
        # (.keras round trips: test_save_load_and_export_keep_the_lock.)

    def test_save_load_and_export_keep_the_lock(self):
        tower, text = tiny_towers("cnn")
        model = models.LiT(tower, text, unlocked_image_groups=1,
                           image_head=True, embed_dim=24)
        model.compile(total_steps=10)
        data = _data()
        _fit(model, data)
        restored = self.run_model_saving_test(
            model, {k: v[:4] for k, v in data.items()})
        self.assertEqual([v.path for v in restored.trainable_weights],
                         [v.path for v in model.trainable_weights])
        self.assertFalse(restored.image_encoder.get_layer("block_0_bn")
                         .trainable)
        self.assertAllClose(restored.optimizer.iterations, STEPS)
        for a, b in zip(restored.optimizer.variables,
                        model.optimizer.variables):
            self.assertAllClose(a, b, atol=0, rtol=0, msg=b.path)
        path = os.path.join(self.get_temp_dir(), "saved")
        export_saved_model(model, path)
        served = tf.saved_model.load(path)
        self.assertAllClose(served.embed_images(data["images"][:4]),
                            model.embed_images(data["images"][:4]),
                            atol=1e-5)
        self.assertAllClose(served.embed_texts(data["token_ids"][:4]),
                            model.embed_texts(data["token_ids"][:4]),
                            atol=1e-5)


class PrecomputedFeaturesTest(TestCase):
    def test_features_path_gives_the_same_weights(self):
        """Learned ("map") pooling: the cache holds token sequences."""
        pooling = "map"
        data = _data()

        def trained(from_features):
            tower, text = tiny_towers("vit", seed=3)
            model = models.LiT(tower, text, image_pooling=pooling)
            model.compile(total_steps=STEPS)
            batch = dict(data)
            if from_features:
                batch = {"image_features": np.concatenate([
                    keras.ops.convert_to_numpy(model.image_features(
                        data["images"][i:i + BATCH]))
                    for i in range(0, len(data["images"]), BATCH)]),
                    "token_ids": data["token_ids"]}
            _fit(model, batch)
            return model

        initial = models.LiT(*tiny_towers("vit", seed=3),
                             image_pooling=pooling).get_weights()
        direct, cached = trained(False), trained(True)
        self.assertEqual(cached.image_feature_shape, (4, 32))
        moved = 0.0
        for a, b, start in zip(cached.weights, direct.weights, initial):
            if _key_bias(b.path):
                continue
            self.assertAllClose(a, b, atol=1e-6, rtol=1e-5, msg=b.path)
            moved = max(moved, float(np.max(np.abs(
                keras.ops.convert_to_numpy(b) - start))))
        self.assertGreater(moved, 1e-4)

    def test_errors(self):
        tower, text = tiny_towers("vit")
        with self.assertRaisesRegex(ValueError, "has 4 groups"):
            models.LiT(tower, text, unlocked_image_groups=5)
        model = models.LiT(tower, text, unlocked_image_groups=1)
        features = np.zeros((2, 32), "float32")
        with self.assertRaisesRegex(ValueError, "not fully locked"):
            model({"image_features": features,
                   "token_ids": np.ones((2, 8), "int32")})
        model.set_lock(unlocked_image_groups=0)
        self.assertEqual(model.image_feature_shape, (32,))  # "tok" pooled.
        with self.assertRaisesRegex(ValueError, r"\[B, 32\]"):
            model({"image_features": features[:, :31],
                   "token_ids": np.ones((2, 8), "int32")})
        with self.assertRaisesRegex(ValueError, "already gives"):
            models.LiT(*tiny_towers("hub_siglip"), image_pooling="tok")
