"""Parity of multi-view MetaPose with its TensorFlow reference.

Fixture layout (``metapose_ref.npz`` + ``meta.json``, README of
``shared/fixtures/multiview_metapose``): ``unit/*`` single functions,
``recN/in/*`` raw records, ``recN/s1*/*`` stage-1 runs, ``s2/*`` stage 2 with
random weights. Everything is read from the files: records, camera counts and
subsets (order kept), step counts and report cadence (from ``iters``), the
bone-prior weight (from ``s1_steps_lambda<w>``), the stage specs and layer
sizes (``meta.json`` and the kernel shapes).

Every fixture of the layout must give the outputs of
:func:`required_outputs` (the unit functions, the stage-1 outputs of every
record, stage 2); the stage-1 variants (``s1_steps_lambda<w>``,
``s1_cams<ij>``) and the standard frame (``s2/std``) are compared where the
fixture has them. Fixture keys this check never reads are listed as skipped.

Tolerances follow the dtype of the reference's computation (max |diff|;
"rel" means times ``max(1, max|reference|)``), each written next to its
comparison:

* float64 outputs (bbox conversion, stage-2 packing, layers, losses, metrics
  from the reference's solutions): 1e-12 rel (a few float64 roundings;
  measured <= 3e-14).
* single float32 computations (alignment, 6D map, projection, mixture
  likelihood, objective and its gradient, initialisation): 8 float32 ulps
  rel (reduction order differs between libraries; measured <= 4 ulps); the
  rotations of a float32 3x3 SVD (Procrustes: ``R``, its determinant, the
  aligned points, the initial cameras), whose error grows as the singular
  values get close: 84 ulps (1e-5 rel; measured 3e-6).
* stage-1 trajectories (5 to 100 float32 Adam steps, bbox units and losses):
  840 ulps (1e-4 rel; measured <= 1.4e-5): each step's ``m / sqrt(v)``
  amplifies the rounding of small gradients; PMPJPE of the trajectories:
  0.01 mm (measured <= 3e-3).
* stage 2 runs in float64 but its input carries one float32 value per stage,
  the objective ``val`` (a float32 mean of V*K float32 log-likelihoods, whose
  last bits depend on the summation order): that column of every stage input
  is compared at 4 float32 ulps rel, the other columns of stage 0 at float64
  tolerance. What a stage computes from it (``x_after_stage0``) is compared
  at the float64 tolerance plus the change of our stage's output when ``val``
  moves by those 4 ulps (the rounding propagated, not a measured constant).
  Later stages see the previous stages' float32 ``val`` through ``x``:
  their inputs at 8 ulps rel, their solutions at 1e-5. ``cn`` divides by
  ``std + 1e-10``, which turns 1e-16 rounding of a view-constant (saturated
  SELU) channel into 1e-6: a stage whose ``cn`` input has such a channel is
  compared at 1e-5 (measured <= 4e-6), others at float64 tolerance.
* ``standardize_init_best``: the reference's standard rotation is ``U @ V``
  (not ``U @ V^T``) of a rank-2 matrix, so its x/y axes depend on the sign
  convention of the SVD library (even the sign of z differs on 2 of the 3
  fixture records). Compared: the parts independent of it (|z| and per-joint
  norms of the pose, scales, shifts) at float64 tolerance, and the
  projections, which the change of frame must keep, at 1e-7 (the reference's
  own standardised solutions reproduce its projections to 2e-8).
"""
import json
import os.path as osp
import re
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import Tensor

from metapose_plugin.evaluation.functional.multiview_metrics import (solution_metrics,
                                                                     stage1_report_stats)
from metapose_plugin.models.heads.multiview_heads.equivariant_stage_model import \
    EquivariantStageModel
from metapose_plugin.models.heads.multiview_heads.flat_stage_model import FlatStageModel
from metapose_plugin.models.losses import teacher_student_loss
from metapose_plugin.models.pose_estimators.multiview_metapose_s1_solver import \
    MultiViewMetaPoseS1Solver
from metapose_plugin.models.utils.multiview.context_layers import (ContextConcatenation,
                                                                   ContextNormalization)
from metapose_plugin.models.utils.multiview.deep_inverse_solver import deep_inverse_solve
from metapose_plugin.parity.common import (FLOAT32_EPS, FixtureError, ParityResult,
                                           float32_ulps, max_abs_diff, relative_tolerance,
                                           report)
