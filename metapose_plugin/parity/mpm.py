"""MPM parity with its reference implementation (``vvirgooo2/MPM``).

A fixture folder has the layout of ``fixtures/mpm_parity`` (see its README):
``weights.pt`` (fp16 state dicts per reference module and the generator's
``meta``), ``inputs.pt`` and ``outputs.pt``. Every size (frames, joints,
widths, layers, batch) is read from the files. The weights are cast to
float32, converted with :mod:`metapose_plugin.models.converters.mpm_ckpt_convert`
and loaded strictly into our estimators, which run in eval mode (the
``*_trainBN`` outputs: train mode with dropout off) in their faithful
settings (one mask per batch, losses over every joint, flip test with the
unmirrored masks). The fixture's masks are fed as given, and separately
redrawn from the logged seeds with :mod:`metapose_plugin.structures.mpm_masks`
(mismatching entries are counted). Every compared output must be within
1e-5 (absolute; float32 values of order 1 through a few transformer layers:
about 80 float32 ulps for another reduction order, measured <= 2e-6) and the
masks and the mirrored inputs must match exactly. Every tensor of
``outputs.pt`` and the outputs of :func:`required_outputs` must be compared.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample
from torch import Tensor, nn

from metapose_plugin.evaluation.metrics.mpm_completion_metric import MPMCompletionMetric
from metapose_plugin.models.backbones.mpm_encoder import MPMEncoder  # noqa: F401 (registers)
from metapose_plugin.models.converters.mpm_ckpt_convert import (convert_mpm_checkpoint,
                                                                lifter_geometry, pretrain_geometry,
                                                                refine_geometry)
from metapose_plugin.models.heads.mpm_heads import (  # noqa: F401 (registers)
    MPMLiftingHead, MPMReconstructionHead)
from metapose_plugin.models.pose_estimators.mpm_masked_pose_model import MPMMaskedPoseModel
from metapose_plugin.models.pose_estimators.mpm_sequence_lifter import MPMSequenceLifter
from metapose_plugin.models.utils.mpm.uvd_refine import uvd_to_xyz
from metapose_plugin.parity.common import ParityResult, max_abs_diff, report
from metapose_plugin.structures.mpm_masks import (GROUPS_2D_H36M17, GROUPS_3D_H36M17,
                                                  draw_frame_mask, draw_joint_mask, draw_tube_mask)
from metapose_plugin.structures.pose_ops import mean_joint_error, mirror_poses

REQUIRED_FILES = ('weights.pt', 'inputs.pt', 'outputs.pt')
TOLERANCES = dict(default=1e-5, masks_pretrain=0, masks_completion=0, flip_inputs=0)
#: Outputs of every fixture of this layout (pretraining, completion, lifter).
CORE_OUTPUTS = (
    'masks_pretrain', 'masks_completion', 'flip_inputs', 'pre_out2d', 'pre_out3d', 'pre_loss2d',
    'pre_loss3d', 'pre_loss_noaug', 'pre_out2d_trainBN', 'comp2dlift_out2d', 'comp2dlift_out3d',
    'comp2dlift_loss2d', 'comp2dlift_losslift', 'comp2dlift_loss', 'comp2dlift_tta_out2d',
    'comp2dlift_tta_out3d', 'comp2dlift_test_mpjpe_lift', 'comp3d_out3d', 'comp3d_loss',
    'comp3d_composite', 'comp3d_test_mpjpe', 'onlylift_loss', 'lift_raw_out', 'lift_raw_vte',
    'lift_out3d_center', 'lift_out3d_all', 'lift_tta_out3d_center', 'lift_tta_out3d_all',
    'lift_train_loss', 'lift_tta_test_mpjpe', 'lift_raw_out_trainBN', 'lift_raw_vte_trainBN')


def required_outputs(weights: dict, inputs: dict, reference: dict) -> List[str]:
    """The outputs a fixture of this layout must give: :data:`CORE_OUTPUTS`,
    the augmented pretraining outputs when ``inputs.pt`` has augmented
    windows, the refine outputs with refine weights, the raw and flip-test
    outputs of every extra ``lifter_*`` weight, and every tensor of
    ``outputs.pt``."""
    names = list(CORE_OUTPUTS)
    if 'pre_x2d_aug' in inputs:
        names += ['pre_aug_out2d', 'pre_aug_out3d', 'pre_aug_out3d_lift', 'pre_aug_loss2d',
                  'pre_aug_loss3d', 'pre_aug_losslift', 'pre_loss_aug']
    if 'refine' in weights:
        names += ['refine_xyz', 'refine_out3d', 'refine_loss']
    for name in sorted(weights):
        if name.startswith('lifter_') and name != 'lifter_Model':
            names += [f'{name}_{kind}' for kind in ('raw_out', 'raw_vte', 'tta_raw_out',
                                                    'tta_raw_vte')]
    names += [k for k, v in reference.items() if isinstance(v, Tensor) and k not in names]
    return names


def _load(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=True)


def _float(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    return {k: v.float() if v.is_floating_point() else v for k, v in state_dict.items()}


def flip_indices_of(left: Sequence[int], right: Sequence[int], num_keypoints: int) -> List[int]:
    """MMPose ``flip_indices`` from the reference's left/right joint lists."""
    index = list(range(num_keypoints))
    for a, b in zip(left, right):
        index[a], index[b] = b, a
    return index


