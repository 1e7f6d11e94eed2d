"""H36MMultiViewDataset on the shipped synthetic sample (4 cameras, real calibration)."""
import os.path as osp

import numpy as np
import pytest
import torch

from metapose_plugin.datasets.datasets.h36m_multiview_dataset import H36MMultiViewDataset
from metapose_plugin.datasets.transforms.pack_multiview_metapose_inputs import \
    PackMultiViewMetaPoseInputs
from metapose_plugin.evaluation.functional.multiview_metrics import solution_metrics
from metapose_plugin.structures.multiview.dlt_triangulation import triangulate_dlt
from metapose_plugin.structures.multiview.multiview_inputs import check_views

SAMPLE = osp.join(osp.dirname(__file__), '..', '..', '..', 'data', 'h36m_videopose3d_sample')
DETECTIONS = 'data_2d_h36m_cpn_ft_h36m_dbb.npz'


def _dataset(subset=(0, 1, 2, 3), reference=False, **kwargs):
    torch.set_num_threads(1)
    stage1 = dict(type='MultiViewMetaPoseS1Solver', init_with_view0=not reference,
                  report_mode='reference' if reference else 'current')
    kwargs.setdefault('data_root', SAMPLE)
    return H36MMultiViewDataset(ann_file='data_3d_h36m.npz', keypoint_2d_file=DETECTIONS,
                                subjects=['S9', 'S11'], camera_subset=subset,
                                mono3d_source='oracle_noisy_gt', stage1=stage1, **kwargs)


def _stack(dataset, key):
    return torch.from_numpy(np.stack([dataset.get_data_info(i)[key] for i in range(len(dataset))]))


@pytest.fixture(scope='module')
def four_views():
    return _dataset()


def test_frames_group_cameras_in_subset_order(four_views):
    assert len(four_views) == 154  # S9 + S11 frames of the sample, 4 views each
    info = four_views.get_data_info(0)
    assert info['num_views'] == 4 and info['mixtures'].shape == (4, 17, 4, 4)
    assert info['x_init'].shape == (17 * 3 + 40, ) and info['task'].shape == (4 * 17 * 16, )
    reordered = _dataset(subset=(2, 0), frame_step=5)
    other = reordered.get_data_info(0)
    assert other['camera_subset'] == (2, 0) and other['frame'] == info['frame']
    np.testing.assert_allclose(other['keypoints_2d'], info['keypoints_2d'][[2, 0]])
    # world mm from either view's float32 camera-frame joints
    np.testing.assert_allclose(other['pose3d'], info['pose3d'], atol=1e-3, rtol=0)
    assert not np.allclose(other['pose3d_cam0'], info['pose3d_cam0'])  # view 0 is camera 2 now


def test_stage1_lowers_pmpjpe_from_its_initialisation(four_views):
    gt, gt_cam0 = _stack(four_views, 'pose3d'), _stack(four_views, 'pose3d_cam0')
    init = solution_metrics(_stack(four_views, 'init_pose').double(),
                            _stack(four_views, 'init_rot0').double(), gt, gt_cam0)
    final = solution_metrics(_stack(four_views, 's1_pose').double(),
                             _stack(four_views, 's1_rot0').double(), gt, gt_cam0)
    assert final['pmpjpe'].mean() < 0.8 * init['pmpjpe'].mean()
    assert final['pmpjpe_proper'].mean() < 0.8 * init['pmpjpe_proper'].mean()
    # calibrated DLT on the same detections, for scale: better than uncalibrated stage 1
    dlt = np.stack([triangulate_dlt(info['keypoints_2d'], info['projections'])
                    for info in map(four_views.get_data_info, range(len(gt)))])
    dlt_err = solution_metrics(torch.from_numpy(dlt * 1000), _stack(four_views, 'cam0_rotation'),
                               gt, gt_cam0)['pmpjpe']
    assert dlt_err.mean() < final['pmpjpe'].mean()


def test_pack_transform_builds_labels(four_views):
    packed = PackMultiViewMetaPoseInputs()(dict(four_views.get_data_info(3)))
    labels = packed['data_samples'].gt_instance_labels
    assert packed['inputs'].dtype == torch.float64 and labels.pose2d.shape == (1, 4, 17, 2)
    assert packed['data_samples'].metainfo['num_views'] == 4