from metapose_plugin.structures.multiview.multiview_geometry import (align_aba, bbox_origin_size,
                                                                     bone_length_prior,
                                                                     bone_lengths, gmm_log_prob,
                                                                     mixture_nll,
                                                                     mixtures_to_bbox_units,
                                                                     normalized_bone_lengths,
                                                                     param_to_scale,
                                                                     points_to_bbox_units,
                                                                     rotation_from_6d,
                                                                     scale_to_param, weak_project)
from metapose_plugin.structures.multiview.multiview_packing import (forward_nll, pack_solution,
                                                                    pack_task, solution_forward,
                                                                    standardize_solution,
                                                                    unpack_solution, unpack_task)

REQUIRED_FILES = ('metapose_ref.npz', 'meta.json')

# relative tolerances (times max(1, max|reference|)); reasons in the module doc
TOL_F64 = 1e-12
TOL_F32 = 8 * FLOAT32_EPS
TOL_SVD_F32 = 84 * FLOAT32_EPS
TOL_TRAJ = 840 * FLOAT32_EPS
# the float32 objective ``val`` in a stage input: ulps of its value
VAL_ULPS = 4
# absolute tolerances
TOL_PMPJPE_MM = 0.01
TOL_S2_F32_INPUT = 1e-5
TOL_STD_PROJ = 1e-7
# a ``cn`` input channel with a std below this is "view-constant" (see above)
CN_DEGENERATE_STD = 1e-6

_S1_FIELDS = ('conv_heatmaps', 'conv_pose2d_gt', 'conv_pose2d_pred', 'conv_pose2d_repr',
              'init_pose', 'init_scale', 'init_shift', 'init_R', 'init_det_R', 'iters', 'loss',
              'pose3d_opt_preds', 'cam_rot_opt_preds', 'scale_opt_preds', 'shift_opt_preds',
              'pose2d_opt_preds', 'pose3d_gt_aligned_pred_3d_proj', 'pose3d_pred_pmpjpe',
              'pose2d_pred_err', 'pose2d_pred_vs_posenet_err', 'pose2d_gt_posenet_err_mean',
              'pose3d_gt_backaligned_pose2d_gt_err')
_UNIT_OUTPUTS = tuple(f'unit/align/{f}' for f in ('a2b', 'b2a', 'a_mean', 'b_mean', 'R', 'scale',
                                                  'det_R')) + (
    'unit/vec6d', 'unit/reparam/scale_re', 'unit/unreparam/R', 'unit/unreparam/scale',
    'unit/proj', 'unit/gmm/logp', 'unit/frame_loss', 'unit/edge/pred_edge_lens',
    'unit/edge/loss', 'unit/grad/objective', 'unit/grad/d_pose', 'unit/grad/d_R_re',
    'unit/grad/d_scale_re', 'unit/grad/d_shift', 'unit/ctx/cn', 'unit/ctx/ccat')
_S2_OUTPUTS = ('s2/x_init', 's2/x_best', 's2/task_vec', 's2/y_pred', 's2/y_pred_cam0', 's2/y_fwd',
               's2/fwd_of_x_init', 's2/logp_of_x_init', 's2/logp_of_gt_fwd',
               's2/soln_loss_init_vs_best', 's2/solver/x_opt', 's2/solver/fwd', 's2/solver/vals',
               's2/solver/logp_loss', 's2/solver/pred_bone_len', 's2/loss/fwd_mse',
               's2/loss/x_opt', 's2/metric/pmpjpe', 's2/metric/nmpjpe', 's2/metric/pck150',
               's2/metric/pmpjpe_x_init', 's2/metric/pmpjpe_x_best', 's2/simple/update')
_S2_STAGE_OUTPUTS = ('s2/stage{i}/mlp_input', 's2/stage{i}/mlp_output', 's2/stage{i}/update',
                     's2/solver/stage{i}_input', 's2/solver/stage{i}_input[val]',
                     's2/solver/stage{i}_mlp_input', 's2/solver/x_after_stage{i}')


def required_outputs(records, num_stages: int) -> List[str]:
    """The outputs a fixture of this layout must give: the unit functions,
    every record's stage-1 outputs, and stage 2 with ``num_stages`` (at
    least 1) learned stages."""
    names = list(_UNIT_OUTPUTS)
    names += [f'{rec}/s1/{name}' for rec in records for name in _S1_FIELDS]
    names += list(_S2_OUTPUTS)
    names += [name.format(i=i) for i in range(max(1, num_stages)) for name in _S2_STAGE_OUTPUTS]
    return names


