"""Write the reference's record layout with tensorflow-datasets itself (run once).

Makes ``pre/`` and ``opt/`` (each ``features.json`` + ``dataset.tfrec``, a
tfds ``FeaturesDict`` of ``Tensor`` features, the layout of Google MetaPose's
released ``data/h36m/{pre,opt}``) from the three synthetic records of the
shared multi-view fixture (``metapose_ref.npz``: ``rec{0,1,2}/in/*`` the
``pre`` fields, ``rec{i}/s1/*`` the reference's stage-1 output of the same
record, i.e. the ``opt`` fields), and ``decoded.npz``: every field of every
record as tensorflow-datasets' own parser reads it back (``pre/<i>/<field>``,
``opt/<i>/<field>``). Field names, shapes and dtypes are those of the
reference's ``launch_anipose.py`` (``pre``) and ``launch_iterative_solver.py``
(``opt``, 4 cameras, 51 reports); writing goes through
``FeaturesDict.save_config``, ``ExampleSerializer`` and ``TFRecordWriter`` as
the reference's ``data_utils`` does.

Needs TensorFlow and tensorflow-datasets (never in the project's Python; see
README.md here for the environment used)::

    python generate_records.py FIXTURE_DIR OUT_DIR
"""
import argparse
import os
import os.path as osp

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

PRE_FIELDS = {
    'pose3d': ((17, 3), tf.float64),
    'cam_pose3d': ((4, 3), tf.float64),
    'cam_rot': ((4, 3, 3), tf.float64),
    'cam_intr': ((4, 4), tf.float64),
    'cam_kd': ((4, 5), tf.float64),
    'pose2d_gt': ((4, 17, 2), tf.float64),
    'pose2d_repr': ((4, 17, 2), tf.float64),
    'heatmaps': ((4, 17, 4, 4), tf.float64),
    'pose2d_pred': ((4, 17, 2), tf.float64),
    'keys': ((4, ), tf.string),
    'bboxes': ((4, 4), tf.int32),
    'pose3d_epi_pred': ((4, 17, 3), tf.float32),
}
REPORTS = 51
OPT_FIELDS = {
    'loss': ((REPORTS, ), tf.float32),
    'iters': ((REPORTS, ), tf.int32),
    'pose3d_opt_preds': ((REPORTS, 17, 3), tf.float32),
    'cam_rot_opt_preds': ((REPORTS, 4, 3, 3), tf.float32),
    'scale_opt_preds': ((REPORTS, 4), tf.float32),
    'shift_opt_preds': ((REPORTS, 4, 3), tf.float32),
    'pose2d_opt_preds': ((REPORTS, 4, 17, 2), tf.float32),
    'pose3d_gt_aligned_pred_3d_proj': ((REPORTS, 4, 17, 2), tf.float32),
    'pose3d_pred_pmpjpe': ((REPORTS, ), tf.float32),
    'pose2d_pred_err': ((REPORTS, ), tf.float32),
    'pose2d_pred_vs_posenet_err': ((REPORTS, ), tf.float32),
    'pose2d_gt_posenet_err_mean': ((), tf.float32),
    'pose3d_gt_backaligned_pose2d_gt_err': ((REPORTS, ), tf.float32),
    **PRE_FIELDS,
    'cam_subset': ((4, ), tf.int32),
}
# fields the stage-1 run stores in bbox units (the fixture's ``s1/conv_*``)
CONVERTED = ('pose2d_gt', 'pose2d_repr', 'heatmaps', 'pose2d_pred')


def pre_record(ref, index: int) -> dict:
    rec = {name: ref[f'rec{index}/in/{name}'] for name in PRE_FIELDS if name != 'keys'}
    # 's%07d_f%07d_c%02d' % (sequence, frame, camera), as the reference's docstring
    rec['keys'] = np.array([b's%07d_f%07d_c%02d' % (index + 1, 10 * index + 5, cam)
                            for cam in range(4)], dtype=object)
    return rec


def opt_record(ref, index: int) -> dict:
    rec = pre_record(ref, index)
    for name in CONVERTED:
        rec[name] = ref[f'rec{index}/s1/conv_{name}']
    for name in OPT_FIELDS:
        if name not in rec and name != 'cam_subset':
            rec[name] = ref[f'rec{index}/s1/{name}']
    rec['cam_subset'] = np.arange(4, dtype=np.int32)
    return rec


def write_split(records, fields: dict, out_dir: str) -> list:
    """Write as the reference's data_utils, then read back with tfds's parser."""
    spec = tfds.features.FeaturesDict(
        {name: tfds.features.Tensor(shape=shape, dtype=dtype)
         for name, (shape, dtype) in fields.items()})
    os.makedirs(out_dir, exist_ok=True)
    spec.save_config(out_dir)
    serializer = tfds.core.example_serializer.ExampleSerializer(spec.get_serialized_info())
    with tf.io.TFRecordWriter(osp.join(out_dir, 'dataset.tfrec')) as writer:
        for rec in records:
            writer.write(serializer.serialize_example(spec.encode_example(rec)))
    reread = tfds.features.FeaturesDict.from_config(out_dir)
    parser = tfds.core.example_parser.ExampleParser(reread.get_serialized_info())
    return [{k: v.numpy() for k, v in parser.parse_example(raw).items()}
            for raw in tf.data.TFRecordDataset(osp.join(out_dir, 'dataset.tfrec'))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('fixture_dir')
    parser.add_argument('out_dir')
    args = parser.parse_args()
    ref = np.load(osp.join(args.fixture_dir, 'metapose_ref.npz'))
    decoded = {}
    for split, fields, make in (('pre', PRE_FIELDS, pre_record), ('opt', OPT_FIELDS, opt_record)):
        records = [make(ref, index) for index in range(3)]
        for index, rec in enumerate(write_split(records, fields, osp.join(args.out_dir, split))):
            # byte strings as a fixed-width array (no pickled objects in the npz)
            decoded.update({f'{split}/{index}/{name}': value.astype(bytes) if value.dtype == object
                            else value for name, value in rec.items()})
    np.savez_compressed(osp.join(args.out_dir, 'decoded.npz'), **decoded)
    print('tensorflow', tf.__version__, 'tensorflow-datasets', tfds.__version__,
          'numpy', np.__version__)


if __name__ == '__main__':
    main()
