import os.path as osp
import pickle
import shutil

import cv2
import numpy as np
import pytest
import torch

from metapose_plugin.datasets import H36MImageDataset
from metapose_plugin.engine.fileio import UnreadableFileError
from metapose_plugin.structures import H36M_ACTIONS

W, H = 1000, 1002  # frame size of the sample's camera 0 frames


def _bilinear(img: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Sample a (h, w, 3) image at (P, 2) pixel points, in float."""
    maps = points.astype(np.float32).reshape(1, -1, 2)
    return cv2.remap(img.astype(np.float32), maps[..., 0], maps[..., 1],
                     cv2.INTER_LINEAR)[0]


@pytest.mark.parametrize('src', ['gt', 'cpn'])
def test_pkl_layout_fields_and_crop(src, pkl_cfg, pkl_records,
                                    make_pipeline):
    dataset = H36MImageDataset(**pkl_cfg(keypoint_2d_src=src),
                               pipeline=make_pipeline())
    assert len(dataset) == len(pkl_records) == 2
    for index, record in enumerate(pkl_records):
        packed = dataset[index]
        sample = packed['data_samples']
        assert packed['inputs'].shape == (3, 256, 192)
        assert packed['inputs'].dtype == torch.uint8
        gt, labels = sample.gt_instances, sample.gt_instance_labels
        # crop pixels: our affine of the full-frame pixels vs the pickle's
        assert gt.keypoints.shape == (1, 17, 2)
        np.testing.assert_allclose(
            gt.keypoints[0], record[f'joints_2d_{src}_crop'], atol=0.5)
        assert np.abs(gt.keypoints[0] -
                      record[f'joints_2d_{src}_crop']).max() < 1e-3
        # normalised full frame = the pickle's values
        assert isinstance(labels.keypoint_labels, torch.Tensor)
        np.testing.assert_allclose(
            labels.keypoint_labels[0].numpy(), record[f'joints_2d_{src}'],
            atol=1e-6)
        # 3D: root-relative metres, root exactly 0, root kept aside
        joints = record['joints_3d']
        np.testing.assert_allclose(gt.target_root[0], joints[0], atol=1e-6)
        np.testing.assert_allclose(
            gt.lifting_target[0], joints - joints[0], atol=1e-6)
        assert (gt.lifting_target[0, 0] == 0).all()
        np.testing.assert_array_equal(
            labels.lifting_target_label.numpy(), gt.lifting_target)
        assert gt.keypoints_visible.shape == (1, 17)
        assert gt.lifting_target_visible.shape == (1, 17)
        # metainfo
        action = H36M_ACTIONS[record['action'] - 2]
        assert sample.subject == f'S{record["subject"]}'
        assert sample.action == action
        assert sample.subaction == record['subaction']
        assert sample.camera_id == record['camera_id']
        assert sample.frame_id == record['image_id']
        assert sample.frame_size == (W, H)
        assert sample.input_size == (192, 256)
        assert sample.flip_indices == [
            0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13
        ]
        assert sample.img_path.endswith(record['image'])
        # the crop image is the frame warped with the same affine: the
        # pixels under the keypoints agree
        frame = cv2.imread(sample.img_path)
        crop = packed['inputs'].permute(1, 2, 0).numpy()
        frame_px = (record[f'joints_2d_{src}'] + [1, H / W]) * W / 2
        diff = np.abs(_bilinear(crop, gt.keypoints[0]) -
                      _bilinear(frame, frame_px)).mean()
        shuffled = np.abs(
            _bilinear(crop, gt.keypoints[0][::-1]) -
            _bilinear(frame, frame_px)).mean()
        assert diff < 6 and diff < shuffled / 4


def test_npz_layout_matches_pkl_of_same_frames(npz_cfg, pkl_cfg,
                                               make_pipeline):
    npz = H36MImageDataset(**npz_cfg(), pipeline=make_pipeline())
    pkl = H36MImageDataset(**pkl_cfg(), pipeline=make_pipeline())
    assert len(npz) == 4
    by_frame = {}
    for index in range(len(npz)):
        packed = npz[index]
        sample = packed['data_samples']
        assert packed['inputs'].shape == (3, 256, 192)
        assert sample.action in H36M_ACTIONS
        assert sample.gt_instances.keypoints.shape == (1, 17, 2)
        # root-relative metres: a human fits in 2.5 m
        target = sample.gt_instances.lifting_target
        assert target.shape == (1, 17, 3) and (target[0, 0] == 0).all()
        assert 0.3 < np.abs(target).max() < 2.5
        assert 2 < sample.gt_instances.target_root[0, 2] < 10
        by_frame[(sample.subject, sample.action, sample.frame_id,
                  sample.camera_id)] = packed
    assert [npz[i]['data_samples'].action for i in range(4)] == [
        'Directions', 'SittingDown', 'Greeting', 'WalkingDog'
    ]
    assert npz[3]['data_samples'].subaction == 2  # 'WalkDog_1'
    for index in range(len(pkl)):
        ref = pkl[index]
        ref_sample = ref['data_samples']
        key = (ref_sample.subject, ref_sample.action, ref_sample.frame_id,
               ref_sample.camera_id)
        packed = by_frame[key]
        sample = packed['data_samples']
        assert sample.subaction == ref_sample.subaction
        np.testing.assert_allclose(
            sample.gt_instances.lifting_target,
            ref_sample.gt_instances.lifting_target,
            atol=1e-6)
        np.testing.assert_allclose(
            sample.gt_instance_labels.keypoint_labels,
            ref_sample.gt_instance_labels.keypoint_labels,
            atol=1e-5)
        # the two crops use different boxes; the image content under each
        # crop's keypoints is the same body point
        colours = _bilinear(packed['inputs'].permute(1, 2, 0).numpy(),
                            sample.gt_instances.keypoints[0])
        ref_colours = _bilinear(ref['inputs'].permute(1, 2, 0).numpy(),
                                ref_sample.gt_instances.keypoints[0])
        error = np.abs(colours - ref_colours).mean()
        assert error < 6
        assert error < np.abs(colours - ref_colours[::-1]).mean() / 4


def test_filters(npz_cfg, pkl_cfg):
    subjects = H36MImageDataset(**npz_cfg(subjects=['S5', 'S8']))
    assert [subjects[i]['subject'] for i in range(2)] == ['S5', 'S8']
    assert len(subjects) == 2
    # frames 1, 2061, 396, 26: (f - 1) % 2 == 0 keeps 1 and 2061
    strided = H36MImageDataset(**npz_cfg(stride=2))
    assert [strided[i]['frame_id'] for i in range(len(strided))] == [1, 2061]
    subset = H36MImageDataset(**npz_cfg(subset_frac=0.5))
    assert [subset[i]['frame_id'] for i in range(len(subset))] == [1, 396]
    with pytest.raises(ValueError, match=r"\['S9'\]"):
        H36MImageDataset(**npz_cfg(subjects=['S9']))


def test_2d_sources(npz_cfg, pkl_cfg, pkl_records):
    cpn = H36MImageDataset(**pkl_cfg(keypoint_2d_src='cpn'))
    np.testing.assert_allclose(cpn[1]['keypoint_labels'][0],
                               pkl_records[1]['joints_2d_cpn'], atol=1e-6)
    det = np.load(osp.join(npz_cfg()['data_root'],
                           'test_h36m_2d_detection.npy'))
    npz_cpn = H36MImageDataset(**npz_cfg(keypoint_2d_src='cpn'))
    np.testing.assert_allclose(npz_cpn[2]['keypoints'][0], det[2, :, :2],
                               atol=1e-3)
    with pytest.raises(ValueError, match='joints_2d_hrnet'):
        H36MImageDataset(**pkl_cfg(keypoint_2d_src='hrnet'))
    with pytest.raises(ValueError, match='hrnet'):
        H36MImageDataset(**npz_cfg(keypoint_2d_src='hrnet'))
    with pytest.raises(ValueError, match='keypoint_2d_det_file'):
        H36MImageDataset(
            **npz_cfg(keypoint_2d_src='cpn', keypoint_2d_det_file=None))
    with pytest.raises(ValueError, match='ann_format'):
        H36MImageDataset(**pkl_cfg(ann_file='labels.json'))


def test_precropped_images(tmp_path, pkl_cfg, make_pipeline):
    full = H36MImageDataset(**pkl_cfg(), pipeline=make_pipeline())
    for index in range(len(full)):
        packed = full[index]
        name = full.get_data_info(index)['img_path'].split('images/')[-1]
        target = tmp_path / 'images' / name
        target.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(target),
                    packed['inputs'].permute(1, 2, 0).numpy(),
                    [cv2.IMWRITE_JPEG_QUALITY, 100])
    shutil.copy(osp.join(pkl_cfg()['data_root'], 'labels.pkl'), tmp_path)
    crops = H36MImageDataset(**pkl_cfg(data_root=str(tmp_path),
                                       img_precropped=True),
                             pipeline=make_pipeline())
    for index in range(len(full)):
        ref, packed = full[index], crops[index]
        np.testing.assert_array_equal(
            packed['data_samples'].gt_instances.keypoints,
            ref['data_samples'].gt_instances.keypoints)
        diff = (packed['inputs'].float() - ref['inputs'].float()).abs()
        assert diff.mean() < 2


# ----------------------------------------------------------- bad inputs ---
def _write_records(tmp_path, records):
    shutil.copytree(osp.join(osp.dirname(__file__), '..', '..', '..', 'data',
                             'capf_pkl_sample', 'images'),
                    tmp_path / 'images')
    with open(tmp_path / 'labels.pkl', 'wb') as file:
        pickle.dump(records, file)


def test_bad_pickle_records(tmp_path, pkl_cfg, pkl_records):
    cfg = pkl_cfg(data_root=str(tmp_path))
    missing = [dict(r) for r in pkl_records]
    del missing[1]['joints_3d']
    _write_records(tmp_path, missing)
    with pytest.raises(ValueError,
                       match=r"labels.pkl: record 1 has no field 'joints_3d'"):
        H36MImageDataset(**cfg)

    shape = [dict(r) for r in pkl_records]
    shape[1]['joints_2d_gt'] = shape[1]['joints_2d_gt'][:16]
    _write_records(tmp_path / 'shape', shape)
    with pytest.raises(ValueError,
                       match=r"record 1 field 'joints_2d_gt' has shape"):
        H36MImageDataset(**pkl_cfg(data_root=str(tmp_path / 'shape')))

    action = [dict(r) for r in pkl_records]
    action[0]['action'] = 17
    _write_records(tmp_path / 'action', action)
    with pytest.raises(ValueError, match=r"record 0 field 'action'"):
        H36MImageDataset(**pkl_cfg(data_root=str(tmp_path / 'action')))

    millimetres = [dict(r) for r in pkl_records]
    for record in millimetres:
        record['joints_3d'] = record['joints_3d'] * 1000
    _write_records(tmp_path / 'mm', millimetres)
    with pytest.raises(ValueError, match='metres'):
        H36MImageDataset(**pkl_cfg(data_root=str(tmp_path / 'mm')))


def test_nan_keypoints_are_skipped_and_counted(tmp_path, pkl_cfg,
                                               pkl_records, caplog):
    records = [dict(r) for r in pkl_records]
    records[0]['joints_2d_cpn'] = records[0]['joints_2d_cpn'].copy()
    records[0]['joints_2d_cpn'][3, 1] = np.nan
    _write_records(tmp_path, records)
    dataset = H36MImageDataset(
        **pkl_cfg(data_root=str(tmp_path), keypoint_2d_src='cpn'))
    assert len(dataset) == 1
    assert dataset[0]['frame_id'] == records[1]['image_id']
    # the ground-truth source of the same file has no NaN: nothing skipped
    assert len(H36MImageDataset(**pkl_cfg(data_root=str(tmp_path)))) == 2


def test_bad_npz(tmp_path, npz_cfg):
    root = npz_cfg()['data_root']
    shutil.copy(osp.join(root, 'cameras.pkl'), tmp_path)
    with np.load(osp.join(root, 'test_h36m_body3d.npz')) as archive:
        arrays = dict(archive)
    names = arrays['imgname'].astype(object)
    names[2] = names[2].replace('Greeting', 'Juggling')
    np.savez(tmp_path / 'bad.npz', **dict(arrays, imgname=names.astype(str)))
    with pytest.raises(ValueError, match=r"record 2 field 'imgname'.*Jugg"):
        H36MImageDataset(**npz_cfg(data_root=str(tmp_path),
                                   ann_file='bad.npz'))
    np.savez(tmp_path / 'short.npz',
             **dict(arrays, part=arrays['part'][..., :2]))
    with pytest.raises(ValueError, match=r"field 'part' has shape"):
        H36MImageDataset(**npz_cfg(data_root=str(tmp_path),
                                   ann_file='short.npz'))


def test_bad_images(tmp_path, pkl_cfg, pkl_records, make_pipeline):
    _write_records(tmp_path, pkl_records)
    dataset = H36MImageDataset(**pkl_cfg(data_root=str(tmp_path)),
                               pipeline=make_pipeline())
    first = tmp_path / 'images' / pkl_records[0]['image']
    second = tmp_path / 'images' / pkl_records[1]['image']
    first.unlink()
    with pytest.raises(FileNotFoundError, match=r'sample 0.*000001\.jpg'):
        dataset[0]
    content = second.read_bytes()
    second.write_bytes(content[:len(content) // 2])
    with pytest.raises(ValueError, match=r'sample 1.*truncated JPEG'):
        dataset[1]
    second.write_bytes(b'not an image at all')
    with pytest.raises(ValueError, match=r'sample 1: cannot decode'):
        dataset[1]


@pytest.mark.parametrize('layout, name, expected', [
    ('pkl', 'labels.pkl', 'a CA-PF / H36M-Toolbox annotation pickle'),
    ('npz', 'test_h36m_body3d.npz', "MMPose's Human3.6M annotation npz"),
    ('npz', 'cameras.pkl', "MMPose's Human3.6M cameras.pkl"),
    ('npz', 'test_h36m_2d_detection.npy', 'a 2D detection .npy')])
def test_truncated_files_are_named(tmp_path, npz_cfg, pkl_cfg, layout, name, expected):
    cfg = (pkl_cfg if layout == 'pkl' else npz_cfg)(keypoint_2d_src='cpn' if name.endswith(
        '.npy') else 'gt')
    shutil.copytree(cfg['data_root'], tmp_path / 'root')
    path = tmp_path / 'root' / name
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    with pytest.raises(UnreadableFileError, match=rf'{path}: cannot be read as {expected}'):
        H36MImageDataset(**dict(cfg, data_root=str(tmp_path / 'root')))


def test_filters_say_what_they_left_out(npz_cfg, monkeypatch):
    from metapose_plugin.datasets.datasets import h36m_image_dataset
    logged = []
    monkeypatch.setattr(h36m_image_dataset, 'print_log', lambda msg, **kw: logged.append(msg))
    H36MImageDataset(**npz_cfg(subjects=['S5', 'S7', 'S8'], stride=2))
    # frames 1 (S1), 2061, 396, 26: S1 goes, then the stride keeps 2061 of the rest
    [line] = [m for m in logged if 'left out' in m]
    assert line.endswith("records left out by subjects=['S5', 'S7', 'S8']: 1, stride=2: 2")