class MultiViewFixture:
    """Reads tensors from the npz (recording which keys were read); records
    what each compared output is."""

    def __init__(self, fixture_dir: str):
        self.path = osp.join(fixture_dir, 'metapose_ref.npz')
        self.data = np.load(self.path)
        with open(osp.join(fixture_dir, 'meta.json')) as file:
            self.meta = json.load(file)
        self.keys = set(self.data.files)
        self.read = set()
        self.diffs: Dict[str, Optional[float]] = {}
        self.tols: Dict[str, float] = {}
        self.skipped: Dict[str, str] = {}

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def __getitem__(self, key: str) -> Tensor:
        if key not in self.keys:
            raise FixtureError(f'{self.path}: no {key!r}, which the multiview check reads as an '
                               'input')
        self.read.add(key)
        return torch.from_numpy(np.asarray(self.data[key]))

    def report_unread(self) -> None:
        """List the fixture keys no comparison or input read as skipped."""
        for key in sorted(self.keys - self.read):
            self.skip(key, 'in the fixture, not read by this check')

    def compare(self, name: str, ours: Tensor, key: str, tol: float, relative: bool = True):
        """Record max|ours - fixture[key]| with tolerance ``tol``, times
        ``max(1, max|reference|)`` when ``relative`` (the default)."""
        if key not in self:
            self.diffs[name], self.skipped[name] = None, f'{key} not in the fixture'
            return
        ref = self[key]
        self.compare_tensors(name, ours, ref, relative_tolerance(tol, ref) if relative else tol)

    def compare_tensors(self, name: str, ours: Tensor, reference: Tensor, tol: float):
        """Record max|ours - reference| with the absolute tolerance ``tol``."""
        self.diffs[name] = max_abs_diff(ours.detach().cpu(), reference, name)
        self.tols[name] = tol

    def skip(self, name: str, why: str):
        self.diffs[name], self.skipped[name] = None, why


def _reference_solver(**kwargs) -> MultiViewMetaPoseS1Solver:
    """The stage-1 solver with the reference's initialisation and reports."""
    return MultiViewMetaPoseS1Solver(init_with_view0=False, proper_init=False,
                                     report_mode='reference', **kwargs)


def _records(fx: MultiViewFixture):
    return sorted({m.group(1) for k in fx.keys for m in [re.match(r'^(rec\d+)/in/', k)] if m},
                  key=lambda r: int(r[3:]))


def _conv_record(fx: MultiViewFixture, rec: str) -> Dict[str, Tensor]:
    origin, size = bbox_origin_size(fx[f'{rec}/in/bboxes'])
    out = dict(heatmaps=mixtures_to_bbox_units(fx[f'{rec}/in/heatmaps'], origin, size))
    for field in ('pose2d_gt', 'pose2d_pred', 'pose2d_repr'):
        out[field] = points_to_bbox_units(fx[f'{rec}/in/{field}'], origin, size)
    return out


def _cadence(iters: Tensor):
    """(opt_steps, report_n_results) of the reference from its report steps."""
    iters = iters.tolist()
    every = iters[1] - iters[0] if len(iters) > 1 else 1
    opt_steps = iters[-1] + 1
    return opt_steps, opt_steps // every + 1


