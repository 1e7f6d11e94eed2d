from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from metapose_plugin.models.pose_estimators import flip_keypoints_2d
from metapose_plugin.testing import get_packed_inputs
from metapose_plugin.utils import register_all_modules

REPO = Path(__file__).parents[3]
TINY_CONFIG = REPO / 'configs/capf/capf_tiny-hrnet-cpn_1xb2-1e_h36m-256x192-sample.py'


def _tiny_model(flip_test: bool = False):
    register_all_modules()
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.model.test_cfg = dict(flip_test=flip_test)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def test_three_modes_through_data_preprocessor():
    model = _tiny_model()
    data = model.data_preprocessor(get_packed_inputs(2), training=True)
    model.train()
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_pose3d'} and losses['loss_pose3d'].item() > 0
    losses['loss_pose3d'].backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    assert model.neck.coord_embed.weight.grad is not None

    model.eval()
    data = model.data_preprocessor(get_packed_inputs(2), training=False)
    with torch.no_grad():
        out = model(**data, mode='tensor')
        results = model(**data, mode='predict')
    assert out.shape == (2, 17, 3)
    assert len(results) == 2
    assert results[0].pred_instances.keypoints.shape == (1, 17, 3)
    assert results[0].pred_instances.keypoint_scores.shape == (1, 17)
    np.testing.assert_allclose(results[1].pred_instances.keypoints[0], out[1].numpy(), atol=1e-6)


def test_preprocessor_turns_bgr_uint8_into_normalised_rgb():
    model = _tiny_model()
    packed = get_packed_inputs(1)
    image = packed['inputs'][0].float()
    data = model.data_preprocessor(packed, training=False)
    mean = torch.tensor([123.675, 116.28, 103.53])[:, None, None]
    std = torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    torch.testing.assert_close(data['inputs'][0], (image.flip(0) - mean) / std)


def test_predict_flip_test_averages_mirrored_prediction():
    model = _tiny_model(flip_test=True).eval()
    data = model.data_preprocessor(get_packed_inputs(2, seed=3), training=False)
    samples = data['data_samples']
    crop_before = [s.gt_instances.keypoints.copy() for s in samples]
    with torch.no_grad():
        results = model(**data, mode='predict')
        plain = model(**data, mode='tensor')
        feats = model.backbone(data['inputs'].flip(-1))
        frame, crop = model._keypoints(samples, torch.device('cpu'))
        flip_indices = samples[0].metainfo['flip_indices']
        frame_f, crop_f = flip_keypoints_2d(frame, crop, flip_indices, 192)
        flipped = model.head(model.neck(feats, keypoints_frame=frame_f, keypoints_crop=crop_f))
    mirrored = flipped[:, flip_indices] * torch.tensor([-1.0, 1.0, 1.0])
    expected = ((plain + mirrored) / 2).numpy()
    got = np.stack([r.pred_instances.keypoints[0] for r in results])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    for before, sample in zip(crop_before, samples):
        np.testing.assert_array_equal(sample.gt_instances.keypoints, before)


def test_flip_keypoints_2d_convention():
    frame = torch.tensor([[[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]]])
    crop = torch.tensor([[[10.0, 20.0], [30.0, 40.0], [50.0, 60.0]]])
    frame_f, crop_f = flip_keypoints_2d(frame, crop, [0, 2, 1], crop_width=192)
    torch.testing.assert_close(frame_f, torch.tensor([[[-0.1, 0.2], [-0.5, -0.6], [0.3, 0.4]]]))
    torch.testing.assert_close(crop_f, torch.tensor([[[181.0, 20.0], [141.0, 60.0],
                                                      [161.0, 40.0]]]))
    assert frame[0, 0, 0] == 0.1 and crop[0, 0, 0] == 10.0


def test_missing_keypoints_raise_clear_error():
    model = _tiny_model().eval()
    data = model.data_preprocessor(get_packed_inputs(1), training=False)
    del data['data_samples'][0].gt_instance_labels.keypoint_labels
    with pytest.raises(AttributeError, match='keypoint_labels'):
        model(**data, mode='tensor')
