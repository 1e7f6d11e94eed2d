"""MetaPose spatial-driven modality enhancement."""
from typing import Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor

from metapose_plugin.models.layers.deformable_context_block import deformable_context_blocks


@MODELS.register_module()
class SpatialEnhancer(BaseModule):
    """Level tokens refined by deformable attention guided by the 2D points.

    MetaPose's spatial branch: ``num_blocks`` :class:`DeformableContextBlock`
    s with the point embedding P as guide (``norm1(x + P)``), zeros padding
    and the crop reference shared by all levels; the point embedding is then
    appended as the last token.

    Note:
        - B: batch, K: joints, L: levels, T = L + 1, C: channels
        - reference points in grid units ([-1, 1], align_corners=True)

    Args:
        embed_dims (int): Channels C. Defaults to 128.
        feat_channels (Sequence[int]): Channels C_l of the L maps. Defaults
            to HRNet-W32 (32, 64, 128, 256).
        num_blocks (int): Blocks. Defaults to 4.
        num_heads (int): Deformable heads M. Defaults to 4.
        num_points (int): Points P per head. Defaults to 4.
        mlp_ratio (float): MLP ratio. Defaults to 2.0.
        drop_path_range (tuple[float, float]): Stochastic-depth rates of the
            first and last block (linspace). Defaults to (0.1, 0.2).
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-5.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int = 128,
                 feat_channels: Sequence[int] = (32, 64, 128, 256),
                 num_blocks: int = 4,
                 num_heads: int = 4,
                 num_points: int = 4,
                 mlp_ratio: float = 2.0,
                 drop_path_range: Tuple[float, float] = (0.1, 0.2),
                 norm_eps: float = 1e-5,
                 init_cfg: dict = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.blocks = deformable_context_blocks(
            embed_dims,
            feat_channels,
            num_blocks,
            drop_path_range,
            num_heads=num_heads,
            num_points=num_points,
            mlp_ratio=mlp_ratio,
            norm_eps=norm_eps,
            padding_mode='zeros')

    def forward(self, x: Tensor, point_embed: Tensor, reference: Tensor,
                feats: Sequence[Tensor]) -> Tensor:
        """Refine the level tokens and append the point embedding.

        Args:
            x (Tensor): Level tokens in shape (B, L, K, C).
            point_embed (Tensor): Point embedding P in shape (B, 1, K, C).
            reference (Tensor): Crop reference in grid units (B, K, 2).
            feats (Sequence[Tensor]): L maps, level l (B, C_l, H_l, W_l).

        Returns:
            Tensor: ``cat[X, P]`` in shape (B, T, K, C).
        """
        for block in self.blocks:
            x = block(x, point_embed, reference, feats)
        return torch.cat([x, point_embed], dim=1)
