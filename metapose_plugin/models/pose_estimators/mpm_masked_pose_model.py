"""Masked pose modelling: MPM pretraining and pose completion."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.structures import InstanceData
from mmpose.models.pose_estimators.base import BasePoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor

from metapose_plugin.models.utils.mpm.mpm_pose_ops import root_zeroed_labels, windows_2d
from metapose_plugin.structures.pose_ops import mean_joint_error, mirror_poses

TASKS = ('pose2d', 'pose3d', 'lift')
MASK_KEYS = ('mpm_joint_mask_2d', 'mpm_frame_mask_2d', 'mpm_joint_mask_3d', 'mpm_frame_mask_3d')


@MODELS.register_module()
class MPMMaskedPoseModel(BasePoseEstimator):
    """Masked 2D/3D pose modelling of MPM (Zhang, Chai et al., "MPM: A
    Unified 2D-3D Human Pose Representation via Masked Pose Modeling", arXiv
    2306.17201): pretraining and pose completion.

    Tasks (each a loss weighted by ``loss_weights``):

    - ``'pose2d'``: masked 2D sequence -> 2D reconstruction (``pose2d``
      decoder);
    - ``'pose3d'``: masked 3D sequence -> 3D reconstruction (``pose3d``
      decoder);
    - ``'lift'``: masked 2D sequence -> 3D (``pose3d`` decoder on the 2D
      tokens), needs paired 2D/3D windows.

    Pretraining uses ``pose2d`` + ``pose3d`` (weights 5, 2), optionally
    ``lift``; 2D->3D completion ``pose2d`` + ``lift`` (1, 2); 3D->3D
    completion ``pose3d``. Masks are data: the pipeline's
    :class:`GenerateMPMMasks` writes them into the metainfo
    (:data:`MASK_KEYS`: joint masks (F, K), frame masks (F,), True = masked),
    the model only reads them.

    Note:
        - B: batch, F: frames, K: joints
        - ``inputs``: 2D windows (B, F, K, 2), normalised screen
          coordinates (``VideoPoseLifting`` codec ``keypoint_labels`` with
          ``reshape_keypoints=False``, ``normalize_camera=True``)
        - 3D: ``gt_instance_labels.lifting_target_label`` (F, K, 3), camera
          frame, metres, root-relative; the root is set to 0 as in the
          reference

    Args:
        backbone (dict): :class:`MPMEncoder` config.
        head (dict): :class:`MPMReconstructionHead` config.
        tasks (Sequence[str]): Subset of :data:`TASKS`. Defaults to
            ``('pose2d', 'pose3d')``.
        loss_weights (dict, optional): Task -> weight. Defaults to
            ``dict(pose2d=5., pose3d=2., lift=1.)``.
        share_masks (bool): Use the first sample's masks for the whole batch
            (the reference: one mask per batch). Defaults to False.
        loss_on_masked (bool): Reconstruction losses average only masked
            joints (joints of masked frames included); False averages all
            frames and joints (the reference). The lifting loss always
            averages every joint. Defaults to True.
        train_cfg (dict, optional): Unused. Defaults to None.
        test_cfg (dict, optional): ``flip_test`` (bool): also run the
            mirrored input and average after mirroring back; ``flip_masks``
            (bool, default True): mirror the joint masks with the input (the
            reference keeps them unmirrored).
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): MMEngine init config.
        metainfo (dict, optional): Dataset metainfo (``flip_indices``).
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 tasks: Sequence[str] = ('pose2d', 'pose3d'),
                 loss_weights: Optional[Dict[str, float]] = None,
                 share_masks: bool = False,
                 loss_on_masked: bool = True,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None):
        super().__init__(
            backbone=backbone,
            head=head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            metainfo=metainfo)
        unknown = set(tasks) - set(TASKS)
        if unknown or not tasks:
            raise ValueError(f'MPMMaskedPoseModel: tasks must be a non-empty subset of {TASKS}, '
                             f'got {list(tasks)}')
        self.tasks = tuple(tasks)
        self.loss_weights = dict(pose2d=5., pose3d=2., lift=1.)
        self.loss_weights.update(loss_weights or {})
        self.share_masks = share_masks
        self.loss_on_masked = loss_on_masked

    def reconstruct(self,
                    poses: Tensor,
                    joint_mask: Optional[Tensor] = None,
                    frame_mask: Optional[Tensor] = None,
                    outputs: Sequence[str] = ('pose2d', )) -> Dict[str, Tensor]:
        """Encode a masked sequence and decode the requested outputs.

        Args:
            poses (Tensor): (B, F, K, 2) or (B, F, K, 3); the modality
                follows from the last axis.
            joint_mask (Tensor, optional): Bool, broadcastable to (B, F, K).
            frame_mask (Tensor, optional): Bool (F,) or (B, F).
            outputs (Sequence[str]): ``'pose2d'`` and/or ``'pose3d'``.

        Returns:
            dict[str, Tensor]: (B, F, K, 2) / (B, F, K, 3) per output.
        """
        modality = {2: 'pose2d', 3: 'pose3d'}.get(poses.shape[-1])
        if modality is None:
            raise ValueError(f'MPMMaskedPoseModel: poses must end in 2 or 3 coordinates, got '
                             f'{tuple(poses.shape)}')
        tokens = self.backbone(poses, modality, joint_mask, frame_mask)
        return self.head(tokens, frame_mask, outputs)

    def _forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None):
        """2D reconstruction and lift of the unmasked 2D input: dict with
        ``'pose2d'`` (B, F, K, 2) and ``'pose3d'`` (B, F, K, 3) as built."""
        return self.reconstruct(windows_2d(inputs, type(self).__name__),
                                outputs=tuple(self.head.decoders))

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Weighted losses of the configured tasks (``loss_pose2d``,
        ``loss_pose3d``, ``loss_lift``), units of their targets."""
        preds, masks, targets = self._run(inputs, data_samples)
        if 'lift' in self.tasks and 'pose3d' not in targets:
            targets['pose3d'] = root_zeroed_labels(data_samples, inputs.device, type(self).__name__)
        losses = {}
        for task in self.tasks:
            name = 'pose2d' if task == 'pose2d' else 'pose3d'
            pred = preds[task]
            mask = None
            if task != 'lift' and self.loss_on_masked:
                mask = masks[name]
            losses[f'loss_{task}'] = self.loss_weights[task] * mean_joint_error(
                pred, targets[name], mask)
        return losses

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """Reconstructions, lifts and the masks used, per sample.

        Returns:
            list[PoseDataSample]: ``pred_instances`` with (1, F, K, d)
            arrays ``pose2d`` (2D completion), ``lift`` (3D from masked 2D),
            ``pose3d`` (3D completion) for the configured tasks, and the
            boolean (1, F, K) masks ``mask_2d``/``mask_3d`` (joints hidden
            spatially or by a masked frame). The unmasked 2D input, the 2D
            ground truth, is added as ``gt_instance_labels.keypoint_labels``
            (F, K, 2) where the pipeline did not pack it.
        """
        preds, masks, targets = self._run(inputs, data_samples)
        if self.test_cfg.get('flip_test', False):
            flip_indices = self._flip_indices(data_samples)
            flipped, _, _ = self._run(inputs, data_samples, flip_indices)
            preds = {k: (v + mirror_poses(flipped[k], flip_indices)) / 2 for k, v in preds.items()}
        for i, data_sample in enumerate(data_samples):
            pred = InstanceData()
            for task, value in preds.items():
                pred.set_field(value[i:i + 1].detach().cpu().numpy(), task)
            for name, mask in masks.items():
                pred.set_field(mask[i:i + 1].cpu().numpy(), f'mask_{name[-2:]}')
            data_sample.pred_instances = pred
            if 'gt_instance_labels' not in data_sample:
                data_sample.gt_instance_labels = InstanceData()
            if 'keypoint_labels' not in data_sample.gt_instance_labels:
                # the codec packs no 2D label; the unmasked input is the 2D truth
                data_sample.gt_instance_labels.keypoint_labels = targets['pose2d'][i].cpu()
        return data_samples

    def _run(self,
             inputs: Tensor,
             data_samples: SampleList,
             flip_indices: Optional[Sequence[int]] = None
             ) -> Tuple[Dict[str, Tensor], Dict[str, Tensor], Dict[str, Tensor]]:
        """Run the tasks; with ``flip_indices`` on the mirrored inputs.

        Returns:
            tuple[dict, dict, dict]: predictions per task, boolean (B, F, K)
            hidden-joint masks per modality and the unmasked inputs per
            modality (2D, and 3D with the ``'pose3d'`` task).
        """
        targets = {'pose2d': windows_2d(inputs, type(self).__name__)}
        if 'pose3d' in self.tasks:
            targets['pose3d'] = root_zeroed_labels(data_samples, inputs.device, type(self).__name__)
        preds, masks = {}, {}
        for name, tasks in (('pose2d', ('pose2d', 'lift')), ('pose3d', ('pose3d', ))):
            run = [t for t in tasks if t in self.tasks]
            if not run:
                continue
            joint_mask, frame_mask = self._masks(data_samples, name[-2:], inputs.device)
            poses = targets[name]
            if flip_indices is not None:
                poses = mirror_poses(poses, flip_indices)
                if self.test_cfg.get('flip_masks', True):
                    joint_mask = joint_mask[..., list(flip_indices)]
            outputs = ['pose2d' if t == 'pose2d' else 'pose3d' for t in run]
            out = self.reconstruct(poses, joint_mask, frame_mask, outputs)
            for task, output in zip(run, outputs):
                preds[task] = out[output]
            B, F, K = poses.shape[:3]
            masks[name] = (joint_mask | frame_mask[..., None]).expand(B, F, K)
        return preds, masks, targets

    def _masks(self, data_samples: SampleList, suffix: str,
               device: torch.device) -> Tuple[Tensor, Tensor]:
        """Joint masks (B or 1, F, K) and frame masks (B or 1, F) of one
        modality from the metainfo (the first sample's with
        ``share_masks``)."""
        keys = (f'mpm_joint_mask_{suffix}', f'mpm_frame_mask_{suffix}')
        samples = data_samples[:1] if self.share_masks else data_samples
        out = []
        for key in keys:
            try:
                values = [torch.as_tensor(d.metainfo[key]) for d in samples]
            except KeyError as err:
                raise KeyError(f'MPMMaskedPoseModel: data sample has no metainfo {key!r}; add '
                               'GenerateMPMMasks to the pipeline and the key to '
                               'PackPoseInputs.meta_keys') from err
            out.append(torch.stack(values).to(device=device, dtype=torch.bool))
        joint_mask, frame_mask = out
        if self.share_masks:
            # one frame mask for the whole batch, as the reference
            return joint_mask, frame_mask[0]
        return joint_mask, frame_mask

    def _flip_indices(self, data_samples: SampleList) -> Sequence[int]:
        info = self.metainfo or data_samples[0].metainfo
        if 'flip_indices' not in info:
            raise KeyError('MPMMaskedPoseModel: flip_test needs flip_indices in the metainfo')
        return info['flip_indices']
