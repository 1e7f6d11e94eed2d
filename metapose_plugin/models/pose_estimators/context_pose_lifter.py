"""Single-frame 3D pose lifter with image context (CA-PF, MetaPose)."""
from typing import Optional, Sequence, Tuple

import torch
from mmpose.models.pose_estimators import PoseLifter
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor


@MODELS.register_module()
class ContextPoseLifter(PoseLifter):
    """Lift 2D joints to 3D with features of the person crop.

    ``image --backbone--> feats``; ``actions --text_encoder--> text_feats``
    (optional); ``neck(feats, keypoints_frame=..., keypoints_crop=...,
    text_feats=...) -> tokens``; ``head(tokens) -> 3D``. CA-PF (Zhao et al.,
    NeurIPS 2023) has no text encoder; MetaPose adds one. Unlike MMPose's
    :class:`PoseLifter`, :meth:`extract_feat` also receives the data samples
    (2D joints, action). The model never modifies its inputs in place.

    Note:
        - B: batch, K: joints, T: tokens per joint, C: channels
        - ``inputs``: (B, 3, 256, 192) normalised RGB crops (after the
          data preprocessor)
        - ``keypoints_frame``: ``gt_instance_labels.keypoint_labels``, full
          frame normalised ``X / w * 2 - [1, h / w]``
        - ``keypoints_crop``: ``gt_instances.keypoints``, crop pixels
        - 3D: camera frame, metres, root-relative

    Args:
        backbone (dict): Image encoder config (e.g. ``HRNetContextEncoder``).
        neck (dict): Token builder config (e.g. ``CAPFContextNeck``).
        head (dict): Lifting head config (``ContextLiftingHead``).
        text_encoder (dict, optional): Text encoder config (e.g.
            ``CLIPJointPromptEncoder``), called as
            ``text_encoder(actions: list[str]) -> (B, K, C_text)``. Defaults
            to None (the neck then gets ``text_feats=None``).
        train_cfg (dict, optional): Unused by the parts. Defaults to None.
        test_cfg (dict, optional): ``flip_test`` (bool): average with the
            prediction of the horizontally flipped input. Defaults to None.
        data_preprocessor (dict, optional): ``PoseDataPreprocessor`` config.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
        metainfo (dict, optional): Dataset metainfo overriding the samples'.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 head: ConfigType,
                 text_encoder: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None):
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            metainfo=metainfo)
        self.text_encoder = MODELS.build(text_encoder) if text_encoder is not None else None

    def forward(self, inputs: Tensor, data_samples: Optional[SampleList], mode: str = 'tensor'):
        """Dispatch ``'loss' | 'predict' | 'tensor'``; ``'tensor'`` also needs
        the data samples (2D joints) and returns the 3D joints (B, K, 3)."""
        if mode == 'tensor':
            if isinstance(inputs, list):
                inputs = torch.stack(inputs)
            return self._forward(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def extract_feat(self, inputs: Tensor, data_samples: SampleList) -> Tensor:
        """Run the backbone on ``inputs`` (B, 3, H, W), then :meth:`lift_feat`.

        Returns:
            Tensor: Joint tokens in shape (B, T, K, C).
        """
        return self.lift_feat(self.backbone(inputs), data_samples)

    def lift_feat(self, feats: Sequence[Tensor], data_samples: SampleList) -> Tensor:
        """Everything after the backbone: text features and the neck.

        Args:
            feats (Sequence[Tensor]): L maps, level l (B, C_l, H_l, W_l).
            data_samples (list[PoseDataSample]): B samples with
                ``gt_instance_labels.keypoint_labels``,
                ``gt_instances.keypoints`` and, with a text encoder, the
                ``action`` metainfo.

        Returns:
            Tensor: Joint tokens in shape (B, T, K, C).
        """
        keypoints_frame, keypoints_crop = self._keypoints(data_samples, feats[0].device)
        return self._lift(feats, keypoints_frame, keypoints_crop, self._text_feats(data_samples))

    def _forward(self, inputs: Tensor, data_samples: SampleList) -> Tensor:
        """3D joints (B, K, 3) without post-processing."""
        return self.head.forward(self.extract_feat(inputs, data_samples))

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Losses of a batch: ``loss_pose3d`` (MPJPE, metres), plus the
        neck's auxiliary losses of this forward (``neck.aux_losses``, e.g.
        MetaPose's ``loss_kl``; CA-PF has none)."""
        losses = self.head.loss(
            self.extract_feat(inputs, data_samples), data_samples, train_cfg=self.train_cfg)
        losses.update(getattr(self.neck, 'aux_losses', {}))
        return losses

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """Predict root-relative 3D joints.

        With ``test_cfg['flip_test']`` the image is flipped horizontally and
        both 2D views are mirrored (see :func:`flip_keypoints_2d`); the head
        mirrors that prediction back and averages.

        Returns:
            list[PoseDataSample]: ``data_samples`` with ``pred_instances``
            ``keypoints`` (1, K, 3) metres root-relative and
            ``keypoint_scores`` (1, K).
        """
        feats = self.backbone(inputs)
        keypoints_frame, keypoints_crop = self._keypoints(data_samples, inputs.device)
        text_feats = self._text_feats(data_samples)
        tokens = self._lift(feats, keypoints_frame, keypoints_crop, text_feats)
        if self.test_cfg.get('flip_test', False):
            flip_indices = data_samples[0].metainfo['flip_indices']
            frame_flip, crop_flip = flip_keypoints_2d(keypoints_frame, keypoints_crop,
                                                      flip_indices, inputs.shape[-1])
            tokens = (tokens,
                      self._lift(self.backbone(inputs.flip(-1)), frame_flip, crop_flip, text_feats))
        preds = self.head.predict(tokens, data_samples, test_cfg=self.test_cfg)
        return self.add_pred_to_datasample(preds, None, None, None, data_samples)

    def _lift(self, feats: Sequence[Tensor], keypoints_frame: Tensor, keypoints_crop: Tensor,
              text_feats: Optional[Tensor]) -> Tensor:
        """The neck: tokens (B, T, K, C)."""
        return self.neck(
            feats,
            keypoints_frame=keypoints_frame,
            keypoints_crop=keypoints_crop,
            text_feats=text_feats)

    def _text_feats(self, data_samples: SampleList) -> Optional[Tensor]:
        """Text features (B, K, C_text) of the samples' actions, None
        without a text encoder. Computed once per batch (a flipped view
        shares them)."""
        if self.text_encoder is None:
            return None
        missing = [i for i, d in enumerate(data_samples) if 'action' not in d.metainfo]
        if missing:
            raise KeyError(f'ContextPoseLifter: data samples {missing} have no metainfo field '
                           "'action', required by the text encoder")
        return self.text_encoder([d.metainfo['action'] for d in data_samples])

    @staticmethod
    def _keypoints(data_samples: SampleList, device: torch.device) -> Tuple[Tensor, Tensor]:
        """Both 2D views as float32 tensors (B, K, 2) on ``device``: the
        normalised full-frame ``gt_instance_labels.keypoint_labels`` and the
        crop-pixel ``gt_instances.keypoints`` (copies, never the caller's)."""
        try:
            frame = [d.gt_instance_labels.keypoint_labels for d in data_samples]
            crop = [d.gt_instances.keypoints for d in data_samples]
        except AttributeError as err:
            raise AttributeError(
                'ContextPoseLifter: each data sample needs gt_instance_labels.keypoint_labels '
                f'(normalised full frame) and gt_instances.keypoints (crop pixels): {err}') from err
        frame = torch.cat([torch.as_tensor(k) for k in frame])
        crop = torch.cat([torch.as_tensor(k) for k in crop])
        return (frame.to(device=device, dtype=torch.float32),
                crop.to(device=device, dtype=torch.float32).clone())


def flip_keypoints_2d(keypoints_frame: Tensor, keypoints_crop: Tensor,
                      flip_indices: Sequence[int], crop_width: int) -> Tuple[Tensor, Tensor]:
    """Mirror both 2D views as a horizontal flip of the image does.

    Full frame (normalised): ``x -> -x``; crop pixels: ``x -> (W - 1) - x``
    (the column of the flipped crop, as ``image.flip(-1)``). Left and right
    joints are swapped with ``flip_indices``.

    Args:
        keypoints_frame (Tensor): Normalised full-frame joints (B, K, 2).
        keypoints_crop (Tensor): Crop-pixel joints (B, K, 2).
        flip_indices (Sequence[int]): MMPose metainfo left/right swap.
        crop_width (int): Crop width W in pixels.

    Returns:
        tuple[Tensor, Tensor]: New mirrored (frame, crop) tensors (B, K, 2).
    """
    index = list(flip_indices)
    frame = keypoints_frame[:, index].clone()
    crop = keypoints_crop[:, index].clone()
    frame[..., 0] = -frame[..., 0]
    crop[..., 0] = (crop_width - 1) - crop[..., 0]
    return frame, crop
