"""Stage 1 of multi-view MetaPose: initialisation and iterative refinement.

Usman, Tagliasacchi, Saenko, Sud, "MetaPose: Fast 3D Pose from Multiple Views
without 3D Supervision", CVPR 2022 (arXiv 2108.04869); "S1 + IR" in the paper.
"""
from typing import Dict, Optional

import torch
from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.engine.optimizers.keras_adam import KerasAdam
from metapose_plugin.structures.multiview.multiview_geometry import (align_aba, bone_length_prior,
                                                                     mixture_nll, param_to_scale,
                                                                     rotation_from_6d,
                                                                     rotation_to_6d, scale_to_param,
                                                                     weak_project)


@MODELS.register_module()
class MultiViewMetaPoseS1Solver(nn.Module):
    """Pose and weak cameras of B frames from per-view monocular 3D and 2D mixtures.

    Initialisation: view 0 is canonical (``R = I``, ``s = 1``, ``t`` = mean of
    its monocular estimate); each view ``v >= 1`` is aligned to view 0 with the
    reference's Procrustes (:func:`align_aba`), which gives ``R_v``, ``s_v``,
    ``t_v`` = mean of view ``v``'s estimate and that estimate mapped into view
    0. The pose is the mean of the mapped estimates, centred on view 0's mean.
    The reference averages views ``1..V-1`` only (``init_with_view0=False``);
    the default also averages view 0's own estimate. The reference's
    alignment may return a reflection, which the 6D round trip then turns
    into a different, proper rotation; ``proper_init=True`` (default) aligns
    with a proper rotation and the least-squares scale instead.

    Refinement: ``opt_steps`` updates of (pose, 6D rotations, inverse-softplus
    scales, shifts) by :class:`KerasAdam` on the per-frame objective
    ``mixture_nll + bone_lambda * bone_length_prior``. All B frames are one
    optimisation: the summed objective gives each frame exactly its own
    gradient, and Adam is element-wise, so the batch equals B separate runs.
    Computation is float32 as in the reference (mixture likelihood in
    float64); the rotations are the 6D round trip of the initial ones, so a
    Procrustes reflection becomes a proper rotation before step 0.

    Reports (``report_mode``):

    * ``'reference'``: at steps ``0, n, 2n, ...`` (``n = opt_steps //
      (report_n_results - 1)``) and ``opt_steps - 1``, parameters before that
      step's update and the objective *before the previous* update (the
      reference's one-step lag); the last update is not reported.
    * ``'current'``: the same steps with the objective of the reported
      parameters, plus a final report after all ``opt_steps`` updates (step
      ``opt_steps``).

    Note:
        B frames, V views, K joints (17, H36M order when the bone prior is
        used), M mixture components, R reports. Units: bbox units (2D divided
        by the view's square bbox size, origin at its top-left corner); the
        monocular estimates are in the same units per view.

    Args:
        opt_steps (int): Adam updates. Defaults to 100.
        report_n_results (int): Sets the report stride (see above). Defaults
            to 50 (51 reference reports for 100 steps).
        learning_rate (float): Defaults to 1e-2.
        bone_lambda (float): Weight of the bone-length prior; it needs
            reference bone lengths at call time. Defaults to 0.
        init_with_view0 (bool): Average view 0's own estimate into the
            initial pose. Defaults to True (the reference: False).
        proper_init (bool): Similarity Procrustes (no reflections) in the
            initialisation. Defaults to True (the reference: False).
        report_mode (str): ``'reference'`` or ``'current'``. Defaults to
            ``'current'``.
        mixture_eps (float): Added to mixture weights in the log. Defaults to
            1e-8.
        adam_eps (float): Keras Adam epsilon. Defaults to 1e-7.
    """

    def __init__(self,
                 opt_steps: int = 100,
                 report_n_results: int = 50,
                 learning_rate: float = 1e-2,
                 bone_lambda: float = 0.0,
                 init_with_view0: bool = True,
                 proper_init: bool = True,
                 report_mode: str = 'current',
                 mixture_eps: float = 1e-8,
                 adam_eps: float = 1e-7):
        super().__init__()
        if report_mode not in ('reference', 'current'):
            raise ValueError(f"report_mode must be 'reference' or 'current', got {report_mode!r}")
        if opt_steps < 1 or report_n_results < 2 or opt_steps < report_n_results - 1:
            raise ValueError(f'need opt_steps >= report_n_results - 1 >= 1, got opt_steps='
                             f'{opt_steps}, report_n_results={report_n_results}')
        self.opt_steps = opt_steps
        self.report_every = opt_steps // (report_n_results - 1)
        self.learning_rate = learning_rate
        self.bone_lambda = bone_lambda
        self.init_with_view0 = init_with_view0
        self.proper_init = proper_init
        self.report_mode = report_mode
        self.mixture_eps = mixture_eps
        self.adam_eps = adam_eps

    def initialise(self, mono3d: Tensor) -> Dict[str, Tensor]:
        """Initial pose and cameras from per-view monocular estimates.

        Args:
            mono3d (Tensor): (B, V, K, 3) per-view monocular 3D, V >= 2.

        Returns:
            dict: ``pose`` (B, K, 3), ``rot`` (B, V, 3, 3) (possibly with det
            -1, as Procrustes gives it), ``scale`` (B, V), ``shift`` (B, V, 3).
        """
        if mono3d.dim() != 4 or mono3d.shape[1] < 2 or mono3d.shape[-1] != 3:
            raise ValueError(f'mono3d: expected (B, V >= 2, K, 3), got {tuple(mono3d.shape)}')
        batch, views = mono3d.shape[:2]
        view0 = mono3d[:, :1].expand(-1, views - 1, -1, -1)
        align = align_aba(view0, mono3d[:, 1:], proper=self.proper_init)
        mapped = align.b2a
        if self.init_with_view0:
            mapped = torch.cat([mono3d[:, :1], mapped], dim=1)
        view0_mean = mono3d[:, 0].mean(dim=-2)
        pose = mapped.mean(dim=1) - view0_mean[:, None]
        eye = torch.eye(3, dtype=mono3d.dtype, device=mono3d.device).expand(batch, 1, 3, 3)
        rot = torch.cat([eye, align.rot], dim=1)
        scale = torch.cat([mono3d.new_ones(batch, 1), align.scale], dim=1)
        shift = torch.cat([view0_mean[:, None], align.b_mean], dim=1)
        return dict(pose=pose, rot=rot, scale=scale, shift=shift)

    def objective(self, pose: Tensor, rot6d: Tensor, scale_param: Tensor, shift: Tensor,
                  mixtures: Tensor, ref_bone_lengths: Optional[Tensor] = None) -> Tensor:
        """Per-frame objective (B,) at parameters (pose, 6D rotation, scale parameter, shift)."""
        proj = weak_project(pose, rotation_from_6d(rot6d), param_to_scale(scale_param), shift)
        loss = mixture_nll(proj[..., :2], mixtures, self.mixture_eps)
        if ref_bone_lengths is not None and self.bone_lambda > 0:
            loss = loss + self.bone_lambda * bone_length_prior(ref_bone_lengths, pose)
        return loss

    def forward(self, mono3d: Tensor, mixtures: Tensor,
                ref_bone_lengths: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Solve B frames at once.

        Args:
            mono3d (Tensor): (B, V, K, 3) per-view monocular 3D (bbox units).
            mixtures (Tensor): (B, V, K, M, 4) per-view joint mixtures
                ``(pi, mu_x, mu_y, variance)`` in bbox units.
            ref_bone_lengths (Tensor, optional): (B, 16) bone lengths of the
                prior (any unit; only ratios matter). Required when
                ``bone_lambda > 0``.

        Returns:
            dict: ``iters`` (R,) int64, ``loss`` (R, B), ``pose`` (R, B, K, 3),
            ``rot`` (R, B, V, 3, 3), ``scale`` (R, B, V), ``shift`` (R, B, V, 3);
            float32. Report 0 is the initialisation, the last one the result.
        """
        if mixtures.dim() != 5 or mixtures.shape[:3] != mono3d.shape[:3] or mixtures.shape[-1] != 4:
            raise ValueError(f'mixtures: expected (B, V, K, M, 4) matching mono3d '
                             f'{tuple(mono3d.shape)}, got {tuple(mixtures.shape)}')
        if self.bone_lambda > 0 and ref_bone_lengths is None:
            raise ValueError('bone_lambda > 0 needs ref_bone_lengths (B, 16)')
        if ref_bone_lengths is not None:
            ref_bone_lengths = ref_bone_lengths.float()
        init = self.initialise(mono3d.float())
        params = [init['pose'], rotation_to_6d(init['rot']), scale_to_param(init['scale']),
                  init['shift']]
        params = [p.detach().clone().requires_grad_(True) for p in params]
        optimizer = KerasAdam(params, lr=self.learning_rate, eps=self.adam_eps)
        reports, lagged = [], None
        for step in range(self.opt_steps):
            with torch.enable_grad():
                loss = self.objective(*params, mixtures, ref_bone_lengths)
            report = step % self.report_every == 0
            if self.report_mode == 'reference':
                report = report or step == self.opt_steps - 1
                lagged = loss if lagged is None else lagged
                if report:
                    reports.append(self._report(step, lagged, params))
                lagged = loss.detach()
            elif report:
                reports.append(self._report(step, loss, params))
            optimizer.zero_grad(set_to_none=True)
            loss.sum().backward()
            optimizer.step()
        if self.report_mode == 'current':
            with torch.no_grad():
                loss = self.objective(*params, mixtures, ref_bone_lengths)
            reports.append(self._report(self.opt_steps, loss, params))
        keys = ('iters', 'loss', 'pose', 'rot', 'scale', 'shift')
        return {k: torch.stack([r[i] for r in reports]) for i, k in enumerate(keys)}

    @staticmethod
    def _report(step: int, loss: Tensor, params) -> tuple:
        pose, rot6d, scale_param, shift = (p.detach() for p in params)
        return (torch.tensor(step, device=pose.device), loss.detach(), pose.clone(),
                rotation_from_6d(rot6d), param_to_scale(scale_param), shift.clone())
