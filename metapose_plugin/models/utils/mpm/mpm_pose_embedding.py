"""Per-modality input projection of the MPM encoder."""
from collections import OrderedDict
from typing import Optional

import torch
from torch import Tensor, nn

from metapose_plugin.models.layers.uniform_dropout import UniformDropout


class MPMPoseEmbedding(nn.Module):
    """Replace masked joints by a learned token, then project each frame.

    ``(B, F, K, d) --mask token--> joint-major (B, K*d, F) --Conv1d(k=1) ->
    BatchNorm -> LeakyReLU(0.2) -> dropout--> (B, C_out, F)``. Channel
    ``k * d + i`` holds coordinate i of joint k, the reference's packing,
    which its checkpoints need (MPM, Zhang et al., arXiv 2306.17201).

    Note:
        - B: batch, F: frames, K: joints, d: coordinates (2 or 3)
        - units are those of the input: normalised screen coordinates for
          2D, metres (root-relative, camera frame) for 3D

    Args:
        num_keypoints (int): Joints K.
        in_dims (int): Coordinates d per joint.
        out_dims (int): Output channels (the reference's 2 * ``channel``).
        drop (float): Dropout rate. Defaults to 0.1.
        with_mask_token (bool): Own a learned (1, 1, d) token for masked
            joints (pretraining, completion); the fine-tuned lifter has
            none. Defaults to True.
    """

    def __init__(self,
                 num_keypoints: int,
                 in_dims: int,
                 out_dims: int,
                 drop: float = 0.1,
                 with_mask_token: bool = True):
        super().__init__()
        self.num_keypoints = num_keypoints
        self.in_dims = in_dims
        self.mask_token = nn.Parameter(torch.randn(1, 1, in_dims)) if with_mask_token else None
        self.proj = nn.Sequential(
            OrderedDict(
                fc=nn.Conv1d(num_keypoints * in_dims, out_dims, kernel_size=1),
                norm=nn.BatchNorm1d(out_dims),
                act=nn.LeakyReLU(0.2, inplace=True),
                drop=UniformDropout(drop)))

    def forward(self, x: Tensor, joint_mask: Optional[Tensor] = None) -> Tensor:
        """Embed a pose sequence.

        Args:
            x (Tensor): Poses (B, F, K, d).
            joint_mask (Tensor, optional): Bool, True = masked joint, in a
                shape that broadcasts to (B, F, K): (F, K) for one mask per
                batch, (B, 1, K) for tube masks, (B, F, K) per sample.

        Returns:
            Tensor: Frame features (B, C_out, F).
        """
        B, F, K, d = x.shape
        if (K, d) != (self.num_keypoints, self.in_dims):
            raise ValueError(f'MPMPoseEmbedding: expected poses (B, F, {self.num_keypoints}, '
                             f'{self.in_dims}), got {tuple(x.shape)}')
        if joint_mask is not None:
            if self.mask_token is None:
                raise ValueError('MPMPoseEmbedding: a joint mask was given but this embedding '
                                 'has no mask token (with_mask_token=False)')
            x = torch.where(joint_mask.to(torch.bool)[..., None], self.mask_token.to(x.dtype), x)
        # (B, F, K, d) -> (B, K*d, F), channel k * d + i
        return self.proj(x.reshape(B, F, K * d).transpose(1, 2))
