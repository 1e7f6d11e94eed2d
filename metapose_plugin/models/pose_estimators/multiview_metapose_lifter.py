"""Stage 2 of multi-view MetaPose: the learned solver ("S1 + S2").

Usman, Tagliasacchi, Saenko, Sud, "MetaPose: Fast 3D Pose from Multiple Views
without 3D Supervision", CVPR 2022 (arXiv 2108.04869).
"""
from typing import Dict, List, Optional

import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.models.losses.multiview_losses import teacher_student_loss
from metapose_plugin.models.utils.multiview.deep_inverse_solver import deep_inverse_solve
from metapose_plugin.structures.multiview.multiview_geometry import normalized_bone_lengths
from metapose_plugin.structures.multiview.multiview_packing import unpack_solution

LOSS_NAMES = ('fwd', 'logp', 'x_opt', 'bone')


@MODELS.register_module()
class MultiViewMetaPoseLifter(BaseModel):
    """The learned multi-stage solver of multi-view MetaPose (``DeepInverseSolver``).

    Each stage maps ``[x, task, fwd, val, stage]`` to an additive update of the
    solution ``x`` (pose + weak cameras, :mod:`multiview_packing`); stages run
    in order and only the last one is trained (the reference's stop-gradient
    makes earlier ones frozen; their parameters are also marked so here).
    Training "stage by stage" is a sequence of runs of ``tools/train.py``,
    each with one more stage and ``load_from`` the previous run (see
    ``docs/multiview_metapose.md``).

    MMPose's ``BasePoseEstimator`` builds an image backbone and head; this
    model has neither (its inputs are stage-1 solutions and mixtures), so it
    subclasses MMEngine's ``BaseModel`` and keeps MMPose's verbs: ``loss``,
    ``predict``, ``_forward`` (``mode='tensor'``).

    Losses (weights in ``loss_weights``, 0 drops a term), as the reference:
    ``fwd``: MSE of the final projections against the ground-truth 2D
    reprojections (bbox units); ``logp``: mean of the final stage-1 objective
    (self-supervised, the SS ablation); ``x_opt``: teacher-student loss
    against the stage-1 result (TS ablation); ``bone``: MSE of normalised
    bone lengths against the ground truth's (BL ablation; uses 3D).

    Note:
        B frames, V views, K joints, M components, D = 3K + 10V. Inputs per
        frame (``data_samples[i].gt_instance_labels``): ``x_init`` (1, D)
        stage-1 report 0, ``task`` (1, V*K*M*4 [+16]), ``x_best`` (1, D) the
        stage-1 result, ``pose2d`` (1, V, K, 2) ground-truth 2D in bbox units.

    Args:
        stage_model (dict): Config of one stage (``EquivariantStageModel`` or
            ``FlatStageModel``), built ``num_stages`` times.
        num_stages (int): Stages. Defaults to 1.
        num_views (int): V. num_joints (int): K. num_components (int): M.
        use_bone_lengths (bool): The task ends with 16 bone lengths.
        loss_weights (dict): ``fwd``, ``logp``, ``x_opt``, ``bone``.
            Defaults to the reference's ``fwd=1`` only.
        float64 (bool): Run in float64 like the reference. Defaults to True.
        data_preprocessor (dict, optional): MMEngine data preprocessor.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 stage_model: dict,
                 num_stages: int = 1,
                 num_views: int = 4,
                 num_joints: int = 17,
                 num_components: int = 4,
                 use_bone_lengths: bool = False,
                 loss_weights: Optional[Dict[str, float]] = None,
                 float64: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if num_stages < 1:
            raise ValueError(f'num_stages must be >= 1, got {num_stages}')
        self.loss_weights = dict(fwd=1.0, logp=0.0, x_opt=0.0, bone=0.0)
        unknown = set(loss_weights or {}) - set(LOSS_NAMES)
        if unknown:
            raise ValueError(f'loss_weights: unknown {sorted(unknown)}; expected {LOSS_NAMES}')
        self.loss_weights.update(loss_weights or {})
        self.num_views, self.num_joints = num_views, num_joints
        self.num_components = num_components
        self.use_bone_lengths = use_bone_lengths
        self.dtype = torch.float64 if float64 else torch.float32
        shape = dict(num_views=num_views, num_joints=num_joints, num_components=num_components,
                     use_bone_lengths=use_bone_lengths)
        self.stages = nn.ModuleList(
            [MODELS.build({**stage_model, **shape}) for _ in range(num_stages)])
        for stage in self.stages[:-1]:
            stage.requires_grad_(False)
        self.to(self.dtype)

    def _batch(self, data_samples) -> Dict[str, Tensor]:
        fields = ('x_init', 'task', 'x_best', 'pose2d')
        out = {}
        for name in fields:
            values = [s.gt_instance_labels.get(name) for s in data_samples]
            if any(v is None for v in values):
                continue
            out[name] = torch.cat([torch.as_tensor(v) for v in values]).to(
                device=next(self.stages[0].parameters()).device, dtype=self.dtype)
        for name in ('x_init', 'task'):
            if name not in out:
                raise KeyError(f'MultiViewMetaPoseLifter: data samples lack '
                               f'gt_instance_labels.{name}')
        return out

    def solve(self, x_init: Tensor, task: Tensor) -> dict:
        """Run every stage: see :func:`deep_inverse_solve`."""
        return deep_inverse_solve(self.stages, x_init, task, self.num_views, self.num_joints,
                                  self.num_components, self.use_bone_lengths)

    def forward(self, inputs=None, data_samples=None, mode: str = 'tensor'):
        """MMEngine's entry: ``'loss'``, ``'predict'`` or ``'tensor'``."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'invalid mode {mode!r}; expected loss, predict or tensor')

    def _forward(self, inputs, data_samples) -> Tensor:
        """(B, D) final solutions."""
        batch = self._batch(data_samples)
        return self.solve(batch['x_init'], batch['task'])['x_opt']

    def loss(self, inputs, data_samples) -> Dict[str, Tensor]:
        """Weighted losses of the final solution (non-zero weights only)."""
        batch = self._batch(data_samples)
        out = self.solve(batch['x_init'], batch['task'])
        losses = {}
        weights = self.loss_weights
        if weights['fwd']:
            target = self._need(batch, 'pose2d', 'fwd').flatten(1)
            losses['loss_fwd'] = weights['fwd'] * (out['fwd'] - target).square().mean()
        if weights['logp']:
            losses['loss_logp'] = weights['logp'] * out['vals'].to(self.dtype).mean()
        sol = unpack_solution(out['x_opt'], self.num_views, self.num_joints)
        if weights['x_opt']:
            best = unpack_solution(self._need(batch, 'x_best', 'x_opt'), self.num_views,
                                   self.num_joints)
            losses['loss_x_opt'] = weights['x_opt'] * teacher_student_loss(
                sol.rot, best.rot, sol.pose, best.pose, sol.scale_param, best.scale_param,
                sol.shift, best.shift).mean()
        if weights['bone']:
            if not self.use_bone_lengths:
                raise ValueError('loss_weights.bone > 0 needs use_bone_lengths=True')
            target = batch['task'][:, -16:]
            losses['loss_bone'] = weights['bone'] * (normalized_bone_lengths(sol.pose) -
                                                     target).square().mean()
        if not losses:
            raise ValueError('MultiViewMetaPoseLifter: every loss weight is 0')
        return losses

    @staticmethod
    def _need(batch: dict, name: str, loss: str) -> Tensor:
        if name not in batch:
            raise KeyError(f'loss {loss!r} needs gt_instance_labels.{name}')
        return batch[name]

    def predict(self, inputs, data_samples) -> List:
        """Write ``pred_instances`` into each data sample.

        ``keypoints`` (1, K, 3) the pose in view 0's weak frame (bbox units,
        defined up to similarity), ``rot0`` (1, 3, 3) view 0's rotation,
        ``solution`` (1, D), ``objective`` (1,) the stage-1 objective of the
        final solution (its 2D-only quality).
        """
        with torch.no_grad():
            batch = self._batch(data_samples)
            out = self.solve(batch['x_init'], batch['task'])
        sol = unpack_solution(out['x_opt'], self.num_views, self.num_joints)
        rot = sol.rot
        for index, sample in enumerate(data_samples):
            sample.pred_instances = InstanceData(
                keypoints=sol.pose[index:index + 1].float(),
                rot0=rot[index:index + 1, 0].float(),
                solution=out['x_opt'][index:index + 1],
                objective=out['vals'][index:index + 1].float())
        return data_samples
