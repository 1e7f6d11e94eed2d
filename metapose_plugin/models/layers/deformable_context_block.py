"""Guided deformable block: CA-PF's context block, MetaPose's spatial block."""
from typing import Sequence, Tuple

from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from metapose_plugin.models.layers.per_level_deformable_attention import PerLevelDeformableAttention
from metapose_plugin.models.layers.vit_block import Mlp, drop_path_rates


class DeformableContextBlock(BaseModule):
    """Level tokens read their maps around the joints, guided by a token.

    ``h = norm1(x + guide)``; ``x = x + DropPath(attn(h))``;
    ``x = x + DropPath(mlp(norm2(x)))``. The residual is taken before the
    guide is added, and the guide itself is never updated. In CA-PF
    (Zhao et al., NeurIPS 2023) the guide is the coordinate token with border
    padding; in MetaPose's spatial enhancer it is the point embedding with
    zeros padding.

    Note:
        - B: batch, K: joints, L: levels, C: channels, C_l: level channels
        - reference points in grid units ([-1, 1], align_corners=True)

    Args:
        embed_dims (int): Token channels C.
        feat_channels (Sequence[int]): Channels C_l of the L feature maps.
        num_heads (int): Deformable heads M. Defaults to 4.
        num_points (int): Points P per head. Defaults to 4.
        mlp_ratio (float): MLP hidden size over C. Defaults to 2.0.
        drop_path_rate (float): Stochastic-depth rate. Defaults to 0.0.
        norm_eps (float): LayerNorm epsilon of ``norm1``/``norm2``.
            Defaults to 1e-5 (both references).
        padding_mode (str): ``'border'`` or ``'zeros'``. Defaults to
            ``'border'``.
        use_kernel (bool): See :class:`PerLevelDeformableAttention`.
            Defaults to False.
        init_cfg (dict, optional): MMEngine init config. Defaults to None;
            ``init_weights`` runs the attention's own Deformable-DETR init.
    """

    def __init__(self,
                 embed_dims: int,
                 feat_channels: Sequence[int],
                 num_heads: int = 4,
                 num_points: int = 4,
                 mlp_ratio: float = 2.0,
                 drop_path_rate: float = 0.0,
                 norm_eps: float = 1e-5,
                 padding_mode: str = 'border',
                 use_kernel: bool = False,
                 init_cfg: dict = None):
        super().__init__(init_cfg=init_cfg)
        self.norm1 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.attn = PerLevelDeformableAttention(
            embed_dims,
            feat_channels,
            num_heads=num_heads,
            num_points=num_points,
            padding_mode=padding_mode,
            use_kernel=use_kernel)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio))

    def forward(self, x: Tensor, guide: Tensor, reference: Tensor,
                feats: Sequence[Tensor]) -> Tensor:
        """Update the level tokens.

        Args:
            x (Tensor): Level tokens in shape (B, L, K, C).
            guide (Tensor): Guide tokens broadcastable to x, e.g. (B, 1, K, C).
            reference (Tensor): Reference points in grid units, (B, K, 2) or
                (B, L, K, 2).
            feats (Sequence[Tensor]): L maps, level l (B, C_l, H_l, W_l).

        Returns:
            Tensor: Updated level tokens in shape (B, L, K, C).
        """
        h = self.norm1(x + guide)
        x = x + self.drop_path(self.attn(h, reference, feats))
        return x + self.drop_path(self.mlp(self.norm2(x)))


def deformable_context_blocks(embed_dims: int,
                              feat_channels: Sequence[int],
                              num_blocks: int,
                              drop_path_range: Tuple[float, float],
                              **block_kwargs) -> ModuleList:
    """A stack of :class:`DeformableContextBlock` with linearly increasing
    stochastic-depth rates, as CA-PF's context blocks and MetaPose's spatial
    enhancer use it.

    An MMEngine ``ModuleList``, so that ``init_weights`` reaches each block's
    Deformable-DETR init (a torch ``ModuleList`` has no ``init_weights``).

    Args:
        embed_dims (int): Token channels C.
        feat_channels (Sequence[int]): Channels C_l of the L feature maps.
        num_blocks (int): Number of blocks.
        drop_path_range (tuple[float, float]): Rates of the first and last
            block.
        **block_kwargs: ``num_heads``, ``num_points``, ``mlp_ratio``,
            ``norm_eps``, ``padding_mode``, ``use_kernel`` of each block.

    Returns:
        ModuleList: ``num_blocks`` blocks.
    """
    return ModuleList(
        DeformableContextBlock(embed_dims, feat_channels, drop_path_rate=rate, **block_kwargs)
        for rate in drop_path_rates(*drop_path_range, num_blocks))
