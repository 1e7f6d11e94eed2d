"""MPIINF3DHPSequenceDataset on the shipped synthetic sample
(data/mpi_inf_3dhp_sample): valid masks, per-sequence 2D normalisation,
skeletons and the H36M <-> 3DHP joint maps."""
import os.path as osp

import numpy as np
import pytest
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import KEYPOINT_CODECS

from metapose_plugin.datasets.datasets import MPIINF3DHPSequenceDataset
from metapose_plugin.datasets.datasets.mpi_inf_3dhp_mat_layout import load_annot_data
from metapose_plugin.datasets.samples.mpi_inf_3dhp_sample import make_synthetic_mpi_inf_3dhp
from metapose_plugin.structures.mpi_inf_3dhp_joints import (H36M_FROM_MPI_INF_3DHP,
                                                            MPI_INF_3DHP_FLIP_INDICES,
                                                            MPI_INF_3DHP_FROM_H36M,
                                                            MPI_INF_3DHP_JOINT_NAMES,
                                                            from_joint_order, to_joint_order)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
SAMPLE = osp.join(REPO, 'data', 'mpi_inf_3dhp_sample')


def _npz(name):
    return np.load(osp.join(SAMPLE, name), allow_pickle=True)['data'].item()


def _dataset(ann_file='data_test_3dhp.npz', **kwargs):
    kwargs.setdefault('test_mode', ann_file.startswith('data_test'))
    return MPIINF3DHPSequenceDataset(ann_file=ann_file, data_root=SAMPLE,
                                     **kwargs)


def test_sample_is_what_the_generator_writes(tmp_path):
    written = make_synthetic_mpi_inf_3dhp(str(tmp_path))
    for name in ('data_train_3dhp.npz', 'data_test_3dhp_ori.npz'):
        shipped = _npz(name)
        again = np.load(str(tmp_path / name), allow_pickle=True)['data'].item()
        assert sorted(shipped) == sorted(again)
    test = _npz('data_test_3dhp.npz')
    for sequence, values in written['test'].items():
        np.testing.assert_array_equal(test[sequence]['data_3d'],
                                      values['univ_annot3'].astype(np.float32))
        annot = load_annot_data(osp.join(SAMPLE, sequence, 'annot_data.mat'))
        np.testing.assert_array_equal(annot['activity'], values['activity'])


def test_test_windows_valid_frames_only_and_edges():
    test = _npz('data_test_3dhp.npz')
    dataset = _dataset(seq_len=9, annot_root='.')
    # P-STMO: one window per valid frame, centred
    assert len(dataset) == sum(int(v['valid'].sum()) for v in test.values())
    counted = {}
    for info in (dataset[i] for i in range(len(dataset))):
        sequence = info['sequence']
        valid = test[sequence]['valid'].astype(bool)
        target = int(info['target_frame_ids'][0])
        assert info['target_valid'].all() and valid[target]
        assert info['frame_ids'][4] == target
        # neighbours may be invalid; the window is clipped at the ends
        np.testing.assert_array_equal(info['valid'],
                                      valid[info['frame_ids']])
        raw = target - 4 + np.arange(9)
        np.testing.assert_array_equal(info['pad_mask'],
                                      (raw < 0) | (raw >= len(valid)))
        assert info['keypoints'].shape == (9, 17, 2)
        assert info['lifting_target'].shape == (1, 17, 3)
        counted[sequence] = counted.get(sequence, 0) + 1
        annot = load_annot_data(osp.join(SAMPLE, sequence, 'annot_data.mat'))
        assert info['target_activity'][0] == annot['activity'][target]
    assert counted == {s: int(v['valid'].sum()) for s, v in test.items()}
    assert any(not d['valid'].all() for d in (dataset[0], dataset[1]))


def test_test_chunks_cover_every_frame_once():
    test = _npz('data_test_3dhp.npz')
    dataset = _dataset(seq_len=10, sample_mode='test_chunks')
    seen = {}
    for info in (dataset[i] for i in range(len(dataset))):
        real = ~info['target_pad_mask']
        for frame, valid in zip(info['target_frame_ids'][real],
                                info['target_valid'][real]):
            seen.setdefault(info['sequence'], {})[int(frame)] = bool(valid)
        assert (info['target_activity'] == 0).all()  # no annot_root
    for sequence, values in test.items():
        assert sorted(seen[sequence]) == list(range(len(values['valid'])))
        assert [seen[sequence][i] for i in range(len(values['valid']))] == \
            values['valid'].astype(bool).tolist()


