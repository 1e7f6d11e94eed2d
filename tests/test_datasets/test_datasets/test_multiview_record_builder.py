"""The multi-view record builder on a synthetic 4-camera sample from the shipped calibration.

MMPose's layout is written from the shipped synthetic sample (real H36M calibration,
S9); heatmaps are rendered around the annotated 2D; the monocular 3D is the ground
truth in each camera frame plus noise, written as a lifter's per-camera file.
"""
import importlib.util
import os.path as osp
import pickle
import sys

import cv2
import mmpose
import numpy as np
import pytest
import torch
from mmengine.config import Config

from metapose_plugin.datasets.datasets.h36m_multiview_dataset import (H36MMultiViewDataset,
                                                                      synchronised_view_groups)
from metapose_plugin.datasets.datasets.h36m_sequence_dataset import H36MSequenceDataset
from metapose_plugin.datasets.datasets.multiview_record_builder import (MMPoseHeatmaps,
                                                                        RenderedHeatmaps,
                                                                        build_h36m_records,
                                                                        pre_record_fields)
from metapose_plugin.datasets.datasets.multiview_record_layout import read_records, write_records
from metapose_plugin.datasets.samples.h36m_sequence_sample import write_mmpose_layout
from metapose_plugin.engine.fileio import UnreadableFileError
from metapose_plugin.evaluation.functional.multiview_metrics import solution_metrics
from metapose_plugin.structures.h36m_cameras import world_to_camera

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SAMPLE = osp.join(REPO, 'data', 'h36m_videopose3d_sample')
TOOL = 'tools/dataset_converters/h36m_to_multiview_records.py'


@pytest.fixture(scope='module')
def layout(tmp_path_factory):
    folder = tmp_path_factory.mktemp('h36m_mmpose')
    paths = write_mmpose_layout(str(folder), osp.join(SAMPLE, 'data_3d_h36m.npz'),
                                osp.join(SAMPLE, 'data_2d_h36m_gt.npz'),
                                splits=dict(test=('S9', )))
    reader = H36MSequenceDataset(ann_file=paths['test'], camera_param_file=paths['cameras'],
                                 cameras=[0, 1, 2, 3], seq_len=1, lazy_init=True)
    rng = np.random.default_rng(0)
    table, frames = {}, []
    for (subject, action, subaction), views, _, _ in synchronised_view_groups(
            reader.videos, (0, 1, 2, 3), 'sample'):
        frames.append(views[0]['frames'])
        table.setdefault(subject, {})[f'{action} {subaction}'] = [
            world_to_camera(view['world'], view['camera_param']) + rng.normal(0, 0.03, (
                len(view['world']), 17, 3)) for view in views]
    mono = str(folder / 'mono3d.npz')
    np.savez(mono, positions_3d_cam=table)
    return dict(paths, mono3d=mono, frames=frames)


@pytest.fixture(scope='module')
def records(layout):
    return build_h36m_records(layout['test'], layout['cameras'],
                              RenderedHeatmaps(sigma=15.0, noise=1.0, size=24), layout['mono3d'],
                              frame_step=10, progress=False)


def test_records_have_the_reference_layout(records, layout):
    fields = pre_record_fields()
    # every 10th synchronised frame of each of S9's sequences, in order
    kept = [(n, int(f)) for n, ids in enumerate(layout['frames'], 1) for f in ids[::10]]
    assert len(records) == len(kept)
    for record in records:
        assert set(record) == set(fields)
        for name, (shape, _) in fields.items():
            assert np.shape(record[name]) == shape, name
    record = records[2]
    # full projection (Brown-Conrady) of the world pose vs the annotated 2D (H36M's model)
    assert np.abs(record['pose2d_repr'] - record['pose2d_gt']).max() < 0.5
    # [y_min, y_max, x_min, x_max] integer square boxes around the annotated 2D
    boxes = record['bboxes']
    assert boxes.dtype == np.int32
    np.testing.assert_array_equal(boxes[:, 1] - boxes[:, 0] >= 0, True)
    assert (boxes[:, 0, None] <= record['pose2d_gt'][..., 1]).all()
    assert (boxes[:, 3, None] >= record['pose2d_gt'][..., 0]).all()
    # mixtures (pi, mu_x, mu_y, variance) in frame pixels, means near the joints
    heatmaps = record['heatmaps']
    np.testing.assert_allclose(heatmaps[..., 0].sum(-1), 1.0, atol=1e-5)
    assert (heatmaps[..., 3] > 0).all()
    # (24 x 24 heatmaps over ~300 px boxes: 13 px per heatmap pixel; 1 px joint noise)
    assert np.abs(record['pose2d_pred'] - record['pose2d_gt']).max() < 6  # px
    assert 100 < np.linalg.norm(record['pose3d'][1] - record['pose3d'][2]) < 600  # mm
    assert [r['keys'][2] for r in records] == [b's%07d_f%07d_c02' % k for k in kept]
    assert record['pose3d_epi_pred'].dtype == np.float32
    assert 0 < np.abs(record['pose3d_epi_pred'][..., :2]).max() < 2  # box units


