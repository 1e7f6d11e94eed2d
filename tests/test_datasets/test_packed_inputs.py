"""``get_packed_inputs`` must look like a batch of the real pipeline."""
import numpy as np
import torch
from mmengine.dataset import pseudo_collate

from metapose_plugin.datasets import H36MImageDataset
from metapose_plugin.datasets.transforms import apply_affine, get_crop_affine
from metapose_plugin.structures import H36M_ACTIONS
from metapose_plugin.testing import get_packed_inputs


def _layout(sample):
    """Field -> (type, shape, dtype) of a packed data sample."""
    layout = {}
    for part in ('gt_instances', 'gt_instance_labels'):
        for key, value in sample.get(part).items():
            layout[f'{part}.{key}'] = (type(value), tuple(value.shape),
                                       str(value.dtype))
    return layout


def test_same_layout_as_the_pipeline(pkl_cfg, make_pipeline):
    dataset = H36MImageDataset(**pkl_cfg(), pipeline=make_pipeline(0.5))
    real = pseudo_collate([dataset[0], dataset[1]])
    fake = get_packed_inputs(2)
    assert len(fake['inputs']) == len(fake['data_samples']) == 2
    for real_input, fake_input in zip(real['inputs'], fake['inputs']):
        assert fake_input.shape == real_input.shape
        assert fake_input.dtype == real_input.dtype == torch.uint8
    real_sample, fake_sample = real['data_samples'][0], fake['data_samples'][0]
    assert _layout(fake_sample) == _layout(real_sample)
    assert set(real_sample.metainfo) <= set(fake_sample.metainfo)
    for key in ('subject', 'action', 'flip_indices', 'input_size',
                'frame_size', 'img_shape'):
        assert type(fake_sample.get(key)) is type(real_sample.get(key)), key
    assert fake_sample.flip_indices == real_sample.flip_indices


def test_views_are_consistent_and_seeded():
    batch = get_packed_inputs(4, seed=3)
    for sample in batch['data_samples']:
        assert sample.action in H36M_ACTIONS
        gt = sample.gt_instances
        w, h = sample.frame_size
        frame_px = (sample.gt_instance_labels.keypoint_labels[0].numpy() +
                    [1, h / w]) * w / 2
        crop = apply_affine(frame_px,
                            get_crop_affine(sample.center, sample.scale,
                                            sample.input_size))
        np.testing.assert_allclose(gt.keypoints[0], crop, atol=1e-2)
        assert (gt.keypoints[0] >= 0).all()
        assert (gt.keypoints[0] <= [191, 255]).all()
        assert (gt.lifting_target[0, 0] == 0).all()
    again = get_packed_inputs(4, seed=3)
    assert torch.equal(batch['inputs'][2], again['inputs'][2])
    other = get_packed_inputs(4, seed=4)
    assert not torch.equal(batch['inputs'][2], other['inputs'][2])
    small = get_packed_inputs(1, num_keypoints=5, img_shape=(64, 48))
    assert small['inputs'][0].shape == (3, 64, 48)
    assert small['data_samples'][0].gt_instances.keypoints.shape == (1, 5, 2)
    assert small['data_samples'][0].flip_indices == [4, 3, 2, 1, 0]