def test_per_sequence_normalisation_through_the_codec():
    """VideoPoseLifting normalises with the sequence's own image size:
    x / w * 2 - 1, y / w * 2 - h / w (TS5/TS6: 1920 x 1080)."""
    test = _npz('data_test_3dhp.npz')
    codec = KEYPOINT_CODECS.build(
        dict(type='VideoPoseLifting', num_keypoints=17, root_index=14,
             remove_root=False, zero_center=True))
    dataset = _dataset(seq_len=1)
    checked = set()
    for info in (dataset[i] for i in range(len(dataset))):
        if info['sequence'] in checked:
            continue
        checked.add(info['sequence'])
        w, h = (1920, 1080) if info['sequence'] in ('TS5', 'TS6') else (2048,
                                                                        2048)
        assert info['camera_param'] == dict(w=w, h=h)
        encoded = codec.encode(info['keypoints'], info['keypoints_visible'],
                               info['lifting_target'],
                               info['lifting_target_visible'],
                               info['camera_param'])
        frame = int(info['target_frame_ids'][0])
        pixels = test[info['sequence']]['data_2d'][frame].astype(np.float64)
        expected = pixels / w * 2 - [1, h / w]
        np.testing.assert_allclose(
            np.asarray(encoded['keypoint_labels']).reshape(17, 2), expected,
            atol=1e-6)
        # the target is root-relative (root 14) in metres
        target = test[info['sequence']]['data_3d'][frame].astype(np.float64)
        np.testing.assert_allclose(
            np.asarray(encoded['lifting_target_label']).reshape(17, 3),
            (target - target[14]) / 1000, atol=1e-6)
    assert checked == set(test)


def test_train_views_and_skeletons():
    train = _npz('data_train_3dhp.npz')
    dataset = _dataset('data_train_3dhp.npz', seq_len=8, sample_mode='chunks')
    assert dataset.skeleton == 'univ_annot3'
    views = {(i['sequence'], i['camera_id']) for i in
             (dataset[k] for k in range(len(dataset)))}
    assert views == {(s, c) for s, entry in train.items() for c in entry[0]}
    info = dataset[0]
    assert info['camera_param'] == dict(w=2048, h=2048)
    assert info['valid'].all()
    view = train[info['sequence']][0][info['camera_id']]
    np.testing.assert_allclose(info['keypoints_3d'],
                               view['data_3d'][info['frame_ids']] / 1000,
                               atol=1e-6)
    ori = _dataset('data_train_3dhp_ori.npz', seq_len=8, sample_mode='chunks')
    assert ori.skeleton == 'annot3'
    other = _npz('data_train_3dhp_ori.npz')[info['sequence']][0][
        info['camera_id']]['data_3d']
    np.testing.assert_allclose(ori[0]['keypoints_3d'],
                               other[ori[0]['frame_ids']] / 1000, atol=1e-6)
    assert not np.allclose(ori[0]['keypoints_3d'], info['keypoints_3d'])