def test_bad_inputs_name_view_frame_and_field():
    good = np.zeros((5, 17, 2))
    with pytest.raises(ValueError, match='needs >= 2'):
        check_views([good], 'clip')
    with pytest.raises(ValueError, match=r'different frame counts \[5, 4\]'):
        check_views([good, good[:4]], 'clip')
    bad = good.copy()
    bad[3, 2, 0] = np.nan
    with pytest.raises(ValueError, match='view 1 frame 3: field keypoints'):
        check_views([good, bad], 'clip')
    mix = np.ones((5, 17, 4, 4))
    mix[2, 0, 1, 3] = 0.0
    with pytest.raises(ValueError, match='view 0 frame 2: mixture field variance'):
        check_views([good, good], 'clip', [mix, np.ones((5, 17, 4, 4))])
    with pytest.raises(ValueError, match='camera_subset'):
        _dataset(subset=(1, ))


def test_cache_file_round_trip_rebuilds_on_other_settings_or_inputs(tmp_path, monkeypatch):
    cache = str(tmp_path / 'frames.pkl')
    built = _dataset(subset=(0, 1), frame_step=10, cache_file=cache)
    builds = []
    original = H36MMultiViewDataset.build_frames
    monkeypatch.setattr(H36MMultiViewDataset, 'build_frames',
                        lambda self: builds.append(1) or original(self))
    loaded = _dataset(subset=(0, 1), frame_step=10, cache_file=cache)
    assert builds == []
    np.testing.assert_array_equal(loaded.get_data_info(2)['x_best'],
                                  built.get_data_info(2)['x_best'])
    other = _dataset(subset=(1, 0), frame_step=10, cache_file=cache)  # other settings
    assert builds == [1] and other.get_data_info(0)['camera_subset'] == (1, 0)
    # same settings, other contents of an input file: rebuilt
    data = tmp_path / 'data'
    data.mkdir()
    for name in ('data_3d_h36m.npz', DETECTIONS):
        (data / name).write_bytes(open(osp.join(SAMPLE, name), 'rb').read())
    kwargs = dict(subset=(0, 1), frame_step=10, cache_file=cache, data_root=str(data))
    _dataset(**kwargs)
    _dataset(**kwargs)
    assert builds == [1, 1]
    detections = dict(np.load(data / DETECTIONS, allow_pickle=True))
    detections['metadata'] = np.array(dict(detections['metadata'].item(), note='edited'))
    np.savez(data / DETECTIONS, **detections)
    _dataset(**kwargs)
    assert builds == [1, 1, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ['data', 'frames.pkl']  # no temp file


def test_cache_one_writer_others_wait(tmp_path, monkeypatch):
    """A rank other than 0 never builds: it waits for rank 0's file."""
    import threading

    from metapose_plugin.datasets.datasets import utils
    path = str(tmp_path / 'cache.pkl')
    monkeypatch.setattr(utils, 'get_rank', lambda: 1)
    writer = threading.Timer(
        0.3, lambda: (monkeypatch.setattr(utils, 'get_rank', lambda: 0),
                      utils.load_or_build_cached(path, 'k1', lambda: [1, 2])))
    writer.start()
    got = utils.load_or_build_cached(path, 'k1', lambda: pytest.fail('rank 1 built'),
                                     poll_seconds=0.05)
    writer.join()
    assert got == [1, 2]


def test_mixture_file_replaces_detection_mixtures(tmp_path):
    from metapose_plugin.datasets.datasets.videopose3d_layout import (read_videopose3d_2d,
                                                                      split_action_key)
    detections = read_videopose3d_2d(osp.join(SAMPLE, DETECTIONS))[0]
    table = {}
    for subject in ('S9', 'S11'):
        table[subject] = {}
        for file_key, views in detections[subject].items():
            key = '{} {}'.format(*split_action_key(file_key))
            table[subject][key] = []
            for points in views:
                mix = np.zeros(points.shape[:2] + (2, 4))
                mix[..., 0], mix[..., 1:3], mix[..., 3] = 0.5, points[:, :, None], 9.0
                table[subject][key].append(mix)
    np.savez(tmp_path / 'mix.npz', mixtures=np.array(table, dtype=object))
    dataset = _dataset(subset=(0, 1), frame_step=10, num_components=2,
                       mixture_file=str(tmp_path / 'mix.npz'))
    info = dataset.get_data_info(0)
    box = info['bboxes'][0]  # view 0: [y_min, y_max, x_min, x_max]
    size = max(box[1] - box[0], box[3] - box[2])
    assert info['mixtures'].shape == (2, 17, 2, 4)
    np.testing.assert_allclose(info['mixtures'][0, :, :, 3], 9.0 / size**2)
    table['S9']['Walking 1'][1][3, 5, 0, 3] = -1.0
    np.savez(tmp_path / 'bad.npz', mixtures=np.array(table, dtype=object))
    with pytest.raises(ValueError, match='view 1 frame 3: mixture field variance'):
        _dataset(subset=(0, 1), frame_step=10, num_components=2,
                 mixture_file=str(tmp_path / 'bad.npz'))


def test_mmpose_layout_gives_the_same_frames(tmp_path, four_views):
    from metapose_plugin.datasets.samples.h36m_sequence_sample import write_mmpose_layout
    paths = write_mmpose_layout(str(tmp_path), osp.join(SAMPLE, 'data_3d_h36m.npz'),
                                osp.join(SAMPLE, 'data_2d_h36m_gt.npz'),
                                osp.join(SAMPLE, DETECTIONS))
    mmpose = H36MMultiViewDataset(
        ann_file=paths['test'], keypoint_2d_file=paths['test_det'],
        camera_param_file=paths['cameras'], subjects=['S9', 'S11'],
        mono3d_source='oracle_noisy_gt', frame_step=7,
        stage1=dict(type='MultiViewMetaPoseS1Solver', opt_steps=2, report_n_results=2))
    ours = {(i['subject'], i['action'], i['subaction'], i['frame']): i
            for i in map(four_views.get_data_info, range(len(four_views)))}
    assert len(mmpose) > 10
    for index in range(len(mmpose)):
        info = mmpose.get_data_info(index)
        twin = ours[(info['subject'], info['action'], info['subaction'], info['frame'])]
        np.testing.assert_allclose(info['pose3d'], twin['pose3d'], atol=1e-2, rtol=0)
        np.testing.assert_allclose(info['keypoints_2d'], twin['keypoints_2d'], atol=1e-3, rtol=0)


def test_random_permute_views_keeps_the_problem(four_views):
    from metapose_plugin.datasets.transforms.random_permute_views import RandomPermuteViews
    from metapose_plugin.structures.multiview.multiview_packing import forward_nll, solution_forward
    info = four_views.get_data_info(5)
    out = RandomPermuteViews(seed=3)(dict(four_views.get_data_info(5)))
    perm = [info['camera_subset'].index(c) for c in out['camera_subset']]
    assert sorted(perm) == [0, 1, 2, 3] and perm != [0, 1, 2, 3]
    np.testing.assert_array_equal(out['keypoints_2d'], info['keypoints_2d'][perm])
    for key in ('x_init', 'x_best'):
        before = solution_forward(torch.from_numpy(info[key])[None], 4, 17).reshape(4, 17, 2)
        after = solution_forward(torch.from_numpy(out[key])[None], 4, 17).reshape(4, 17, 2)
        torch.testing.assert_close(after, before[perm])
    mix = torch.from_numpy(out['task']).reshape(1, 4, 17, 4, 4)
    torch.testing.assert_close(mix[0], torch.from_numpy(info['mixtures'][perm]))
    fwd = solution_forward(torch.from_numpy(out['x_init'])[None], 4, 17)
    orig = solution_forward(torch.from_numpy(info['x_init'])[None], 4, 17)
    torch.testing.assert_close(forward_nll(fwd, mix),
                               forward_nll(orig, torch.from_numpy(info['task']).reshape(
                                   1, 4, 17, 4, 4)))
    reordered = _dataset(subset=out['camera_subset'], frame_step=1)
    twin = reordered.get_data_info(5)
    np.testing.assert_allclose(out['pose3d_cam0'], twin['pose3d_cam0'], atol=1e-3, rtol=0)
