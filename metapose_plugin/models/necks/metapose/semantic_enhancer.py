"""MetaPose semantic-driven modality enhancement (iterative deformable attention)."""
from typing import Sequence, Tuple

import torch
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule, ModuleList
from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.models.layers.deformable_sampling import embed_at_reference
from metapose_plugin.models.layers.per_level_deformable_attention import PerLevelDeformableAttention
from metapose_plugin.models.layers.vit_block import Mlp, drop_path_rates


class SemanticDeformableBlock(BaseModule):
    """One text-guided block that also moves the per-level reference points.

    ``h = norm1(x + E)``; ``R = R + tanh(offsets(h))`` (per level, carried
    on without detach); ``s_l = embed_proj[l](sample(map_l, R_l))`` (zeros
    padding); ``h = norm2(h + s) + query_pos``;
    ``x = x + DropPath(attn(h, R))``; ``x = x + DropPath(mlp(norm3(x)))``.

    Note:
        - B: batch, K: joints, L: levels, C: channels, C_l: level channels
        - R: reference points in grid units ([-1, 1], align_corners=True)

    Args:
        embed_dims (int): Channels C.
        feat_channels (Sequence[int]): Channels C_l of the L maps.
        num_heads (int): Deformable heads M. Defaults to 4.
        num_points (int): Points P per head. Defaults to 4.
        mlp_ratio (float): MLP ratio. Defaults to 2.0.
        drop_path_rate (float): Stochastic depth. Defaults to 0.0.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-5.
    """

    def __init__(self,
                 embed_dims: int,
                 feat_channels: Sequence[int],
                 num_heads: int = 4,
                 num_points: int = 4,
                 mlp_ratio: float = 2.0,
                 drop_path_rate: float = 0.0,
                 norm_eps: float = 1e-5) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.offsets = nn.Linear(embed_dims, 2)
        self.norm2 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.embed_proj = nn.ModuleList(nn.Linear(c, embed_dims) for c in feat_channels)
        self.attn = PerLevelDeformableAttention(
            embed_dims, feat_channels, num_heads=num_heads, num_points=num_points,
            padding_mode='zeros')
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        self.norm3 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio))

    def init_weights(self) -> None:
        """Reference-offset head: weights 0, bias (0.01, 0) (a step along +x);
        Deformable-DETR init of the attention."""
        super().init_weights()
        with torch.no_grad():
            self.offsets.weight.zero_()
            self.offsets.bias.copy_(torch.tensor([0.01, 0.0]))

    def forward(self, x: Tensor, query_pos: Tensor, guide: Tensor, reference: Tensor,
                feats: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """Update the level tokens and their reference points.

        Args:
            x (Tensor): Level tokens in shape (B, L, K, C).
            query_pos (Tensor): Query position embedding (1, L, K, C).
            guide (Tensor): Text embedding E in shape (B, 1, K, C).
            reference (Tensor): Reference points (B, 1, K, 2) or (B, L, K, 2).
            feats (Sequence[Tensor]): L maps, level l (B, C_l, H_l, W_l).

        Returns:
            tuple[Tensor, Tensor]: Tokens (B, L, K, C) and the moved
            per-level reference (B, L, K, 2).
        """
        h = self.norm1(x + guide)
        # (B, 1 or L, K, 2) + (B, L, K, 2) -> (B, L, K, 2)
        reference = reference + self.offsets(h).tanh()
        h = self.norm2(h + embed_at_reference(feats, reference, self.embed_proj)) + query_pos
        x = x + self.drop_path(self.attn(h, reference, feats))
        x = x + self.drop_path(self.mlp(self.norm3(x)))
        return x, reference


@MODELS.register_module()
class SemanticEnhancer(BaseModule):
    """Level tokens refined around text-driven, iteratively moved points.

    MetaPose's semantic branch: ``num_blocks``
    :class:`SemanticDeformableBlock` s guided by the text embedding E, with a
    learned query position ``query_embed`` (an ``Embedding(L * K, C)``, N(0, 1)
    init, viewed as (L, K, C)); the reference starts at the 2D crop points
    and each block moves it per level. The text embedding is then appended
    as the last token.

    Note:
        - B: batch, K: joints, L: levels, T = L + 1, C: channels

    Args:
        embed_dims (int): Channels C. Defaults to 128.
        feat_channels (Sequence[int]): Channels C_l of the L maps. Defaults
            to HRNet-W32 (32, 64, 128, 256).
        num_keypoints (int): Joints K. Defaults to 17.
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
                 num_keypoints: int = 17,
                 num_blocks: int = 4,
                 num_heads: int = 4,
                 num_points: int = 4,
                 mlp_ratio: float = 2.0,
                 drop_path_range: Tuple[float, float] = (0.1, 0.2),
                 norm_eps: float = 1e-5,
                 init_cfg: dict = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_levels = len(feat_channels)
        self.num_keypoints = num_keypoints
        self.query_embed = nn.Embedding(self.num_levels * num_keypoints, embed_dims)
        self.blocks = ModuleList(
            SemanticDeformableBlock(
                embed_dims,
                feat_channels,
                num_heads=num_heads,
                num_points=num_points,
                mlp_ratio=mlp_ratio,
                drop_path_rate=rate,
                norm_eps=norm_eps)
            for rate in drop_path_rates(*drop_path_range, num_blocks))

    def init_weights(self) -> None:
        """Query position N(0, 1); each block's own init."""
        super().init_weights()
        nn.init.normal_(self.query_embed.weight)

    def forward(self, x: Tensor, text_embed: Tensor, reference: Tensor,
                feats: Sequence[Tensor]) -> Tensor:
        """Refine the level tokens and append the text embedding.

        Args:
            x (Tensor): Level tokens in shape (B, L, K, C).
            text_embed (Tensor): Text embedding E in shape (B, 1, K, C).
            reference (Tensor): Crop reference in grid units (B, K, 2).
            feats (Sequence[Tensor]): L maps, level l (B, C_l, H_l, W_l).

        Returns:
            Tensor: ``cat[X, E]`` in shape (B, T, K, C).
        """
        # (L*K, C) -> (1, L, K, C)
        query_pos = self.query_embed.weight.view(1, self.num_levels, self.num_keypoints, -1)
        reference = reference.unsqueeze(1)
        for block in self.blocks:
            x, reference = block(x, query_pos, text_embed, reference, feats)
        return torch.cat([x, text_embed], dim=1)