def _check_units(fx: MultiViewFixture):
    for prefix in sorted({k.rsplit('/', 1)[0] for k in fx.keys if k.startswith('unit/align')}):
        al = align_aba(fx[f'{prefix}/a'], fx[f'{prefix}/b'])
        for field, ours in (('a2b', al.a2b), ('b2a', al.b2a), ('a_mean', al.a_mean),
                            ('b_mean', al.b_mean), ('R', al.rot), ('scale', al.scale),
                            ('det_R', torch.linalg.det(al.rot))):
            # outputs of the float32 SVD's rotation get the SVD tolerance
            tol = TOL_SVD_F32 if field in ('a2b', 'b2a', 'R', 'det_R') else TOL_F32
            fx.compare(f'{prefix}/{field}', ours, f'{prefix}/{field}', tol, True)
    if 'unit/vec6d/in' in fx:
        fx.compare('unit/vec6d', rotation_from_6d(fx['unit/vec6d/in']), 'unit/vec6d/rot', TOL_F32)
    if 'unit/reparam/scale' in fx:
        fx.compare('unit/reparam/scale_re', scale_to_param(fx['unit/reparam/scale']),
                   'unit/reparam/scale_re', TOL_F32)
    if 'unit/reparam/R_re' in fx:
        fx.compare('unit/unreparam/R', rotation_from_6d(fx['unit/reparam/R_re']),
                   'unit/unreparam/R', TOL_F32)
        fx.compare('unit/unreparam/scale', param_to_scale(fx['unit/reparam/scale_re']),
                   'unit/unreparam/scale', TOL_F32)
    proj_args = None
    if 'unit/proj/pose' in fx:
        proj_args = [fx[f'unit/proj/{k}'] for k in ('pose', 'R', 'scale', 'shift')]
        fx.compare('unit/proj', weak_project(*proj_args), 'unit/proj/out', TOL_F32)
    if 'unit/gmm/points' in fx:
        logp = gmm_log_prob(fx['unit/gmm/points'], fx['unit/gmm/params']).float()
        fx.compare('unit/gmm/logp', logp, 'unit/gmm/logp', TOL_F32)
    if proj_args is None:
        fx.skip('unit/frame_loss', 'needs unit/proj inputs')
        return
    # the fixture evaluates the objective at the unit/proj pose and cameras
    mixtures = fx['unit/frame_loss/heatmaps']
    proj = weak_project(*proj_args)[..., :2]
    fx.compare('unit/frame_loss', mixture_nll(proj, mixtures), 'unit/frame_loss/loss', TOL_F32)
    pose = proj_args[0]
    fx.compare('unit/edge/pred_edge_lens', bone_lengths(pose), 'unit/edge/pred_edge_lens', TOL_F32)
    fx.compare('unit/edge/loss', bone_length_prior(fx['unit/edge/gt_edge_lens'], pose),
               'unit/edge/loss', TOL_F32)
    grad_keys = [k for k in fx.keys if k.startswith('unit/grad/objective_with_edge_lambda')]
    for key in grad_keys:
        weight = float(key.rsplit('lambda', 1)[1])
        params = [pose, fx['unit/grad/R_re'], fx['unit/grad/scale_re'], proj_args[3]]
        params = [p.clone().requires_grad_(True) for p in params]
        solver = MultiViewMetaPoseS1Solver(bone_lambda=weight)
        objective = solver.objective(*params, mixtures, fx['unit/edge/gt_edge_lens'])
        objective.backward()
        fx.compare('unit/grad/objective', objective, key, TOL_F32)
        for name, param in zip(('d_pose', 'd_R_re', 'd_scale_re', 'd_shift'), params):
            fx.compare(f'unit/grad/{name}', param.grad, f'unit/grad/{name}', TOL_F32)
    if 'unit/ctx/in' in fx:
        fx.compare('unit/ctx/cn', ContextNormalization()(fx['unit/ctx/in']), 'unit/ctx/cn', TOL_F64)
        fx.compare('unit/ctx/ccat', ContextConcatenation()(fx['unit/ctx/in']), 'unit/ctx/ccat',
                   TOL_F64)


def _compare_run(fx: MultiViewFixture, prefix: str, out: Dict[str, Tensor], index: int,
                 names: Dict):
    fx.compare(f'{prefix}/iters', out['iters'], f'{prefix}/iters', 0)
    for ours, key in names.items():
        tensor = out[ours][:, index]
        fx.compare(f'{prefix}/{key}', tensor, f'{prefix}/{key}', TOL_TRAJ)


def _check_stage1(fx: MultiViewFixture, records, conv):
    full_names = dict(loss='loss', pose='pose3d_opt_preds', rot='cam_rot_opt_preds',
                      scale='scale_opt_preds', shift='shift_opt_preds')
    for rec in records:
        fx.compare(f'{rec}/s1/conv_heatmaps', conv[rec]['heatmaps'], f'{rec}/s1/conv_heatmaps',
                   TOL_F64)
        for field in ('pose2d_gt', 'pose2d_pred', 'pose2d_repr'):
            fx.compare(f'{rec}/s1/conv_{field}', conv[rec][field], f'{rec}/s1/conv_{field}',
                       TOL_F64)
        init = _reference_solver().initialise(fx[f'{rec}/in/pose3d_epi_pred'][None].float())
        for ours, key in (('pose', 'init_pose'), ('scale', 'init_scale'), ('shift', 'init_shift')):
            fx.compare(f'{rec}/s1/{key}', init[ours][0], f'{rec}/s1/{key}', TOL_F32)
        fx.compare(f'{rec}/s1/init_R', init['rot'][0], f'{rec}/s1/init_R', TOL_SVD_F32)
        fx.compare(f'{rec}/s1/init_det_R', torch.linalg.det(init['rot'][0]), f'{rec}/s1/init_det_R',
                   TOL_SVD_F32, True)
    # full runs: every record with the same camera count and cadence in one batch
    groups: Dict[tuple, list] = {}
    for rec in records:
        if f'{rec}/s1/iters' in fx:
            key = (fx[f'{rec}/in/pose3d_epi_pred'].shape[0], tuple(fx[f'{rec}/s1/iters'].tolist()))
            groups.setdefault(key, []).append(rec)
    for (_, iters), recs in groups.items():
        steps, n_reports = _cadence(torch.tensor(iters))
        solver = _reference_solver(opt_steps=steps, report_n_results=n_reports)
        mono = torch.stack([fx[f'{r}/in/pose3d_epi_pred'] for r in recs])
        mixtures = torch.stack([conv[r]['heatmaps'] for r in recs])
        out = solver(mono, mixtures)
        stats = stage1_report_stats(out, torch.stack([fx[f'{r}/in/pose3d'] for r in recs]),
                                    torch.stack([conv[r]['pose2d_gt'] for r in recs]),
                                    torch.stack([conv[r]['pose2d_pred'] for r in recs]))
        for index, rec in enumerate(recs):
            _compare_run(fx, f'{rec}/s1', out, index, full_names)
            for name, value in stats.items():
                key = f'{rec}/s1/{name}'
                tol = TOL_PMPJPE_MM if name == 'pose3d_pred_pmpjpe' else TOL_TRAJ
                ours = value[:, index] if value.dim() >= 2 else value[index]
                fx.compare(key, ours, key, tol, name != 'pose3d_pred_pmpjpe')
    _check_stage1_variants(fx, records, conv)


