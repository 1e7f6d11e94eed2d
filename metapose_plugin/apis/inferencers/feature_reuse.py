"""Reuse the HRNet features a top-down 2D model computed for the lifter."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmpose.models.backbones import HRNet
from mmpose.utils.typing import SampleList
from torch import Tensor, nn

from metapose_plugin.models.pose_estimators import flip_keypoints_2d

FeatureLevels = Tuple[Tensor, Tensor, Tensor, Tensor]


class HRNetFeatureCapture:
    """Record, with forward hooks, the four maps of
    :class:`HRNetContextEncoder` while an MMPose :class:`HRNet` runs.

    Level 1 is the backbone's first output (final stage-4, highest
    resolution); levels 2-4 are the outputs of branches 2-4 of the *first*
    stage-4 module, before its fusion (SPEC section 2). Every backbone call
    inside the ``with`` block appends one tuple to :attr:`captures` (a
    top-down model with flip test calls it twice: image, then flipped image).

    Note:
        - B: people in the 2D batch; C_l, H_l, W_l: channels and size of
          level l (W32 at 256x192: 32x64x48 ... 256x8x6)

    Args:
        backbone (HRNet): The 2D model's backbone (4 stage-4 branches).

    Attributes:
        captures (list[tuple[Tensor]]): Per backbone call, the four maps,
            level l in shape (B, C_l, H_l, W_l).
    """

    def __init__(self, backbone: HRNet) -> None:
        self.backbone = backbone
        self.captures: List[FeatureLevels] = []
        self._branches: List[Optional[Tensor]] = [None] * 4
        self._handles = []

    def __enter__(self) -> 'HRNetFeatureCapture':
        self.captures.clear()
        first = self.backbone.stage4[0]
        for level in range(1, 4):
            self._handles.append(first.branches[level].register_forward_hook(
                self._branch_hook(level)))
        self._handles.append(self.backbone.register_forward_hook(self._output_hook))
        return self

    def __exit__(self, *exc_info) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _branch_hook(self, level: int):

        def hook(module: nn.Module, args: tuple, output: Tensor) -> None:
            self._branches[level] = output

        return hook

    def _output_hook(self, module: nn.Module, args: tuple, outputs: Sequence[Tensor]) -> None:
        self.captures.append((outputs[0], *self._branches[1:]))
        self._branches = [None] * 4


def feature_reuse_blocker(pose2d_model: nn.Module, pose2d_input_size: Tuple[int, int],
                          lifter: nn.Module) -> Optional[str]:
    """Why the lifter cannot take its image features from the 2D model.

    Reuse needs the 2D model's features to be exactly those the lifter's
    backbone would compute on the same crop: a top-down HRNet with the same
    architecture and weights (parameters and BN statistics), input size
    192x256, the same input normalisation, and flip test whenever the lifter
    uses it (the lifter then also needs the flipped crop's features).

    Args:
        pose2d_model (nn.Module): The 2D pose estimator.
        pose2d_input_size (tuple[int, int]): Its input size (W, H).
        lifter (nn.Module): The :class:`ContextPoseLifter`.

    Returns:
        str | None: The first unmet condition, or None if reuse is exact.
    """
    backbone_2d = getattr(pose2d_model, 'backbone', None)
    if not isinstance(backbone_2d, HRNet) or not isinstance(lifter.backbone, HRNet):
        return (f'the 2D backbone is {type(backbone_2d).__name__}, the lifter backbone '
                f'{type(lifter.backbone).__name__}: both must be HRNet')
    if tuple(pose2d_input_size) != (192, 256):
        return f'the 2D model input size is {tuple(pose2d_input_size)}, not (192, 256)'
    state_2d, state_3d = backbone_2d.state_dict(), lifter.backbone.state_dict()
    if {k: v.shape for k, v in state_2d.items()} != {k: v.shape for k, v in state_3d.items()}:
        return 'the HRNet architectures differ (parameter names or shapes)'
    differing = [k for k, v in state_3d.items() if not torch.equal(v, state_2d[k].to(v.device))]
    if differing:
        return f'the HRNet weights differ ({len(differing)} tensors, e.g. {differing[0]!r})'
    pre_2d, pre_3d = pose2d_model.data_preprocessor, lifter.data_preprocessor
    for name in ('mean', 'std', '_channel_conversion'):
        value_2d, value_3d = getattr(pre_2d, name, None), getattr(pre_3d, name, None)
        if isinstance(value_2d, Tensor) and isinstance(value_3d, Tensor):
            same = torch.equal(value_2d.cpu(), value_3d.cpu())
        else:
            same = value_2d == value_3d
        if not same:
            return f'the data preprocessors differ in {name!r}'
    if lifter.test_cfg.get('flip_test', False) and not pose2d_model.test_cfg.get(
            'flip_test', False):
        return 'the lifter uses flip test and the 2D model does not'
    return None


def lift_from_features(lifter: nn.Module, feats: Sequence[FeatureLevels],
                       data_samples: SampleList) -> SampleList:
    """:meth:`ContextPoseLifter.predict` with backbone maps computed elsewhere.

    Args:
        lifter (nn.Module): The :class:`ContextPoseLifter`.
        feats (Sequence[tuple[Tensor]]): The four maps of the crops (B, C_l,
            H_l, W_l), and with the lifter's flip test second those of the
            horizontally flipped crops.
        data_samples (list[PoseDataSample]): B lifter samples (both 2D
            views, ``flip_indices``).

    Returns:
        list[PoseDataSample]: ``data_samples`` with ``pred_instances``
        ``keypoints`` (1, K, 3) metres root-relative camera frame.
    """
    tokens = lifter.lift_feat(feats[0], data_samples)
    if lifter.test_cfg.get('flip_test', False):
        tokens = (tokens, lifter.lift_feat(feats[1], _flipped(data_samples,
                                                              feats[0][0].device)))
    preds = lifter.head.predict(tokens, data_samples, test_cfg=lifter.test_cfg)
    return lifter.add_pred_to_datasample(preds, None, None, None, data_samples)


def _flipped(data_samples: SampleList, device: torch.device) -> SampleList:
    """New samples whose two 2D views are mirrored as for a flipped crop."""
    frame = torch.cat([torch.as_tensor(d.gt_instance_labels.keypoint_labels)
                       for d in data_samples]).to(device)
    crop = torch.cat([torch.as_tensor(d.gt_instances.keypoints) for d in data_samples]).to(device)
    width = data_samples[0].metainfo['input_size'][0]
    frame, crop = flip_keypoints_2d(frame, crop, data_samples[0].metainfo['flip_indices'], width)
    flipped = []
    for index, sample in enumerate(data_samples):
        new = sample.clone()
        new.gt_instances.keypoints = crop[index:index + 1]
        new.gt_instance_labels.keypoint_labels = frame[index:index + 1]
        flipped.append(new)
    return flipped