def _eval_train_bn(model: nn.Module) -> nn.Module:
    """Train mode (batch statistics in BatchNorm) with dropout off."""
    model.train()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.eval()
    return model


def build_masked_model(state_dict: Dict[str, Tensor], **kwargs) -> MPMMaskedPoseModel:
    """Faithful :class:`MPMMaskedPoseModel` holding a reference pretraining or
    completion state dict."""
    geometry = pretrain_geometry(state_dict)
    model = MODELS.build(
        dict(type='MPMMaskedPoseModel',
             backbone=dict(type='MPMEncoder', **geometry['encoder']),
             head=dict(type='MPMReconstructionHead', **geometry['head']),
             share_masks=True, loss_on_masked=False, **kwargs))
    converted, _, _ = convert_mpm_checkpoint(state_dict, 'mpm_pretrain')
    model.load_state_dict(converted, strict=True)
    return model.eval()


def build_lifter(state_dict: Dict[str, Tensor],
                 refine_state_dict: Optional[Dict[str, Tensor]] = None) -> MPMSequenceLifter:
    """Faithful :class:`MPMSequenceLifter` holding a reference ``Model`` (and
    refine) state dict."""
    geometry = lifter_geometry(state_dict)
    refine = None
    converted, _, _ = convert_mpm_checkpoint(state_dict, 'mpm_lifter')
    if refine_state_dict is not None:
        refine = refine_geometry(refine_state_dict)
        if refine.pop('num_keypoints') != geometry['head']['num_keypoints']:
            raise ValueError('refine and lifter state dicts have different joint counts')
        converted.update(convert_mpm_checkpoint(refine_state_dict, 'mpm_refine')[0])
    model = MODELS.build(
        dict(type='MPMSequenceLifter',
             backbone=dict(type='MPMEncoder', drop=0.2, **geometry['encoder']),
             head=dict(type='MPMLiftingHead', **geometry['head']),
             refine=refine))
    model.load_state_dict(converted, strict=True)
    return model.eval()


def _samples(num: int, metainfo: dict, targets: Optional[Tensor] = None) -> List[PoseDataSample]:
    """``num`` data samples; metainfo values that are numpy arrays with a
    leading axis of ``num`` are split per sample."""
    samples = []
    for i in range(num):
        sample = PoseDataSample(metainfo={
            k: (v[i] if isinstance(v, np.ndarray) and k.startswith('mpm_') else v)
            for k, v in metainfo.items()})
        if targets is not None:
            sample.gt_instance_labels = InstanceData(lifting_target_label=targets[i])
        samples.append(sample)
    return samples


