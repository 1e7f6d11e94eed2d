"""MultiViewMetaPoseLifter: the three modes, loss weights, frozen stages."""
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from metapose_plugin.models.pose_estimators.multiview_metapose_s1_solver import \
    MultiViewMetaPoseS1Solver
from metapose_plugin.structures.multiview.multiview_geometry import normalized_bone_lengths
from metapose_plugin.structures.multiview.multiview_packing import pack_solution, pack_task
from metapose_plugin.testing.multiview_problem import random_stage1_problem

V, K = 3, 17


def _samples(frames=4, bones=False):
    mono, mixtures, pose = random_stage1_problem(frames, views=V)
    out = MultiViewMetaPoseS1Solver(opt_steps=4, report_n_results=3)(mono, mixtures)
    x_init = pack_solution(*(out[k][0] for k in ('pose', 'rot', 'scale', 'shift'))).double()
    x_best = pack_solution(*(out[k][-1] for k in ('pose', 'rot', 'scale', 'shift'))).double()
    task = pack_task(mixtures, normalized_bone_lengths(pose) if bones else None)
    samples = []
    for i in range(frames):
        sample = PoseDataSample(metainfo=dict(num_views=V))
        sample.gt_instance_labels = InstanceData(
            x_init=x_init[i:i + 1], x_best=x_best[i:i + 1], task=task[i:i + 1],
            pose2d=mixtures[i:i + 1, :, :, 0, 1:3])
        samples.append(sample)
    return samples


def _model(**kwargs):
    cfg = dict(type='MultiViewMetaPoseLifter', num_views=V, num_stages=2,
               stage_model=dict(type='EquivariantStageModel', main_mlp_spec='16,ccat,16',
                                pose_emb_size=8, pose_mlp_sizes=(8, )))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_modes_and_dtype():
    model = _model()
    samples = _samples()
    assert all(not p.requires_grad for p in model.stages[0].parameters())
    assert all(p.requires_grad and p.dtype == torch.float64 for p in model.stages[1].parameters())
    x_opt = model(None, samples, mode='tensor')
    assert x_opt.shape == (4, 3 * K + 10 * V) and x_opt.dtype == torch.float64
    losses = model(None, samples, mode='loss')
    assert set(losses) == {'loss_fwd'}
    losses['loss_fwd'].backward()
    assert model.stages[0].main_mlp[0].weight.grad is None
    preds = model(None, samples, mode='predict')
    assert preds[0].pred_instances.keypoints.shape == (1, K, 3)
    assert preds[0].pred_instances.rot0.shape == (1, 3, 3)
    with pytest.raises(RuntimeError, match='invalid mode'):
        model(None, samples, mode='bogus')


def test_loss_weights_select_terms_and_bones_need_the_task():
    model = _model(loss_weights=dict(fwd=0.0, logp=1.0, x_opt=2.0))
    losses = model.loss(None, _samples())
    assert set(losses) == {'loss_logp', 'loss_x_opt'}
    assert all(torch.isfinite(v) for v in losses.values())
    bones = _model(loss_weights=dict(bone=1.0), use_bone_lengths=True)
    assert 'loss_bone' in bones.loss(None, _samples(bones=True))
    with pytest.raises(ValueError, match='use_bone_lengths'):
        _model(loss_weights=dict(bone=1.0)).loss(None, _samples())
    with pytest.raises(ValueError, match='unknown'):
        _model(loss_weights=dict(l2=1.0))
