"""Write a small TensorFlow checkpoint in the layout of Google MetaPose's stage-2 models.

Run in a separate environment with TensorFlow (never in the plugin's Python)::

    python -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install "tensorflow-cpu==2.15.1" "numpy<2"
    /tmp/tfenv/bin/python tests/data/multiview_metapose_tf/make_tf_checkpoint.py

The object graph follows what google-research/metapose ``train_metapose.py``
saves with ``ModelCheckpoint(save_weights_only=True)`` on its solver model (a
Keras 2 ``Model`` whose attribute ``models`` lists the stage models; each stage
model holds the Keras ``Sequential`` stacks ``main_mlp`` and ``pose_mlp``; the
legacy Keras Adam adds its slots). The layers are written here anew at the
geometry of ``configs/multiview_metapose/multiview-metapose_tiny-*-sample.py``
(4 views, 17 joints, 4 mixture components, spec ``32,32,ccat,32``, pose
embedding 32, pose MLP (32,)), float64, seeded. The stage's forward pass on a
fixed random input is saved too, so the conversion is checked against
TensorFlow's own output.

Outputs (beside this file): ``cam4/model.index``, ``cam4/model.data-00000-of-00001``
(the checkpoint), ``cam4_variables.npz`` (every checkpoint variable by its
checkpoint key, read back with ``tf.train.load_checkpoint``) and
``cam4_outputs.npz`` (``inputs`` (B, stage input) and ``outputs`` (B, 3K + 10V)).
"""
import os.path as osp

import numpy as np
import tensorflow as tf

HERE = osp.dirname(osp.abspath(__file__))
VIEWS, JOINTS, COMPONENTS = 4, 17, 4
SPEC, EMB, POSE_SIZES = (32, 32, 'ccat', 32), 32, (32, )

tfk = tf.keras
tfk.backend.set_floatx('float64')


class ViewMoments(tfk.layers.Layer):
    """``ccat``: concatenate the mean and population std over views (axis 1)."""

    def call(self, feats):
        views = tf.shape(feats)[1]
        mean = tf.repeat(tf.reduce_mean(feats, axis=1, keepdims=True), views, axis=1)
        std = tf.repeat(tf.math.reduce_std(feats, axis=1, keepdims=True), views, axis=1)
        return tf.concat([feats, mean, std], axis=2)


class StageModel(tfk.Model):
    """Per-view rows -> shared ``main_mlp`` -> view-averaged ``pose_mlp``."""

    def __init__(self):
        super().__init__()
        per_view = 3 * JOINTS + 2 + 10 + JOINTS * COMPONENTS * 4 + 2 * JOINTS
        layers = [tfk.layers.Dense(SPEC[0], 'selu', input_shape=(VIEWS, per_view))]
        for entry in SPEC:
            layers.append(ViewMoments() if entry == 'ccat' else tfk.layers.Dense(entry, 'selu'))
        layers.append(tfk.layers.Dense(EMB + 10))
        self.main_mlp = tfk.Sequential(layers)
        self.pose_mlp = tfk.Sequential(
            [tfk.layers.Dense(POSE_SIZES[0], 'selu', input_shape=(EMB, ))] +
            [tfk.layers.Dense(k, 'selu') for k in POSE_SIZES[1:]] + [tfk.layers.Dense(3 * JOINTS)])

    def call(self, inputs):
        batch = tf.shape(inputs)[0]
        x_size = 3 * JOINTS + 10 * VIEWS
        task_size = VIEWS * JOINTS * COMPONENTS * 4
        x, task, fwd, val_stage = tf.split(inputs, [x_size, task_size, 2 * VIEWS * JOINTS, 2], 1)
        pose = x[:, :3 * JOINTS]
        rot = tf.reshape(x[:, 3 * JOINTS:3 * JOINTS + 6 * VIEWS], (batch, VIEWS, 6))
        scale = tf.reshape(x[:, 3 * JOINTS + 6 * VIEWS:3 * JOINTS + 7 * VIEWS], (batch, VIEWS, 1))
        shift = tf.reshape(x[:, 3 * JOINTS + 7 * VIEWS:], (batch, VIEWS, 3))
        shared = tf.repeat(tf.concat([pose, val_stage], 1)[:, None], VIEWS, axis=1)
        rows = tf.concat([shared, rot, scale, shift, tf.reshape(task, (batch, VIEWS, -1)),
                          tf.reshape(fwd, (batch, VIEWS, -1))], 2)
        out = self.main_mlp(rows)
        emb, cams = out[..., :EMB], out[..., EMB:]
        d_pose = self.pose_mlp(tf.reduce_mean(emb, axis=1))
        return tf.concat([d_pose, tf.reshape(cams[..., :6], (batch, -1)), cams[..., 6],
                          tf.reshape(cams[..., 7:], (batch, -1))], 1)


class Solver(tfk.Model):
    """Holds the stage models under the attribute name the checkpoints use."""

    def __init__(self, models):
        super().__init__()
        self.models = models

    def call(self, inputs):
        return self.models[-1](inputs)


def main() -> None:
    tf.random.set_seed(20)
    rng = np.random.default_rng(20)
    solver = Solver([StageModel()])
    in_size = 3 * JOINTS + 10 * VIEWS + VIEWS * JOINTS * COMPONENTS * 4 + 2 * VIEWS * JOINTS + 2
    inputs = rng.normal(size=(3, in_size))
    solver(inputs)
    # biases are zero after Keras's init: give them values so a swap shows
    for var in solver.trainable_variables:
        if 'bias' in var.name:
            var.assign(rng.normal(scale=0.1, size=var.shape))
    optimizer = tfk.optimizers.legacy.Adam(1e-4)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(solver(inputs)**2)
    optimizer.apply_gradients(zip(tape.gradient(loss, solver.trainable_variables),
                                  solver.trainable_variables))
    solver.optimizer = optimizer
    prefix = osp.join(HERE, 'cam4', 'model')
    solver.save_weights(prefix)
    reader = tf.train.load_checkpoint(prefix)
    np.savez(osp.join(HERE, 'cam4_variables.npz'),
             **{k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()
                if k != '_CHECKPOINTABLE_OBJECT_GRAPH'})
    np.savez(osp.join(HERE, 'cam4_outputs.npz'), inputs=inputs,
             outputs=solver.models[0](inputs).numpy())


if __name__ == '__main__':
    main()