def redraw_masks(inputs: dict, meta: dict) -> Dict[str, Optional[float]]:
    """Mismatching entries between the fixture's masks and ours redrawn
    from its logged seeds (the entropy reseeds replaced by the logged
    substitutes)."""
    diffs = dict(masks_pretrain=None, masks_completion=None)
    config, opt = meta.get('config', {}), meta.get('opt_completion', {})

    def reseeds(draws):
        return [d['substituted_seed'] for d in draws if d.get('fn') == 'np.random.seed']

    if 'pre_mask_draws' in inputs and 'pre_spatial_mask2D' in inputs:
        F, K = inputs['pre_spatial_mask2D'].shape
        rng = np.random.RandomState(inputs['pre_seed_np'])
        joint_2d = draw_joint_mask(rng, F, K, config['smn'])
        rng.seed(reseeds(inputs['pre_mask_draws'])[0])
        frame_2d = draw_frame_mask(rng, F, config['tmr'])
        joint_3d = draw_joint_mask(rng, F, K, config['smn'])
        frame_3d = draw_frame_mask(rng, F, config['tmr'])
        ours = [joint_2d, frame_2d, joint_3d, frame_3d]
        theirs = [inputs[k] for k in ('pre_spatial_mask2D', 'pre_tmask2D', 'pre_spatial_mask3D',
                                      'pre_tmask3D')]
        diffs['masks_pretrain'] = float(sum(int((torch.as_tensor(a) != b).sum())
                                            for a, b in zip(ours, theirs)))
    if 'comp_mask_draws' in inputs and 'comp_spatial_mask2D' in inputs and opt:
        B, K = inputs['comp_spatial_mask2D'].shape
        F = inputs['comp_tmask2D'].shape[0]
        rng = np.random.RandomState(inputs['comp_seed_np'])
        ours = [np.stack([draw_tube_mask(rng, opt['tubemask2D'], GROUPS_2D_H36M17, K)[0]
                          for _ in range(B)])]
        rng.seed(reseeds(inputs['comp_mask_draws'])[0])
        ours.append(draw_frame_mask(rng, F, 0.0))
        ours.append(np.stack([draw_tube_mask(rng, opt['tubemask3D'], GROUPS_3D_H36M17, K)[0]
                              for _ in range(B)]))
        ours.append(draw_frame_mask(rng, F, 0.0))
        theirs = [inputs[k] for k in ('comp_spatial_mask2D', 'comp_tmask2D',
                                      'comp_spatial_mask3D', 'comp_tmask3D')]
        diffs['masks_completion'] = float(sum(int((torch.as_tensor(a) != b).sum())
                                              for a, b in zip(ours, theirs)))
    return diffs


def pretrain_outputs(model: MPMMaskedPoseModel, inputs: dict) -> Dict[str, Tensor]:
    """The ``pre_*`` outputs of the fixture from our pretraining model."""
    s2, t2 = inputs['pre_spatial_mask2D'], inputs['pre_tmask2D']
    s3, t3 = inputs['pre_spatial_mask3D'], inputs['pre_tmask3D']
    x2d, x3d = inputs['pre_x2d'], inputs['pre_x3d']
    out = {}
    with torch.no_grad():
        out['pre_out2d'] = model.reconstruct(x2d, s2, t2, ['pose2d'])['pose2d']
        out['pre_out3d'] = model.reconstruct(x3d, s3, t3, ['pose3d'])['pose3d']
        l2d = mean_joint_error(out['pre_out2d'], x2d)
        l3d = mean_joint_error(out['pre_out3d'], x3d)
        w = model.loss_weights
        out.update(pre_loss2d=l2d, pre_loss3d=l3d, pre_loss_noaug=w['pose2d'] * l2d +
                   w['pose3d'] * l3d)
        if 'pre_x2d_aug' in inputs:
            x2d_aug, x3d_aug = inputs['pre_x2d_aug'], inputs['pre_x3d_aug']
            aug = model.reconstruct(x2d_aug, s2, t2, ['pose2d', 'pose3d'])
            out['pre_aug_out2d'], out['pre_aug_out3d_lift'] = aug['pose2d'], aug['pose3d']
            # the reference masks the augmented 3D batch with the 2D masks
            out['pre_aug_out3d'] = model.reconstruct(x3d_aug, s2, t2, ['pose3d'])['pose3d']
            aug2d = l2d + mean_joint_error(out['pre_aug_out2d'], x2d_aug)
            aug3d = l3d + mean_joint_error(out['pre_aug_out3d'], x3d_aug)
            lift = mean_joint_error(out['pre_aug_out3d_lift'], x3d_aug)
            out.update(pre_aug_loss2d=aug2d, pre_aug_loss3d=aug3d, pre_aug_losslift=lift,
                       pre_loss_aug=5 * aug2d + 5 * aug3d + lift)
        out['pre_out2d_trainBN'] = _eval_train_bn(model).reconstruct(x2d, s2, t2,
                                                                     ['pose2d'])['pose2d']
    model.eval()
    return out