def _check_stage1_variants(fx: MultiViewFixture, records, conv):
    step_names = dict(loss='loss', pose='pose', rot='R', scale='scale', shift='shift')
    subset_names = dict(loss='loss', pose='pose3d_opt_preds', rot='cam_rot_opt_preds',
                        scale='scale_opt_preds', shift='shift_opt_preds')
    for rec in records:
        runs = sorted({k.split('/')[1] for k in fx.keys if k.startswith(f'{rec}/s1_')})
        for run in runs:
            prefix = f'{rec}/{run}'
            if f'{prefix}/iters' not in fx:
                continue
            steps, n_reports = _cadence(fx[f'{prefix}/iters'])
            weight = re.match(r'^s1_steps_lambda([0-9.]+)$', run)
            weight = float(weight.group(1)) if weight else 0.0
            subset = (fx[f'{prefix}/cam_subset'].long() if f'{prefix}/cam_subset' in fx else
                      torch.arange(fx[f'{rec}/in/pose3d_epi_pred'].shape[0]))
            mono = fx[f'{rec}/in/pose3d_epi_pred'][subset][None]
            mixtures = conv[rec]['heatmaps'][subset][None]
            if f'{prefix}/heatmaps' in fx:
                fx.compare(f'{prefix}/heatmaps', mixtures[0], f'{prefix}/heatmaps', TOL_F64)
            bones = bone_lengths(fx[f'{rec}/in/pose3d'].float())[None] if weight > 0 else None
            solver = _reference_solver(opt_steps=steps, report_n_results=n_reports,
                                       bone_lambda=weight)
            out = solver(mono, mixtures, bones)
            names = step_names if run.startswith('s1_steps') else subset_names
            _compare_run(fx, prefix, out, 0, names)
            if f'{prefix}/pose3d_pred_pmpjpe' in fx:
                gt = fx[f'{rec}/in/pose3d'].float()
                value = align_aba(out['pose'][:, 0], gt.expand_as(out['pose'][:, 0])).a2b
                fx.compare(f'{prefix}/pose3d_pred_pmpjpe', (value - gt).norm(dim=-1).mean(-1),
                           f'{prefix}/pose3d_pred_pmpjpe', TOL_PMPJPE_MM, relative=False)


def _s1_solution(fx: MultiViewFixture, rec: str, report: int):
    return [fx[f'{rec}/s1/{k}'][report][None] for k in
            ('pose3d_opt_preds', 'cam_rot_opt_preds', 'scale_opt_preds', 'shift_opt_preds')]


def _load_dense_stack(module, fx: MultiViewFixture, prefix: str):
    """Load Keras kernels (in, out) and biases at ``prefix/NN[_Dense]/`` into ``module[NN]``."""
    state = {}
    for key in fx.keys:
        match = re.match(re.escape(prefix) + r'/(\d+)(?:_Dense)?/(kernel|bias)$', key)
        if match:
            index, kind = int(match.group(1)), match.group(2)
            value = fx[key]
            state[f'{index}.weight' if kind == 'kernel' else f'{index}.bias'] = (
                value.T if kind == 'kernel' else value)
    module.load_state_dict(state)