def test_h36m_joint_map_round_trip_and_names():
    poses = np.random.RandomState(0).rand(3, 17, 3)
    np.testing.assert_array_equal(
        from_joint_order(to_joint_order(poses, 'h36m'), 'h36m'), poses)
    np.testing.assert_array_equal(
        np.asarray(H36M_FROM_MPI_INF_3DHP)[list(MPI_INF_3DHP_FROM_H36M)],
        np.arange(17))
    h36m = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/h36m.py'))
    names = [h36m['keypoint_id2name'][i] for i in range(17)]
    # SPEC_3DHP section 2: thorax = neck, neck/nose = head, head = head_top
    expected = {
        'root': 'pelvis', 'right_hip': 'right_hip', 'right_knee':
        'right_knee', 'right_foot': 'right_ankle', 'left_hip': 'left_hip',
        'left_knee': 'left_knee', 'left_foot': 'left_ankle', 'spine':
        'spine', 'thorax': 'neck', 'neck_base': 'head', 'head': 'head_top',
        'left_shoulder': 'left_shoulder', 'left_elbow': 'left_elbow',
        'left_wrist': 'left_wrist', 'right_shoulder': 'right_shoulder',
        'right_elbow': 'right_elbow', 'right_wrist': 'right_wrist'
    }
    assert [MPI_INF_3DHP_JOINT_NAMES[j] for j in H36M_FROM_MPI_INF_3DHP
            ] == [expected[n] for n in names]
    # flipping commutes with the map
    order = np.asarray(H36M_FROM_MPI_INF_3DHP)
    np.testing.assert_array_equal(
        np.asarray(MPI_INF_3DHP_FLIP_INDICES)[order],
        order[h36m['flip_indices']])

    native = _dataset(seq_len=3)
    mapped = _dataset(seq_len=3, joint_order='h36m')
    assert mapped.metainfo['flip_indices'] == h36m['flip_indices']
    assert native.metainfo['flip_indices'] == list(MPI_INF_3DHP_FLIP_INDICES)
    for index in (0, len(native) - 1):
        a, b = native[index], mapped[index]
        np.testing.assert_array_equal(b['keypoints'], a['keypoints'][:, order])
        np.testing.assert_array_equal(b['lifting_target'],
                                      a['lifting_target'][:, order])
        np.testing.assert_array_equal(
            from_joint_order(b['keypoints_3d'], 'h36m'), a['keypoints_3d'])


def test_bad_input_names_file_sequence_and_field(tmp_path):
    test = _npz('data_test_3dhp.npz')
    del test['TS3']['valid']
    path = str(tmp_path / 'data_test_3dhp.npz')
    np.savez(path, data=np.array(test, dtype=object))
    with pytest.raises(ValueError, match=r"data_test_3dhp.npz: TS3: no 'valid'"):
        MPIINF3DHPSequenceDataset(ann_file=path, test_mode=True)
    test = _npz('data_test_3dhp.npz')
    test['TS2']['valid'] = 1 - test['TS2']['valid']
    np.savez(path, data=np.array(test, dtype=object))
    with pytest.raises(ValueError, match='TS2.*valid_frame'):
        MPIINF3DHPSequenceDataset(ann_file=path, annot_root=SAMPLE,
                                  test_mode=True)
    test = _npz('data_test_3dhp.npz')
    test['TS7'] = test['TS1']
    np.savez(path, data=np.array(test, dtype=object))
    with pytest.raises(ValueError, match='no image size for test sequence TS7'):
        MPIINF3DHPSequenceDataset(ann_file=path, test_mode=True)


def test_mpm16_order():
    """MPM's 16 joints: head_top averaged with head, neck dropped, root 0;
    left/right pairs [4, 5, 6, 10, 11, 12] <-> [1, 2, 3, 13, 14, 15]."""
    native = _dataset(seq_len=3)
    mpm = _dataset(seq_len=3, joint_order='mpm16')
    flip = mpm.metainfo['flip_indices']
    for left, right in zip((4, 5, 6, 10, 11, 12), (1, 2, 3, 13, 14, 15)):
        assert flip[left] == right and flip[right] == left
    a, b = native[5], mpm[5]
    assert b['keypoints_3d'].shape == (3, 16, 3)
    np.testing.assert_allclose(
        b['keypoints_3d'][:, 9],
        (a['keypoints_3d'][:, 0] + a['keypoints_3d'][:, 16]) / 2, atol=1e-6)
    np.testing.assert_array_equal(b['keypoints_3d'][:, 0],
                                  a['keypoints_3d'][:, 14])
    with pytest.raises(ValueError, match='no inverse'):
        from_joint_order(b['keypoints_3d'], 'mpm16')


def test_sequence_filter():
    dataset = _dataset('data_train_3dhp.npz', sequences=['S2 Seq1'],
                       seq_len=8, sample_mode='chunks')
    assert {dataset[i]['sequence'] for i in range(len(dataset))} == {
        'S2 Seq1'}
    assert len(dataset) == 2 * 48 // 8  # two views of 48 frames
    with pytest.raises(ValueError, match=r"sequences \['S9 Seq1'\] are not"):
        _dataset('data_train_3dhp.npz', sequences=['S9 Seq1'])
