"""Deformable attention in which each level's tokens read only their own map.

After Deformable DETR (Zhu et al., ICLR 2021) as adapted by CA-PF (Zhao et
al., NeurIPS 2023) and MetaPose: per joint and level, M heads x P points are
sampled around the joint's reference point, values are projected per level to
C/M channels (shared by the heads), weighted by a softmax over the P points of
each head, and the heads are concatenated. There is no output projection.
Parameter names follow MMCV's ``MultiScaleDeformableAttention``.
"""
import math
from typing import Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from metapose_plugin.models.layers.deformable_sampling import (PADDING_MODES,
                                                               grid_to_kernel_locations,
                                                               sample_feature_levels)


class PerLevelDeformableAttention(BaseModule):
    """Per-level deformable attention around per-joint reference points.

    Note:
        - B: batch, K: joints, L: levels, C: token channels
        - M: heads, P: points per head, C_v = C / M value channels
        - C_l: channels of feature level l
        - offsets and reference points are in grid units ([-1, 1],
          align_corners=True, see :func:`sample_feature_levels`)

    Args:
        embed_dims (int): Token channels C.
        feat_channels (Sequence[int]): Channels C_l of the L feature maps.
        num_heads (int): Heads M. Defaults to 4.
        num_points (int): Points P per head. Defaults to 4.
        padding_mode (str): ``'border'`` (CA-PF) or ``'zeros'`` (MetaPose).
            Defaults to ``'border'``.
        use_kernel (bool): Use MMCV's compiled ``ms_deform_attn`` on CUDA
            tensors (``'border'`` padding only: there the kernel computes the
            same function, with clamped locations). CPU tensors always take
            the pure-PyTorch path. Defaults to False.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int,
                 feat_channels: Sequence[int],
                 num_heads: int = 4,
                 num_points: int = 4,
                 padding_mode: str = 'border',
                 use_kernel: bool = False,
                 init_cfg: dict = None):
        super().__init__(init_cfg=init_cfg)
        if embed_dims % num_heads != 0:
            raise ValueError(f'PerLevelDeformableAttention: embed_dims ({embed_dims}) must be '
                             f'divisible by num_heads ({num_heads})')
        if padding_mode not in PADDING_MODES:
            raise ValueError(f'PerLevelDeformableAttention: padding_mode must be one of '
                             f'{PADDING_MODES}, got {padding_mode!r}')
        if use_kernel and padding_mode != 'border':
            raise ValueError('PerLevelDeformableAttention: use_kernel=True requires '
                             "padding_mode='border'; the MMCV kernel pads with zeros after "
                             'the value projection, which differs from sampling then projecting')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.num_points = num_points
        self.num_levels = len(feat_channels)
        self.padding_mode = padding_mode
        self.use_kernel = use_kernel
        self.value_dims = embed_dims // num_heads
        self.sampling_offsets = nn.Linear(embed_dims, num_heads * num_points * 2)
        self.attention_weights = nn.Linear(embed_dims, num_heads * num_points)
        self.embed_proj = nn.ModuleList(nn.Linear(c, self.value_dims) for c in feat_channels)

    def init_weights(self) -> None:
        """Deformable-DETR init: offset weights 0, offset bias of head h and
        point s ``0.01 * (s + 1) * (cos t_h, sin t_h) / max|.|`` with
        ``t_h = 2 pi h / M``; attention weights and bias 0."""
        super().init_weights()
        thetas = torch.arange(self.num_heads, dtype=torch.float32) * (2 * math.pi / self.num_heads)
        # (M, 2), scaled so that the larger component is 1
        directions = torch.stack([thetas.cos(), thetas.sin()], dim=-1)
        directions = directions / directions.abs().max(dim=-1, keepdim=True).values
        steps = torch.arange(1, self.num_points + 1, dtype=torch.float32)
        # (M, 1, 2) * (1, P, 1) -> (M, P, 2), flattened head-major as the Linear output
        grid = 0.01 * directions[:, None, :] * steps[None, :, None]
        with torch.no_grad():
            self.sampling_offsets.weight.zero_()
            self.sampling_offsets.bias.copy_(grid.flatten())
            self.attention_weights.weight.zero_()
            self.attention_weights.bias.zero_()

    def forward(self, query: Tensor, reference: Tensor, feats: Sequence[Tensor]) -> Tensor:
        """Attend from each level token to points of its own level's map.

        Args:
            query (Tensor): Level tokens in shape (B, L, K, C).
            reference (Tensor): Reference points in grid units, (B, K, 2)
                shared by all levels or (B, L, K, 2) per level.
            feats (Sequence[Tensor]): L maps, level l in shape
                (B, C_l, H_l, W_l).

        Returns:
            Tensor: Attended values in shape (B, L, K, C) (heads concatenated).
        """
        B, L, K, _ = query.shape
        if L != self.num_levels or len(feats) != self.num_levels:
            raise ValueError(f'PerLevelDeformableAttention: expected {self.num_levels} levels, '
                             f'got query with {L} and {len(feats)} feature maps')
        M, P = self.num_heads, self.num_points
        # (B, L, K, M*P) -> (B, L, K, M, P), softmax over the P points of each head
        weights = self.attention_weights(query).view(B, L, K, M, P).softmax(dim=-1)
        # (B, L, K, M*P*2) -> (B, L, K, M*P, 2), tanh-bounded offsets in grid units
        offsets = self.sampling_offsets(query).view(B, L, K, M * P, 2).tanh()
        # reference (B, K, 2) -> (B, 1, K, 1, 2) or (B, L, K, 2) -> (B, L, K, 1, 2)
        ref = reference.unsqueeze(-2) if reference.dim() == 4 else reference[:, None, :, None]
        locations = offsets + ref
        if self.use_kernel and query.is_cuda:
            out = self._kernel_forward(locations, weights, feats)
        else:
            out = self._pytorch_forward(locations, weights, feats)
        # (B, L, K, M, C_v) -> (B, L, K, C)
        return out.reshape(B, L, K, M * self.value_dims)

    def _pytorch_forward(self, locations: Tensor, weights: Tensor,
                         feats: Sequence[Tensor]) -> Tensor:
        """Reference path: sample, project per level, weight, sum.

        ``locations`` (B, L, K, M*P, 2), ``weights`` (B, L, K, M, P);
        returns (B, L, K, M, C_v).
        """
        B, L, K, M, P = weights.shape
        sampled = sample_feature_levels(feats, locations, self.padding_mode)
        # L x (B, K, M*P, C_l) -> (B, L, K, M*P, C_v)
        values = torch.stack([proj(s) for proj, s in zip(self.embed_proj, sampled)], dim=1)
        # (B, L, K, M*P, C_v) -> (B, L, K, M, P, C_v)
        values = values.view(B, L, K, M, P, self.value_dims)
        return (weights.unsqueeze(-1) * values).sum(dim=-2)

    def _kernel_forward(self, locations: Tensor, weights: Tensor,
                        feats: Sequence[Tensor]) -> Tensor:
        """MMCV ``ms_deform_attn`` path, one single-level call per level.

        With border padding every bilinear weight set sums to 1, so projecting
        the values before sampling equals projecting after.
        """
        from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction

        B, L, K, M, P = weights.shape
        outs = []
        for level, (feat, proj) in enumerate(zip(feats, self.embed_proj)):
            H, W = feat.shape[-2:]
            # (B, C_l, H, W) -> (B, H*W, C_l) -> (B, H*W, C_v) -> (B, H*W, M, C_v)
            value = proj(feat.flatten(2).transpose(1, 2))
            value = value.unsqueeze(2).expand(B, H * W, M, self.value_dims).contiguous()
            # (B, K, M*P, 2) -> (B, K, M, 1, P, 2) in kernel units
            loc = grid_to_kernel_locations(locations[:, level], H, W, clamp=True)
            loc = loc.view(B, K, M, 1, P, 2).contiguous()
            # (B, K, M, P) -> (B, K, M, 1, P)
            attn = weights[:, level].unsqueeze(3).contiguous()
            shapes = torch.tensor([[H, W]], dtype=torch.long, device=feat.device)
            start = torch.zeros(1, dtype=torch.long, device=feat.device)
            # -> (B, K, M*C_v)
            out = MultiScaleDeformableAttnFunction.apply(value, shapes, start, loc, attn, 64)
            outs.append(out.view(B, K, M, self.value_dims))
        return torch.stack(outs, dim=1)