def completion_outputs(model: MPMMaskedPoseModel, inputs: dict,
                       flip_indices: List[int]) -> Dict[str, Tensor]:
    """The ``comp*`` and ``onlylift`` outputs from our completion model,
    2D->3D through the estimator's ``loss`` and flip-test ``predict``."""
    x2d, x3d = inputs['comp_x2d'], inputs['comp_x3d']
    B, F, K, _ = x2d.shape
    s2 = inputs['comp_spatial_mask2D'][:, None].expand(B, F, K)
    s3 = inputs['comp_spatial_mask3D'][:, None].expand(B, F, K)
    metainfo = dict(mpm_joint_mask_2d=s2.numpy(), mpm_joint_mask_3d=s3.numpy(),
                    mpm_frame_mask_2d=np.stack([inputs['comp_tmask2D'].numpy()] * B),
                    mpm_frame_mask_3d=np.stack([inputs['comp_tmask3D'].numpy()] * B),
                    flip_indices=flip_indices)
    out = {}
    model.tasks, model.share_masks = ('pose2d', 'lift'), False
    model.loss_weights.update(pose2d=1., lift=2.)
    model.test_cfg = dict(flip_test=True, flip_masks=False)
    with torch.no_grad():
        comp = model.reconstruct(x2d, s2, inputs['comp_tmask2D'], ['pose2d', 'pose3d'])
        out['comp2dlift_out2d'], out['comp2dlift_out3d'] = comp['pose2d'], comp['pose3d']
        losses = model.loss(x2d[:, None], _samples(B, metainfo, x3d))
        out['comp2dlift_loss2d'] = losses['loss_pose2d']
        out['comp2dlift_losslift'] = losses['loss_lift'] / 2
        out['comp2dlift_loss'] = sum(losses.values())
        preds = model.predict(x2d[:, None], _samples(B, metainfo))
        out['comp2dlift_tta_out2d'] = torch.cat(
            [torch.as_tensor(p.pred_instances.pose2d) for p in preds])
        out['comp2dlift_tta_out3d'] = torch.cat(
            [torch.as_tensor(p.pred_instances.lift) for p in preds])
        out3d = model.reconstruct(x3d, s3, inputs['comp_tmask3D'], ['pose3d'])['pose3d']
        out['comp3d_out3d'] = out3d
        out['comp3d_loss'] = mean_joint_error(out3d, x3d)
        out['comp3d_composite'] = torch.where(s3[..., None], out3d, x3d)
        out['onlylift_loss'] = (3 * out['comp3d_loss'] + 2 * out['comp2dlift_loss2d'] +
                                8 * out['comp2dlift_losslift'])
    out.update(_reference_metrics(model, x2d, x3d, metainfo))
    return out


def _reference_metrics(model: MPMMaskedPoseModel, x2d: Tensor, x3d: Tensor,
                       metainfo: dict) -> Dict[str, Tensor]:
    """``comp2dlift_test_mpjpe_lift`` and ``comp3d_test_mpjpe`` again,
    through ``predict`` and :class:`MPMCompletionMetric` in its faithful
    setting (every joint counted), metres."""
    B = x2d.shape[0]
    model.tasks, model.test_cfg = ('pose2d', 'lift', 'pose3d'), {}
    samples = _samples(B, metainfo, x3d)
    for sample, pose in zip(samples, x2d):
        sample.gt_instance_labels.keypoint_labels = pose
    with torch.no_grad():
        preds = model.predict(x2d[:, None], samples)
    metric = MPMCompletionMetric(masked_only=False)
    metric.process({}, [p.to_dict() for p in preds])
    values = metric.compute_metrics(metric.results)
    return dict(comp2dlift_test_mpjpe_lift=torch.tensor(values['lift_mpjpe'] / 1000),
                comp3d_test_mpjpe=torch.tensor(values['pose3d_mpjpe'] / 1000))


def _raw(pose: Tensor) -> Tensor:
    """(B, N, K, 3) -> the reference's raw layout (B, 3, N, K, 1)."""
    return pose.permute(0, 3, 1, 2)[..., None]