def stage2_geometry(fx: MultiViewFixture):
    """``(views, joints, components, with_bones)`` of the fixture's stage 2
    (``meta.json``)."""
    x_spec, task_spec = fx.meta['x_spec'], fx.meta['task_spec']
    return x_spec[1][0], x_spec[0][0], task_spec[0][2], len(task_spec) > 1


def equivariant_stage(fx: MultiViewFixture, index: int) -> EquivariantStageModel:
    """Learned stage ``index`` (float64) with the fixture's weights."""
    views, joints, components, with_bones = stage2_geometry(fx)
    stage = EquivariantStageModel(views, joints, components, fx.meta['stage_spec'],
                                  fx.meta['pose_emb_size'], fx.meta['pose_mlp_sizes'],
                                  with_bones).double()
    _load_dense_stack(stage.main_mlp, fx, f's2/stage{index}/main_mlp')
    _load_dense_stack(stage.pose_mlp, fx, f's2/stage{index}/pose_mlp')
    return stage


def flat_stage(fx: MultiViewFixture) -> FlatStageModel:
    """The non-equivariant baseline stage (float64) with the fixture's
    ``s2/simple`` weights."""
    sizes = [fx[f's2/simple/{i:02d}/kernel'].shape[1] for i in range(99)
             if f's2/simple/{i:02d}/kernel' in fx][:-1]
    views, joints, components, with_bones = stage2_geometry(fx)
    flat = FlatStageModel(views, joints, components, sizes, with_bones).double()
    _load_dense_stack(flat.mlp, fx, 's2/simple')
    return flat


def _cn_degenerate(stage: EquivariantStageModel, mlp_input: Tensor) -> bool:
    feats = mlp_input
    for layer in stage.main_mlp:
        if isinstance(layer, ContextNormalization) and bool(
                (feats.std(dim=1, unbiased=False) < CN_DEGENERATE_STD).any()):
            return True
        feats = layer(feats)
    return False


def _check_stage2(fx: MultiViewFixture, records) -> int:
    """Compare stage 2; return the number of learned stages compared."""
    if 's2/x_init' not in fx:
        fx.skip('s2', 'no s2/ outputs')
        return 0
    views, joints, components, with_bones = stage2_geometry(fx)
    recs = records[:fx['s2/x_init'].shape[0]]
    x_init = torch.cat([pack_solution(*_s1_solution(fx, r, 0)).double() for r in recs])
    x_best = torch.cat([pack_solution(*_s1_solution(fx, r, -1)).double() for r in recs])
    # packing float32 reports: values carry float32 rounding of the inverse softplus
    fx.compare('s2/x_init', x_init, 's2/x_init', TOL_F32)
    fx.compare('s2/x_best', x_best, 's2/x_best', TOL_F32)
    x_init, x_best = fx['s2/x_init'], fx['s2/x_best']
    _check_standard_frame(fx, recs, views, joints)
    conv = [_conv_record(fx, r) for r in recs]
    bones = (normalized_bone_lengths(torch.stack([fx[f'{r}/in/pose3d'] for r in recs]))
             if with_bones else None)
    task = pack_task(torch.stack([c['heatmaps'] for c in conv]), bones)
    fx.compare('s2/task_vec', task, 's2/task_vec', TOL_F64)
    task = fx['s2/task_vec']
    gt = torch.stack([fx[f'{r}/in/pose3d'] for r in recs])
    rot0 = torch.stack([fx[f'{r}/in/cam_rot'][0] for r in recs])
    gt_cam0 = gt @ rot0.transpose(-1, -2)
    fx.compare('s2/y_pred', gt, 's2/y_pred', TOL_F64)
    fx.compare('s2/y_pred_cam0', gt_cam0, 's2/y_pred_cam0', TOL_F64)
    fx.compare('s2/y_fwd', torch.stack([c['pose2d_repr'] for c in conv]), 's2/y_fwd', TOL_F64)
    mixtures = unpack_task(task, views, joints, components, with_bones)[0]
    fwd_init = solution_forward(x_init, views, joints)
    fx.compare('s2/fwd_of_x_init', fwd_init, 's2/fwd_of_x_init', TOL_F64)
    fx.compare('s2/logp_of_x_init', forward_nll(fwd_init, mixtures), 's2/logp_of_x_init', TOL_F32)
    fx.compare('s2/logp_of_gt_fwd', forward_nll(fx['s2/y_fwd'].flatten(1), mixtures),
               's2/logp_of_gt_fwd', TOL_F32)
    fx.compare('s2/soln_loss_init_vs_best', _ts_loss(x_init, x_best, views, joints),
               's2/soln_loss_init_vs_best', TOL_F64)
    stages = _check_stages(fx)
    if stages:
        _check_solver(fx, stages, x_init, x_best, task, gt, gt_cam0, views, joints, components,
                      with_bones)
    if 's2/simple/update' in fx:
        fx.compare('s2/simple/update', flat_stage(fx)(fx['s2/solver/stage0_input']),
                   's2/simple/update', TOL_F64)
    return len(stages)