def test_the_dataset_reads_the_written_records_and_solves_stage1(records, tmp_path):
    write_records(str(tmp_path), records, pre_record_fields())
    torch.set_num_threads(1)
    dataset = H36MMultiViewDataset(ann_file=str(tmp_path), camera_subset=(0, 1, 2))
    assert len(dataset) == len(records)

    def stack(key):
        return torch.from_numpy(np.stack([dataset.get_data_info(i)[key]
                                          for i in range(len(dataset))])).double()

    gt, gt_cam0 = stack('pose3d'), stack('pose3d_cam0')
    init = solution_metrics(stack('init_pose'), stack('init_rot0'), gt, gt_cam0)
    final = solution_metrics(stack('s1_pose'), stack('s1_rot0'), gt, gt_cam0)
    assert final['pmpjpe'].mean() < init['pmpjpe'].mean() < 80  # mm
    np.testing.assert_allclose(stack('pose3d').numpy(), np.stack([r['pose3d'] for r in records]))


def test_wrong_calibration_names_the_camera_and_frame(layout, tmp_path):
    with open(layout['cameras'], 'rb') as file:
        cameras = pickle.load(file)
    key = [k for k in cameras if k[0] == 'S9'][1]
    cameras[key]['f'] = cameras[key]['f'] * 1.05
    bad = str(tmp_path / 'cameras.pkl')
    with open(bad, 'wb') as file:
        pickle.dump(cameras, file)
    with pytest.raises(ValueError, match=r"subject 'S9' .* camera 1 frame \d+: .* px from "
                                         'field part'):
        build_h36m_records(layout['test'], bad, RenderedHeatmaps(), layout['mono3d'],
                           frame_step=50, progress=False)


