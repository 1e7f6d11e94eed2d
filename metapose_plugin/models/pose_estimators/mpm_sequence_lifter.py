"""The fine-tuned MPM sequence lifter."""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.structures import InstanceData
from mmpose.models.pose_estimators.base import BasePoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor

from metapose_plugin.models.utils.frozen_future_warning import FrozenFutureWarning
from metapose_plugin.models.utils.mpm.mpm_pose_ops import root_zeroed_labels, windows_2d
from metapose_plugin.models.utils.mpm.uvd_refine import UVDRefine, uvd_to_xyz
from metapose_plugin.structures.pose_ops import mean_joint_error, mirror_poses


@MODELS.register_module()
class MPMSequenceLifter(BasePoseEstimator):
    """2D window -> 3D lifter of MPM (Zhang, Chai et al., arXiv 2306.17201),
    fine-tuned from the pretrained encoder.

    ``2D (B, F, K, 2) --backbone (MPMEncoder, 2D only, no masks)--> tokens
    (B, F, C) --head (MPMLiftingHead)--> centre (B, 1, K, 3), frames (B, F,
    K, 3)``. The training loss is ``MPJPE(frames) + MPJPE(centre)``. The
    pretrained encoder arrives through the backbone's ``init_cfg``
    (``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``).

    The optional ``refine`` stage (P-STMO's module) blends the centre
    prediction with the back-projection of the centre 2D frame; it needs the
    absolute root depth, which the reference takes from the **ground truth**
    (the codec's ``target_root``), at test time too. It is therefore off in
    the default configs and used only by the ``mpm-ref`` refine config.

    Note:
        - B: batch, F: frames, K: joints, C: channels
        - ``inputs``: (B, F, K, 2), normalised screen coordinates
          (``VideoPoseLifting`` codec with ``reshape_keypoints=False``,
          ``normalize_camera=True``)
        - targets ``gt_instance_labels.lifting_target_label``: (F, K, 3) in
          training (every frame), (1, K, 3) at test; camera frame, metres,
          root-relative

    Args:
        backbone (dict): :class:`MPMEncoder` config (``modalities=('pose2d',
            )``, ``with_mask_token=False``, ``final_norm=False``).
        head (dict): :class:`MPMLiftingHead` config.
        refine (dict, optional): :class:`UVDRefine` arguments besides
            ``num_keypoints``; None (default) builds no refine module.
        train_cfg (dict, optional): ``refine_only`` (bool, default True with
            ``refine``): the loss is only the refined centre's MPJPE, as in
            the reference's refine stage.
        test_cfg (dict, optional): ``flip_test`` (bool): average with the
            mirrored input's prediction (mirrored back).
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): MMEngine init config.
        metainfo (dict, optional): Dataset metainfo (``flip_indices``).
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 refine: OptConfigType = None,
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
        self.refine = (UVDRefine(self.head.num_keypoints, **refine)
                       if refine is not None else None)
        self.frozen_future = FrozenFutureWarning(type(self).__name__)

    def lift(self, poses_2d: Tensor, flip_indices: Optional[Sequence[int]] = None
             ) -> Tuple[Tensor, Tensor]:
        """Lift a 2D window (B, F, K, 2).

        With ``flip_indices``, also lift the mirrored window and average with
        its mirrored-back output (flip test).

        Returns:
            tuple[Tensor, Tensor]: centre (B, 1, K, 3) and frames (B, F, K,
            3), metres, root-relative (up to the predicted root).
        """
        center, frames = self.head(self.backbone(poses_2d))
        if flip_indices is not None:
            center_f, frames_f = self.head(self.backbone(mirror_poses(poses_2d, flip_indices)))
            center = (center + mirror_poses(center_f, flip_indices)) / 2
            frames = (frames + mirror_poses(frames_f, flip_indices)) / 2
        return center, frames

    def refine_center(self, center: Tensor, uv: Tensor, root_depth: Tensor,
                      camera: Tensor) -> Tensor:
        """Refine the centre prediction (B, 1, K, 3) with the centre 2D frame
        ``uv`` (B, 1, K, 2), the absolute root depth (B, 1) in metres and
        the normalised intrinsics (B, >=4) ``[fx, fy, cx, cy, ...]``."""
        xyz = uvd_to_xyz(uv, center[..., 2], root_depth, camera)
        return self.refine(center, xyz)

    def _forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None):
        """Centre (B, 1, K, 3) and frames (B, F, K, 3) without flip test."""
        return self.lift(windows_2d(inputs, type(self).__name__))

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """``loss_frames`` + ``loss_center`` (MPJPE, metres); with refine,
        ``loss_refine`` (alone unless ``train_cfg.refine_only`` is False)."""
        poses_2d = windows_2d(inputs, type(self).__name__)
        target = root_zeroed_labels(data_samples, inputs.device, type(self).__name__)
        if target.shape[1] != poses_2d.shape[1]:
            raise ValueError(f'MPMSequenceLifter: training needs the 3D target of every frame '
                             f'({poses_2d.shape[1]}), got {target.shape[1]}')
        center, frames = self.lift(poses_2d)
        mid = poses_2d.shape[1] // 2
        losses = {}
        if self.refine is None or not self.train_cfg.get('refine_only', True):
            losses['loss_frames'] = mean_joint_error(frames, target)
            losses['loss_center'] = mean_joint_error(center, target[:, mid:mid + 1])
        if self.refine is not None:
            refined = self._refine(center, poses_2d, data_samples, mid)
            losses['loss_refine'] = mean_joint_error(refined, target[:, mid:mid + 1])
        return losses

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """Centre-frame prediction with the root set to 0.

        Returns:
            list[PoseDataSample]: ``pred_instances.keypoints`` (1, K, 3)
            metres, root-relative, ``keypoint_scores`` (1, K) ones. Windows
            whose future is a copy of their centre (MMPose's online path) are
            reported once (:class:`FrozenFutureWarning`).
        """
        poses_2d = windows_2d(inputs, type(self).__name__)
        self.frozen_future.check(poses_2d, data_samples)
        flip = None
        if self.test_cfg.get('flip_test', False):
            info = self.metainfo or data_samples[0].metainfo
            flip = info['flip_indices']
        center, _ = self.lift(poses_2d, flip)
        if self.refine is not None:
            center = self._refine(center, poses_2d, data_samples, poses_2d.shape[1] // 2)
        center = center.clone()
        center[..., 0, :] = 0
        for i, data_sample in enumerate(data_samples):
            keypoints = center[i].detach().cpu().numpy()
            data_sample.pred_instances = InstanceData(
                keypoints=keypoints, keypoint_scores=np.ones(keypoints.shape[:-1], np.float32))
        return data_samples

    def _refine(self, center: Tensor, poses_2d: Tensor, data_samples: SampleList,
                mid: int) -> Tensor:
        """Refine with the ground-truth root depth of the centre frame (the
        reference's behaviour) and the normalised intrinsics."""
        roots, cameras = [], []
        for d in data_samples:
            if 'target_root' not in d.metainfo or 'camera_param' not in d.metainfo:
                raise KeyError('MPMSequenceLifter: refine needs metainfo target_root and '
                               'camera_param (PackPoseInputs.meta_keys)')
            root = torch.as_tensor(d.metainfo['target_root'], dtype=torch.float32).view(-1, 3)
            roots.append(root[root.shape[0] // 2 if root.shape[0] > 1 else 0, 2])
            cam = d.metainfo['camera_param']
            cameras.append(torch.cat([torch.as_tensor(cam['f'], dtype=torch.float32).view(-1),
                                      torch.as_tensor(cam['c'], dtype=torch.float32).view(-1)]))
        root_depth = torch.stack(roots).to(center.device)[:, None]
        camera = torch.stack(cameras).to(center.device)
        return self.refine_center(center, poses_2d[:, mid:mid + 1], root_depth, camera)