def _ts_loss(x: Tensor, x_best: Tensor, views: int, joints: int) -> Tensor:
    cur, best = unpack_solution(x, views, joints), unpack_solution(x_best, views, joints)
    return teacher_student_loss(cur.rot, best.rot, cur.pose, best.pose, cur.scale_param,
                                best.scale_param, cur.shift, best.shift)


def _check_standard_frame(fx: MultiViewFixture, recs, views: int, joints: int):
    for which, position in (('x_init', 0), ('x_best', -1)):
        key = f's2/std/{which}'
        if key not in fx:
            continue
        raw = [_s1_solution(fx, r, position) for r in recs]
        ours = torch.cat([pack_solution(*standardize_solution(*sol)) for sol in raw])
        mine, ref = unpack_solution(ours, views, joints), unpack_solution(fx[key], views, joints)
        checks = {
            'pose_abs_z': (mine.pose[..., 2].abs(), ref.pose[..., 2].abs()),
            'pose_joint_norms': (mine.pose.norm(dim=-1), ref.pose.norm(dim=-1)),
            'scale_param': (mine.scale_param, ref.scale_param),
            'shift': (mine.shift, ref.shift),
            'projection': (solution_forward(ours, views, joints), solution_forward(fx[key], views,
                                                                                   joints)),
        }
        for name, (a, b) in checks.items():
            fx.compare_tensors(f'{key}/{name}', a, b, TOL_STD_PROJ if name == 'projection' else
                               relative_tolerance(TOL_F64, b))


def _check_stages(fx: MultiViewFixture):
    """Each stage on the reference's own stage input (weights from the
    fixture); returns the stages."""
    stages = []
    index = 0
    while f's2/stage{index}/update' in fx:
        prefix = f's2/stage{index}'
        stage = equivariant_stage(fx, index)
        stage_input = fx[f's2/solver/stage{index}_input']
        mlp_input = fx[f'{prefix}/mlp_input']
        # float64 from float64 inputs, unless a ``cn`` layer is ill-conditioned
        tol = TOL_S2_F32_INPUT if _cn_degenerate(stage, mlp_input) else TOL_F64
        fx.compare(f'{prefix}/mlp_input', stage.view_rows(stage_input), f'{prefix}/mlp_input',
                   TOL_F64)
        fx.compare(f'{prefix}/mlp_output', stage.main_mlp(mlp_input), f'{prefix}/mlp_output', tol,
                   relative=tol == TOL_F64)
        fx.compare(f'{prefix}/update', stage(stage_input), f'{prefix}/update', tol,
                   relative=tol == TOL_F64)
        stages.append(stage)
        index += 1
    return stages


def split_val(stage_input: Tensor):
    """A stage input (B, n) -> its float64 columns (B, n - 1) and the float32
    objective ``val`` (B,), the second to last column."""
    return torch.cat([stage_input[:, :-2], stage_input[:, -1:]], dim=1), stage_input[:, -2]


def val_rounding_effect(stage, stage_input: Tensor) -> float:
    """Max change of ``stage``'s output (float64) when the ``val`` column of
    ``stage_input`` moves by :data:`VAL_ULPS` float32 ulps either way: the
    float32 rounding of the reference's ``val`` propagated through the
    stage."""
    _, val = split_val(stage_input)
    step = torch.zeros_like(stage_input)
    step[:, -2] = VAL_ULPS * FLOAT32_EPS * val.abs()
    with torch.no_grad():
        out = stage(stage_input)
        return max((stage(stage_input + sign * step) - out).abs().max().item()
                   for sign in (1, -1))


