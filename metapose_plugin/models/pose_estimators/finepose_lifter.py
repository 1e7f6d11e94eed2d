"""FinePOSE: diffusion lifting of 2D sequences with part-aware prompts.

Xu, Guo, Peng, "FinePOSE: Fine-Grained Prompt-Driven 3D Human Pose
Estimation via Diffusion Models", CVPR 2024 (arXiv 2405.05216); the
diffusion lifting and its aggregations follow D3DP (Shan et al., ICCV 2023).
SPEC_FINEPOSE sections 3-5 and 7.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from mmpose.models.pose_estimators import PoseLifter
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor

from metapose_plugin.models.utils.finepose.diffusion_noise import GlobalNoise, SeededNoise
from metapose_plugin.models.utils.finepose.diffusion_schedule import (DiffusionSchedule,
                                                                      ddim_time_pairs)
from metapose_plugin.models.utils.frozen_future_warning import FrozenFutureWarning
from metapose_plugin.structures.h36m_cameras import camera_intrinsics
from metapose_plugin.structures.hypothesis_aggregation import aggregate_reprojection
from metapose_plugin.structures.pose_ops import mirror_poses

NOISE_MODES = ('global', 'per_sample')
AGGREGATIONS = ('P-Agg', 'J-Agg')
LOSS_MODES = ('mpjpe', 'reference')


@MODELS.register_module()
class FinePOSELifter(PoseLifter):
    """Lift a 2D keypoint sequence to H 3D hypotheses by DDIM sampling.

    Training: per sample a time t ~ U{0..T-1} and noise eps; the denoiser
    (``backbone``) predicts x0 from ``q_sample(x0, t, eps)``, the 2D sequence
    and the text features; the loss is MPJPE. Inference: H hypotheses start
    from N(0, I); each of the N DDIM steps runs the denoiser once on the
    original and the mirrored input together (flip test), averages, clamps,
    keeps x0 and moves to the next time. The last step's hypotheses are
    aggregated without ground truth (``test_cfg.aggregation``: P-Agg mean,
    or J-Agg/JPMA, which needs the camera and the root trajectory).

    Note:
        - B: samples, F: frames, K: joints, H: hypotheses, N: sampler steps,
          S: text tokens, C: channels
        - 2D input ``inputs``: (B, [1,] F, K, 2) normalised screen
          coordinates ``u / w * 2 - [1, h / w]`` (the codec's
          ``keypoint_labels``)
        - 3D: camera frame, root-relative metres; the root joint is 0

    Faithful (``-ref``) vs default behaviour is set by the parts' options
    and these configs (SPEC section 7): ``train_cfg.loss`` ``'reference'``
    (back-propagates ``loss * loss``: the objective is MPJPE^2 / 2) or
    ``'mpjpe'``; ``train_cfg.action_drop_prob`` (default configs train the
    action-agnostic prompt too); ``test_cfg.use_gt_action`` (the reference
    needs the ground-truth action at test); ``test_cfg.noise``
    (``'global'``: the reference's generator, results depend on the batch;
    ``'per_sample'``: a generator per sample seeded from its metainfo).

    Args:
        backbone (dict): Denoiser config (``FinePOSEDenoiser``).
        text_encoder (dict): ``CLIPPartPromptEncoder`` config.
        num_timesteps (int): T. Defaults to 1000.
        scale (float): Diffusion signal scale. Defaults to 1.0.
        root_index (int): Root joint. Defaults to 0.
        train_cfg (dict, optional): ``loss`` (``'mpjpe'`` | ``'reference'``,
            default ``'mpjpe'``), ``action_drop_prob`` (default 0.0),
            ``action_field`` (metainfo field of the action text, default
            ``'action'``; ``'action_word'`` in the reference's behaviour).
        test_cfg (dict, optional): ``num_hypotheses`` H (default 20),
            ``num_steps`` N (default 10), ``eta`` (default 1.0),
            ``flip_test`` (default True), ``aggregation`` (``'P-Agg'`` |
            ``'J-Agg'``, default ``'P-Agg'``), ``keep_steps`` (keep all N
            steps in the data sample, default False), ``use_gt_action``
            (default False), ``noise`` (``'global'`` | ``'per_sample'``,
            default ``'per_sample'``), ``seed`` (default 0),
            ``noise_keys`` (metainfo fields of the per-sample seed),
            ``action_field`` (as in ``train_cfg``), ``output_frames``
            (``'window'``, default, or ``'centre'`` for video).
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): MMEngine init config.
        metainfo (dict, optional): Dataset metainfo (``flip_indices``).
    """

    def __init__(self,
                 backbone: ConfigType,
                 text_encoder: ConfigType,
                 num_timesteps: int = 1000,
                 scale: float = 1.0,
                 root_index: int = 0,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None):
        # MMPose's BasePoseEstimator.__init__ requires a head config, but the
        # denoiser predicts x0 itself: set up what it and PoseLifter would
        # (metainfo, cfgs, backbone, no trajectory model) without a head.
        BaseModel.__init__(self, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.metainfo = self._load_metainfo(metainfo)
        self.train_cfg = train_cfg if train_cfg else {}
        self.test_cfg = test_cfg if test_cfg else {}
        self.backbone = MODELS.build(backbone)
        self.share_backbone = False
        self.semi_supervised = False
        self.text_encoder = MODELS.build(text_encoder)
        self.schedule = DiffusionSchedule(num_timesteps, scale)
        self.root_index = root_index
        self.frozen_future = FrozenFutureWarning(type(self).__name__)
        self._check_cfg()

    def _check_cfg(self) -> None:
        options = dict(loss=(self.train_cfg.get('loss', 'mpjpe'), LOSS_MODES),
                       noise=(self.test_cfg.get('noise', 'per_sample'), NOISE_MODES),
                       aggregation=(self.test_cfg.get('aggregation', 'P-Agg'), AGGREGATIONS))
        for name, (value, allowed) in options.items():
            if value not in allowed:
                raise ValueError(f'FinePOSELifter: {name} must be one of {allowed}, got {value!r}')

    @property
    def num_frames(self) -> int:
        """F of the denoiser."""
        return self.backbone.num_frames

    # ------------------------------------------------------------------ data
    def _keypoints_2d(self, inputs, data_samples: SampleList) -> Tensor:
        """The 2D sequences (B, F, K, 2) float32 from ``inputs``."""
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        expected = (self.num_frames, self.backbone.num_joints, self.backbone.in_channels)
        if inputs.dim() == 5 and inputs.shape[1] == 1:
            inputs = inputs[:, 0]
        if inputs.dim() != 4 or tuple(inputs.shape[1:]) != expected:
            names = [self._sample_name(d) for d in data_samples]
            raise ValueError(f'FinePOSELifter: inputs (keypoint_labels) of samples {names} have '
                             f'shape {tuple(inputs.shape)}; expected (B, [1,] F, K, C) with '
                             f'(F, K, C) = {expected} (window length and joints of the config)')
        return inputs.float()

    @staticmethod
    def _sample_name(data_sample) -> str:
        meta = data_sample.metainfo
        return '/'.join(str(meta[k]) for k in ('subject', 'action', 'camera_id') if k in meta) \
            or str(meta.get('sample_idx', '?'))

    def _targets(self, data_samples: SampleList) -> Tensor:
        """Root-relative 3D targets (B, F, K, 3), root joint set to 0."""
        targets = []
        for d in data_samples:
            if 'lifting_target_label' not in d.get('gt_instance_labels', {}):
                raise KeyError(f'FinePOSELifter: sample {self._sample_name(d)} has no '
                               'gt_instance_labels.lifting_target_label (3D target)')
            target = torch.as_tensor(d.gt_instance_labels.lifting_target_label)
            targets.append(target.reshape(-1, *target.shape[-2:]))
        targets = torch.stack(targets).float().clone()
        targets[..., self.root_index, :] = 0
        return targets.to(self.backbone.joint_embed.weight.device)

    def _actions(self, data_samples: SampleList, training: bool) -> List[Optional[str]]:
        """Per-sample action text or None.

        The text is the metainfo field ``train_cfg`` / ``test_cfg``
        ``action_field``: ``'action'`` (canonical name, the default) or
        ``'action_word'`` (the reference's word: the VideoPose3D key up to its
        first space, e.g. ``Photo`` or ``WalkDog``). Training drops an action
        with probability
        ``train_cfg.action_drop_prob``; at test the action is used only with
        ``test_cfg.use_gt_action``, and a sample without one gets None
        (action-agnostic prompt) unless the encoder has no action segment.
        """
        if not training and not self.test_cfg.get('use_gt_action', False):
            return [None] * len(data_samples)
        field = (self.train_cfg if training else self.test_cfg).get('action_field', 'action')
        actions = [d.metainfo.get(field) for d in data_samples]
        for d, action in zip(data_samples, actions):
            if not (action is None or (isinstance(action, str) and action.strip())):
                raise ValueError(f'FinePOSELifter: sample {self._sample_name(d)} has metainfo '
                                 f'{field} {action!r}; expected an action name or None')
        if training:
            drop = self.train_cfg.get('action_drop_prob', 0.0)
            if drop > 0:
                keep = torch.rand(len(actions)) >= drop
                actions = [a if k else None for a, k in zip(actions, keep.tolist())]
        return actions

    def _flip_indices(self, data_samples: SampleList) -> List[int]:
        if 'flip_indices' in data_samples[0].metainfo:
            return list(data_samples[0].metainfo['flip_indices'])
        if self.metainfo is not None and 'flip_indices' in self.metainfo:
            return list(self.metainfo['flip_indices'])
        raise KeyError('FinePOSELifter: flip test needs metainfo flip_indices (data samples or '
                       'the model metainfo)')

    # ------------------------------------------------------------- diffusion
    def denoise_train(self, keypoints_2d: Tensor, targets: Tensor, text: Tuple[Tensor, Tensor],
                      t: Tensor, noise: Tensor) -> Tensor:
        """x0 prediction of the training branch (B, F, K, 3) from
        ``q_sample(targets, t, noise)``."""
        x_t = self.schedule.q_sample(targets, t, noise)
        return self.backbone(keypoints_2d, x_t[:, None], t, *text)[:, 0]

    def sample(self,
               keypoints_2d: Tensor,
               text: Tuple[Tensor, Tensor],
               noise_source,
               flip_indices: Optional[Sequence[int]] = None,
               trace: Optional[list] = None) -> Tensor:
        """DDIM sampling of H hypotheses with optional flip averaging.

        Args:
            keypoints_2d (Tensor): (B, F, K, 2).
            text (tuple[Tensor, Tensor]): Token (B, S, C) and pooled (B, C)
                text features.
            noise_source: Object with ``initial(shape)`` and ``step(i,
                like)`` (see :mod:`..utils.diffusion_noise`).
            flip_indices (Sequence[int], optional): Left/right swap; with it
                the mirrored input goes through the same denoiser call (the
                batch doubled) and the un-mirrored output is averaged in.
            trace (list, optional): Receives ``(x_t, t, eps)`` of every step
                (inspection, parity checks).

        Returns:
            Tensor: x0 estimates of every step (B, N, H, F, K, 3), metres.
        """
        cfg = self.test_cfg
        B, Fr, K, _ = keypoints_2d.shape
        H = cfg.get('num_hypotheses', 20)
        tokens, pooled = text
        if flip_indices is not None:
            keypoints_2d = torch.cat([keypoints_2d, mirror_poses(keypoints_2d, flip_indices)])
            tokens, pooled = torch.cat([tokens, tokens]), torch.cat([pooled, pooled])
        x = noise_source.initial((B, H, Fr, K, 3))
        steps = []
        pairs = ddim_time_pairs(self.schedule.num_timesteps, cfg.get('num_steps', 10))
        for i, (t, t_next) in enumerate(pairs):
            x_in = self.schedule.clamp(x) / self.schedule.scale
            if flip_indices is not None:
                x_in = torch.cat([x_in, mirror_poses(x_in, flip_indices)])
            times = torch.full((x_in.shape[0], ), t, dtype=torch.long, device=x.device)
            pred = self.backbone(keypoints_2d, x_in, times, tokens, pooled)
            if flip_indices is not None:
                pred = (pred[:B] + mirror_poses(pred[B:], flip_indices)) / 2
            x0 = self.schedule.clamp(pred * self.schedule.scale)
            eps = self.schedule.predict_noise(x, times[:B], x0)
            steps.append(x0)
            if trace is not None:
                trace.append((x, t, eps))
            if t_next < 0:
                break
            x = self.schedule.ddim_step(x0, eps, t, t_next, cfg.get('eta', 1.0),
                                        noise_source.step(i, x))
        return torch.stack(steps, dim=1)

    def _noise_source(self, data_samples: SampleList, keypoints_2d: Tensor):
        """Global generator, or one generator per sample seeded from its
        metainfo ``test_cfg.noise_keys`` (default subject, action, camera,
        frame ids) or, for a sample without them (video), from its 2D
        input."""
        if self.test_cfg.get('noise', 'per_sample') == 'global':
            return GlobalNoise(keypoints_2d.device)
        fields = self.test_cfg.get('noise_keys', ('subject', 'action', 'camera_id', 'frame_ids'))
        keys = []
        for d, kp in zip(data_samples, keypoints_2d):
            values = [d.metainfo[f] for f in fields if f in d.metainfo]
            if values:
                keys.append(repr([v.tolist() if hasattr(v, 'tolist') else v for v in values]))
            else:
                keys.append(kp.detach().cpu().numpy().tobytes().hex())
        return SeededNoise(keys, self.test_cfg.get('seed', 0), keypoints_2d.device)

    # ----------------------------------------------------------------- verbs
    def forward(self, inputs, data_samples: Optional[SampleList], mode: str = 'tensor'):
        """Dispatch ``'loss' | 'predict' | 'tensor'``; ``'tensor'`` returns
        the sampled hypotheses of every step (B, N, H, F, K, 3)."""
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def _forward(self, inputs, data_samples: SampleList) -> Tensor:
        keypoints_2d = self._keypoints_2d(inputs, data_samples)
        text = self.text_encoder(self._actions(data_samples, training=False))
        flip = self._flip_indices(data_samples) if self.test_cfg.get('flip_test', True) else None
        return self.sample(keypoints_2d, text, self._noise_source(data_samples, keypoints_2d),
                           flip)

    def loss(self, inputs, data_samples: SampleList) -> dict:
        """``loss_pose3d``: MPJPE (metres) of the x0 prediction, or with
        ``train_cfg.loss='reference'`` MPJPE^2 / 2 (its gradient is the
        reference's ``backward(loss, loss)``); ``mpjpe`` is logged."""
        keypoints_2d = self._keypoints_2d(inputs, data_samples)
        targets = self._targets(data_samples)
        text = self.text_encoder(self._actions(data_samples, training=True))
        # one (t, eps) pair per sample, drawn in the reference's order
        t, noise = [], []
        for _ in range(targets.shape[0]):
            t.append(torch.randint(0, self.schedule.num_timesteps, (1, ), device=targets.device))
            noise.append(torch.randn(targets.shape[1:], device=targets.device))
        pred = self.denoise_train(keypoints_2d, targets, text, torch.cat(t), torch.stack(noise))
        mpjpe = torch.norm(pred - targets, dim=-1).mean()
        if self.train_cfg.get('loss', 'mpjpe') == 'reference':
            return dict(loss_pose3d=mpjpe.square() / 2, mpjpe=mpjpe.detach())
        return dict(loss_pose3d=mpjpe, mpjpe=mpjpe.detach())

    def predict(self, inputs, data_samples: SampleList) -> SampleList:
        """Sample and aggregate.

        Returns:
            list[PoseDataSample]: ``pred_instances.keypoints`` (1, F, K, 3)
            aggregated last-step poses (root 0, metres; numpy, as MMPose's
            heads decode), ``keypoint_scores`` (1, F, K) ones, ``hypotheses`` (1, H, F, K,
            3) and, with ``test_cfg.keep_steps``, ``steps`` (1, N, H, F, K,
            3). With ``test_cfg.output_frames='centre'`` (video through
            MMPose's ``Pose3DInferencer``, which lifts the centre frame of a
            window around every frame) ``keypoints`` and ``keypoint_scores``
            hold the centre frame F // 2 only: (1, 1, K, 3) and (1, 1, K).
            Windows whose future is a copy of their centre (MMPose's online
            path) are reported once (:class:`FrozenFutureWarning`).
        """
        self.frozen_future.check(self._keypoints_2d(inputs, data_samples), data_samples)
        samples = self._forward(inputs, data_samples)
        samples[..., self.root_index, :] = 0
        last = samples[:, -1]
        if self.test_cfg.get('aggregation', 'P-Agg') == 'J-Agg':
            trajectory, intrinsics = self._cameras(data_samples, last.device)
            keypoints_2d = self._keypoints_2d(inputs, data_samples)
            poses, _, _ = aggregate_reprojection(last, keypoints_2d, trajectory, intrinsics)
        else:
            poses = last.mean(dim=1)
        output_frames = self.test_cfg.get('output_frames', 'window')
        if output_frames == 'centre':
            centre = poses.shape[1] // 2
            poses = poses[:, centre:centre + 1]
        elif output_frames != 'window':
            raise ValueError(f"FinePOSELifter: test_cfg.output_frames must be 'window' or "
                             f"'centre', got {output_frames!r}")
        for i, data_sample in enumerate(data_samples):
            # keypoints as numpy, as MMPose's lifting heads decode them (its
            # inferencer and visualizer expect arrays); samples stay tensors
            keypoints = poses[i:i + 1].detach().cpu().numpy()
            pred = InstanceData(
                keypoints=keypoints,
                keypoint_scores=np.ones(keypoints.shape[:-1], dtype=np.float32),
                hypotheses=last[i:i + 1])
            if self.test_cfg.get('keep_steps', False):
                pred.steps = samples[i:i + 1]
            data_sample.pred_instances = pred
        return data_samples

    def _cameras(self, data_samples: SampleList, device) -> Tuple[Tensor, Tensor]:
        """Root trajectory (B, F, 1, 3) and normalised intrinsics (B, 9) for
        J-Agg, from the metainfo ``target_root`` (the ground-truth root of
        every frame, camera frame, metres; ``VideoPoseLifting`` with
        ``zero_center``) and ``camera_param``."""
        trajectory, intrinsics = [], []
        for d in data_samples:
            for field in ('camera_param', 'target_root'):
                if field not in d.metainfo:
                    raise KeyError(f'FinePOSELifter: J-Agg needs metainfo {field!r} (add it to '
                                   f"PackPoseInputs' meta_keys); sample {self._sample_name(d)} "
                                   'has none')
            intrinsics.append(torch.as_tensor(
                camera_intrinsics(d.metainfo['camera_param'], normalize=True)))
            trajectory.append(torch.as_tensor(d.metainfo['target_root']).reshape(-1, 1, 3))
        return (torch.stack(trajectory).float().to(device),
                torch.stack(intrinsics).float().to(device))
