"""CA-PF context neck: joint tokens enriched with deformable image context."""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.models.layers.deformable_context_block import deformable_context_blocks
from metapose_plugin.models.layers.deformable_sampling import (check_joint_views, crop_to_grid,
                                                               embed_at_reference)


@MODELS.register_module()
class CAPFContextNeck(BaseModule):
    """Token builder of ContextAware-PoseFormer (Zhao et al., NeurIPS 2023).

    1. coordinate token ``coord_embed`` (Linear(2, C)) of the normalised
       full-frame 2D joints;
    2. one feature token per level: the level map sampled (bilinear, zeros
       padding, align_corners=True) at the crop reference point, then
       ``feat_embed[l]`` (Linear(C_l, C));
    3. stack [coordinate, levels] and add ``pos_embed`` (zero init);
    4. ``num_blocks`` :class:`DeformableContextBlock` s (border padding) that
       update the level tokens, guided by the never-updated coordinate token.

    Note:
        - B: batch, K: joints, L: levels, T = L + 1 tokens per joint,
          C: channels, C_l: channels of level l
        - ``keypoints_frame``: full frame, normalised
          ``X / w * 2 - [1, h / w]``
        - ``keypoints_crop``: crop pixels, x in [0, w-1], y in [0, h-1],
          converted inside by :func:`crop_to_grid` (never in place)

    Args:
        feat_channels (Sequence[int]): Channels C_l of the L maps. Defaults
            to HRNet-W32 (32, 64, 128, 256).
        embed_dims (int): Token channels C. Defaults to 128.
        num_keypoints (int): Joints K. Defaults to 17.
        num_blocks (int): Deformable blocks. Defaults to 4.
        num_heads (int): Deformable heads M. Defaults to 4.
        num_points (int): Points P per head. Defaults to 4.
        mlp_ratio (float): MLP ratio of the blocks. Defaults to 2.0.
        drop_path_range (tuple[float, float]): Stochastic-depth rates of the
            first and last block (linspace). Defaults to (0.0, 0.2).
        norm_eps (float): LayerNorm epsilon of the blocks. Defaults to 1e-5.
        input_size (tuple[int, int]): Crop size (w, h). Defaults to
            (192, 256).
        use_kernel (bool): MMCV kernel on CUDA, see
            :class:`PerLevelDeformableAttention`. Defaults to False.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 feat_channels: Sequence[int] = (32, 64, 128, 256),
                 embed_dims: int = 128,
                 num_keypoints: int = 17,
                 num_blocks: int = 4,
                 num_heads: int = 4,
                 num_points: int = 4,
                 mlp_ratio: float = 2.0,
                 drop_path_range: Tuple[float, float] = (0.0, 0.2),
                 norm_eps: float = 1e-5,
                 input_size: Tuple[int, int] = (192, 256),
                 use_kernel: bool = False,
                 init_cfg: dict = None):
        super().__init__(init_cfg=init_cfg)
        self.num_keypoints = num_keypoints
        self.input_size = tuple(input_size)
        self.coord_embed = nn.Linear(2, embed_dims)
        self.feat_embed = nn.ModuleList(nn.Linear(c, embed_dims) for c in feat_channels)
        self.pos_embed = nn.Parameter(
            torch.zeros(1, len(feat_channels) + 1, num_keypoints, embed_dims))
        self.blocks = deformable_context_blocks(
            embed_dims,
            feat_channels,
            num_blocks,
            drop_path_range,
            num_heads=num_heads,
            num_points=num_points,
            mlp_ratio=mlp_ratio,
            norm_eps=norm_eps,
            padding_mode='border',
            use_kernel=use_kernel)

    def init_weights(self) -> None:
        """Zero positional embedding, Deformable-DETR init of the blocks."""
        super().init_weights()
        nn.init.zeros_(self.pos_embed)

    def forward(self,
                feats: Sequence[Tensor],
                keypoints_frame: Tensor,
                keypoints_crop: Tensor,
                text_feats: Optional[Tensor] = None) -> Tensor:
        """Build the joint tokens.

        Args:
            feats (Sequence[Tensor]): L maps, level l (B, C_l, H_l, W_l).
            keypoints_frame (Tensor): Normalised full-frame 2D joints (B, K, 2).
            keypoints_crop (Tensor): Crop-pixel 2D joints (B, K, 2); not modified.
            text_feats (Tensor, optional): Unused by CA-PF; accepted so that all
                necks share one call signature. Must be None.

        Returns:
            Tensor: Joint tokens in shape (B, T, K, C), token 0 the coordinate.
        """
        if text_feats is not None:
            raise ValueError('CAPFContextNeck: text_feats must be None (CA-PF uses no text); '
                             'remove text_encoder from the model config')
        check_joint_views('CAPFContextNeck', keypoints_frame, keypoints_crop, self.num_keypoints)
        reference = crop_to_grid(keypoints_crop, self.input_size)
        # (B, K, C) -> (B, 1, K, C)
        coord = self.coord_embed(keypoints_frame).unsqueeze(1)
        levels = embed_at_reference(feats, reference, self.feat_embed)
        # (B, 1, K, C) + (B, L, K, C) -> (B, T, K, C)
        x = torch.cat([coord, levels], dim=1) + self.pos_embed
        guide, x = x[:, :1], x[:, 1:]
        for block in self.blocks:
            x = block(x, guide, reference, feats)
        return torch.cat([guide, x], dim=1)