def lifter_outputs(model: MPMSequenceLifter, inputs: dict, prefix: str, name: str,
                   flip_indices: List[int], full: bool) -> Dict[str, Tensor]:
    """Raw, flip-test and (``full``) loss, refine and train-BN outputs of a
    lifter; ``prefix`` names the fixture inputs, ``name`` the outputs."""
    x2d = inputs[f'{prefix}_x2d']
    out = {}
    with torch.no_grad():
        center, frames = model.lift(x2d)
        out[f'{name}_raw_out'], out[f'{name}_raw_vte'] = _raw(center), _raw(frames)
        tta_center, tta_frames = model.lift(x2d, flip_indices)
        if not full:
            out[f'{name}_tta_raw_out'] = _raw(tta_center)
            out[f'{name}_tta_raw_vte'] = _raw(tta_frames)
            return out
        B, F = x2d.shape[:2]
        mid = F // 2
        gt = inputs['lift_gt3d']
        out.update(lift_out3d_center=center, lift_out3d_all=frames,
                   lift_tta_out3d_center=tta_center, lift_tta_out3d_all=tta_frames)
        refine, model.refine = model.refine, None
        out['lift_train_loss'] = sum(model.loss(x2d[:, None], _samples(B, {}, gt)).values())
        model.refine = refine
        target = gt.clone()
        target[:, :, 0] = 0
        zeroed = tta_center.clone()
        zeroed[:, :, 0] = 0
        out['lift_tta_test_mpjpe'] = mean_joint_error(zeroed, target[:, mid:mid + 1])
        if model.refine is not None:
            out['refine_xyz'] = uvd_to_xyz(x2d[:, mid:mid + 1], center[..., 2],
                                           gt[:, mid:mid + 1, 0, 2], inputs['lift_cam'])
            out['refine_out3d'] = model.refine(center, out['refine_xyz'])
            out['refine_loss'] = mean_joint_error(out['refine_out3d'], target[:, mid:mid + 1])
        bn_center, bn_frames = _eval_train_bn(model).lift(x2d)
        out['lift_raw_out_trainBN'], out['lift_raw_vte_trainBN'] = _raw(bn_center), _raw(bn_frames)
    model.eval()
    return out


def _joint_lists(meta: dict, key: str) -> Tuple[List[int], List[int]]:
    opt = meta.get(key) or meta.get('extra_lifter_opts', {}).get(key, {})
    return opt.get('joints_left', []), opt.get('joints_right', [])


def check(fixture_dir: str) -> ParityResult:
    """Compare every output of the fixture folder; print one line each and
    the summary."""
    weights_file = _load(osp.join(fixture_dir, 'weights.pt'))
    weights = {k: _float(v) for k, v in weights_file['weights'].items()}
    meta = weights_file.get('meta', {})
    if osp.exists(osp.join(fixture_dir, 'meta.pt')):
        meta = {**meta, **_load(osp.join(fixture_dir, 'meta.pt'))}
    inputs = _load(osp.join(fixture_dir, 'inputs.pt'))
    reference = _load(osp.join(fixture_dir, 'outputs.pt'))
    ours: Dict[str, Tensor] = {}
    diffs: Dict[str, Optional[float]] = redraw_masks(inputs, meta)
    skipped = {}

    def flips(key: str, num_keypoints: int) -> List[int]:
        left, right = _joint_lists(meta, key)
        return flip_indices_of(left, right, num_keypoints)

    if 'pretrain_MPMmask2' in weights:
        ours.update(pretrain_outputs(build_masked_model(weights['pretrain_MPMmask2']), inputs))
    if 'completion_MPMmask' in weights and 'comp_x2d' in inputs:
        K = inputs['comp_x2d'].shape[2]
        flip_indices = flips('opt_completion', K)
        diffs['flip_inputs'] = max_abs_diff(mirror_poses(inputs['comp_x2d'], flip_indices),
                                            inputs['comp_x2d_flip'])
        ours.update(completion_outputs(
            build_masked_model(weights['completion_MPMmask']), inputs, flip_indices))
    if 'lifter_Model' in weights and 'lift_x2d' in inputs:
        lifter = build_lifter(weights['lifter_Model'], weights.get('refine'))
        if 'refine' not in weights:
            skipped['refine_out3d'] = 'no refine weights'
        ours.update(lifter_outputs(lifter, inputs, 'lift', 'lift',
                                   flips('opt_pretrain', inputs['lift_x2d'].shape[2]), True))
    for name in sorted(weights):
        if name.startswith('lifter_') and name != 'lifter_Model' and f'{name}_x2d' in inputs:
            K = inputs[f'{name}_x2d'].shape[2]
            ours.update(lifter_outputs(build_lifter(weights[name]), inputs, name, name,
                                       flips(name, K), False))
    for name in reference:
        if not isinstance(reference[name], Tensor):
            continue
        if name in ours:
            diffs[name] = max_abs_diff(ours[name], reference[name], name)
        else:
            diffs[name] = None
            skipped.setdefault(name, 'not computed here')
    return report(diffs, TOLERANCES, skipped, required_outputs(weights, inputs, reference))