def _check_solver(fx, stages, x_init, x_best, task, gt, gt_cam0, views, joints, components,
                  with_bones):
    with torch.no_grad():
        out = deep_inverse_solve(stages, x_init, task, views, joints, components, with_bones)
    x_tol = 0.0
    for index, (stage, inputs, x_after) in enumerate(zip(stages, out['stage_inputs'], out['xs'])):
        name = f's2/solver/stage{index}_input'
        ours_rest, ours_val = split_val(inputs)
        # val: a float32 mean of V*K float32 terms, summed in another order
        val_tol = float32_ulps(VAL_ULPS, ours_val)
        # the other columns: float64 at stage 0; later stages carry the x of
        # stages that saw a float32 val
        rest_tol = relative_tolerance(TOL_F64 if index == 0 else TOL_F32, ours_rest)
        if name in fx:
            ref_rest, ref_val = split_val(fx[name])
            fx.compare_tensors(f'{name}[val]', ours_val, ref_val, val_tol)
            fx.compare_tensors(name, ours_rest, ref_rest, rest_tol)
        fx.compare(f's2/solver/stage{index}_mlp_input', stage.view_rows(inputs),
                   f's2/solver/stage{index}_mlp_input', max(val_tol, rest_tol), relative=False)
        # float64 arithmetic on a float32 val: its rounding propagated; from
        # stage 1 on also the earlier stages' (measured <= 4e-6)
        x_tol = max(relative_tolerance(TOL_F64, x_after) + val_rounding_effect(stage, inputs),
                    fx.tols.get(f's2/stage{index}/update', 0.0),
                    TOL_S2_F32_INPUT if index > 0 else 0.0)
        key = f's2/solver/x_after_stage{index}'
        fx.compare(key, x_after, key, x_tol, relative=False)
    # outputs of the last solution: downstream of every stage's float32 val
    chained = max(x_tol, TOL_S2_F32_INPUT)
    fx.compare('s2/solver/x_opt', out['x_opt'], 's2/solver/x_opt', x_tol, relative=False)
    fx.compare('s2/solver/fwd', out['fwd'], 's2/solver/fwd', chained, relative=False)
    fx.compare('s2/solver/vals', out['vals'], 's2/solver/vals', TOL_F32)
    fx.compare('s2/solver/logp_loss', out['vals'].mean(), 's2/solver/logp_loss', TOL_F32)
    sol = unpack_solution(out['x_opt'], views, joints)
    fx.compare('s2/solver/pred_bone_len', normalized_bone_lengths(sol.pose),
               's2/solver/pred_bone_len', chained, relative=False)
    y_fwd = fx['s2/y_fwd'].flatten(1)
    fx.compare('s2/loss/fwd_mse', (out['fwd'] - y_fwd).square().mean(), 's2/loss/fwd_mse', chained,
               relative=False)
    fx.compare('s2/loss/x_opt', _ts_loss(out['x_opt'], x_best, views, joints).mean(),
               's2/loss/x_opt', chained, relative=False)
    ref_x = fx['s2/solver/x_opt']
    fx.compare('s2/loss/fwd_mse[ref x_opt]',
               (solution_forward(ref_x, views, joints) - y_fwd).square().mean(), 's2/loss/fwd_mse',
               TOL_F64)
    fx.compare('s2/loss/x_opt[ref x_opt]', _ts_loss(ref_x, x_best, views, joints).mean(),
               's2/loss/x_opt', TOL_F64)
    for label, x in (('', out['x_opt']), ('[ref x_opt]', ref_x), ('_x_init', x_init),
                     ('_x_best', x_best)):
        sol = unpack_solution(x, views, joints)
        metrics = solution_metrics(sol.pose, sol.rot[:, 0], gt, gt_cam0)
        suffix = label if label.startswith('_') else ''
        # our chained solution: PMPJPE (mm) at its own tolerance; metrics of
        # the reference's float64 solutions at float64 tolerance
        tol, relative = (TOL_PMPJPE_MM, False) if label == '' else (TOL_F64, True)
        fx.compare(f's2/metric/pmpjpe{label}', metrics['pmpjpe'], f's2/metric/pmpjpe{suffix}', tol,
                   relative)
        if not suffix:
            fx.compare(f's2/metric/nmpjpe{label}', metrics['nmpjpe'], 's2/metric/nmpjpe', tol,
                       relative)
            # a float32 ratio of joint counts in the reference
            fx.compare(f's2/metric/pck150{label}', metrics['pck'], 's2/metric/pck150', TOL_F32)


def check(fixture_dir: str) -> ParityResult:
    """Compare every output of the fixture folder; print one line each and
    the summary."""
    torch.set_grad_enabled(True)
    fx = MultiViewFixture(fixture_dir)
    records = _records(fx)
    conv = {rec: _conv_record(fx, rec) for rec in records}
    _check_units(fx)
    _check_stage1(fx, records, conv)
    num_stages = _check_stage2(fx, records)
    fx.report_unread()
    return report(fx.diffs, fx.tols, fx.skipped, required_outputs(records, num_stages))