def test_truncated_monocular_file_is_named(layout, tmp_path):
    data = open(layout['mono3d'], 'rb').read()
    truncated = tmp_path / 'mono3d.npz'
    truncated.write_bytes(data[:len(data) // 2])
    with pytest.raises(UnreadableFileError, match=rf'{truncated}: cannot be read as a '
                       'monocular 3D npz'):
        build_h36m_records(layout['test'], layout['cameras'], RenderedHeatmaps(),
                           str(truncated), frame_step=50, progress=False)


def test_command_line_writes_a_record_folder(layout, tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location(
        'h36m_to_multiview_records', osp.join(REPO, TOOL))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', [
        TOOL, layout['test'], layout['cameras'], layout['mono3d'], str(tmp_path / 'out'),
        '--rendered-heatmaps', '4', '--frame-step', '100'])
    tool.main()
    count = len(layout['frames'])  # the first frame of every sequence
    assert f'{count} records' in capsys.readouterr().out
    assert len(read_records(str(tmp_path / 'out'))) == count


def test_mmpose_heatmap_model_gives_h36m_pixel_mixtures(tmp_path):
    """A randomly initialised MMPose COCO heatmap model (no weights to download)."""
    config = Config.fromfile(osp.join(
        osp.dirname(mmpose.__file__), '.mim', 'configs', 'body_2d_keypoint', 'topdown_heatmap',
        'coco', 'td-hm_mobilenetv2_8xb64-210e_coco-256x192.py'))
    config.model.backbone.init_cfg = None  # random weights: nothing to download
    source = MMPoseHeatmaps(config)
    image = str(tmp_path / 'frame.jpg')
    cv2.imwrite(image, np.random.default_rng(0).integers(0, 255, (300, 400, 3), np.uint8))
    box = np.array([100.0, 50.0, 300.0, 250.0])
    mixtures = source(image, box, np.zeros((17, 2)))
    assert mixtures.shape == (17, 4, 4)
    np.testing.assert_allclose(mixtures[..., 0].sum(-1), 1.0, atol=1e-5)
    assert (mixtures[..., 3] > 0).all()
    means = mixtures[..., 1:3]
    # heatmap components of COCO joints lie on the crop (the box enlarged by MMPose's padding)
    assert (means[..., 0] > 50).all() and (means[..., 0] < 350).all()
    with pytest.raises(FileNotFoundError, match='missing.jpg: image missing'):
        source(str(tmp_path / 'missing.jpg'), box, np.zeros((17, 2)))


def test_a_monocular_lifter_runs_on_each_cameras_predicted_2d(layout, records):
    calls = []

    def lifter(pose2d, image_size):
        calls.append((pose2d.copy(), image_size))
        depth = np.full(pose2d.shape[:2] + (1, ), 4.0)  # metres in front of the camera
        return np.concatenate([(pose2d - 500.0) / 1000.0, depth], axis=-1)

    lifted = build_h36m_records(layout['test'], layout['cameras'],
                                RenderedHeatmaps(sigma=15.0, noise=1.0, size=24), lifter,
                                frame_step=10, progress=False)
    sequences = len(layout['frames'])
    assert len(calls) == 4 * sequences
    # camera c of sequence s sees the kept frames' heatmap 2D of its view, and its frame size
    first = len(layout['frames'][0][::10])  # the kept frames of the first sequence
    np.testing.assert_array_equal(calls[2][0],
                                  np.stack([r['pose2d_pred'][2] for r in lifted[:first]]))
    with open(layout['cameras'], 'rb') as file:
        cameras = pickle.load(file)
    sizes = [(int(c['w']), int(c['h'])) for k, c in sorted(cameras.items()) if k[0] == 'S9']
    assert [size for _, size in calls[:4]] == sizes and len(set(sizes)) == 2  # 1000 x 1000 / 1002
    for key in ('pose2d_pred', 'heatmaps', 'pose3d', 'keys'):
        np.testing.assert_array_equal(np.stack([r[key] for r in lifted]),
                                      np.stack([r[key] for r in records]))
    different = np.abs(np.stack([r['pose3d_epi_pred'] for r in lifted]) -
                       np.stack([r['pose3d_epi_pred'] for r in records]))
    assert different.max() > 1e-3  # the lifter's estimate, not the file's

    with pytest.raises(ValueError, match=r"subject 'S9' .* camera 0: the monocular lifter "
                                         r'returned \(\d+, 17, 2\)'):
        build_h36m_records(layout['test'], layout['cameras'], RenderedHeatmaps(),
                           lambda pose2d, size: pose2d, frame_step=50, progress=False)


def test_command_line_lifts_the_monocular_3d(layout, tmp_path, monkeypatch, capsys):
    """The tiny VideoPose3D config with random weights as the monocular lifter."""
    spec = importlib.util.spec_from_file_location(
        'h36m_to_multiview_records', osp.join(REPO, TOOL))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    config = osp.join(REPO, 'configs', 'video_pose_lift', 'video-pose-lift_tcn-27frm-supv-cpn-'
                      'ft_1xb64-3e_h36m-videopose3d-sample.py')
    monkeypatch.setattr(sys, 'argv', [
        TOOL, layout['test'], layout['cameras'], config, str(tmp_path / 'out'),
        '--rendered-heatmaps', '4', '--frame-step', '100'])
    tool.main()
    count = len(layout['frames'])
    assert f'{count} records' in capsys.readouterr().out
    written = read_records(str(tmp_path / 'out'))
    assert len(written) == count
    mono = np.stack([r['pose3d_epi_pred'] for r in written])
    assert np.isfinite(mono).all() and np.abs(mono).max() > 0
