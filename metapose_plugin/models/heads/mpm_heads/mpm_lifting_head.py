"""Head of the fine-tuned MPM lifter: all-frame and centre-frame 3D."""
from collections import OrderedDict
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.models.utils.mpm.mpm_strided_layer import MPMStridedLayer

# The reference's strides per window length (``stride_num``).
DEFAULT_STRIDES = {9: (1, 3, 3), 27: (3, 3, 3), 81: (3, 3, 3, 3), 243: (3, 3, 3, 3, 3)}


def pose_head(embed_dims: int, num_keypoints: int) -> nn.Sequential:
    """``BatchNorm1d(C) -> Conv1d(C, 3K, 1)`` on (B, C, F)."""
    return nn.Sequential(
        OrderedDict(
            norm=nn.BatchNorm1d(embed_dims),
            fc=nn.Conv1d(embed_dims, 3 * num_keypoints, kernel_size=1)))


@MODELS.register_module()
class MPMLiftingHead(BaseModule):
    """3D outputs of the fine-tuned MPM lifter (Zhang, Chai et al., arXiv
    2306.17201; the reducing transformer is the strided transformer of Li et
    al., 2022).

    ``frame_head`` maps the encoder tokens of all F frames to 3D. The
    reducing transformer adds ``pos_embeds[i]`` before its layer i (only the
    first ``len(pos_embeds)`` layers get one, 3 in the reference) and shrinks
    F to 1 with strided layers; ``center_head`` maps the last token to the
    3D pose of the centre frame.

    Note:
        - B: batch, F: frames, K: joints, C: channels
        - 3D: camera frame, metres, root-relative

    Args:
        num_keypoints (int): Joints K. Defaults to 17.
        num_frames (int): Frames F. Defaults to 243.
        embed_dims (int): Channels C. Defaults to 256.
        hidden_dims (int): Strided MLP channels. Defaults to 512.
        strides (Sequence[int], optional): Stride per reducing layer; their
            product must reach 1 frame. Defaults to the reference's table
            (:data:`DEFAULT_STRIDES`).
        num_pos_embeds (int): Reducing layers with a positional embedding.
            Defaults to 3.
        num_heads (int): Attention heads. Defaults to 8.
        drop (float): Dropout rate. Defaults to 0.1.
        fused_attn (bool): See :class:`MPMAttention`. Defaults to True.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 num_keypoints: int = 17,
                 num_frames: int = 243,
                 embed_dims: int = 256,
                 hidden_dims: int = 512,
                 strides: Optional[Sequence[int]] = None,
                 num_pos_embeds: int = 3,
                 num_heads: int = 8,
                 drop: float = 0.1,
                 fused_attn: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if strides is None:
            if num_frames not in DEFAULT_STRIDES:
                raise ValueError(f'MPMLiftingHead: no default strides for {num_frames} frames '
                                 f'(known: {sorted(DEFAULT_STRIDES)}); pass strides')
            strides = DEFAULT_STRIDES[num_frames]
        length = num_frames
        for stride in strides:
            length = -(-length // stride)
        if length != 1:
            raise ValueError(f'MPMLiftingHead: strides {list(strides)} reduce {num_frames} '
                             f'frames to {length}, not 1')
        self.num_keypoints = num_keypoints
        self.num_frames = num_frames
        self.frame_head = pose_head(embed_dims, num_keypoints)
        self.pos_embeds = nn.ParameterList(
            nn.Parameter(torch.randn(1, num_frames, embed_dims))
            for _ in range(min(num_pos_embeds, len(strides))))
        self.layers = nn.ModuleList(
            MPMStridedLayer(embed_dims, hidden_dims, stride, num_heads, drop, fused_attn)
            for stride in strides)
        self.center_head = pose_head(embed_dims, num_keypoints)

    def _to_pose(self, head: nn.Module, x: Tensor) -> Tensor:
        """(B, N, C) -> (B, N, K, 3); output channel ``k * 3 + i``."""
        B, N, _ = x.shape
        return head(x.transpose(1, 2)).transpose(1, 2).reshape(B, N, self.num_keypoints, 3)

    def forward(self, tokens: Tensor) -> Tuple[Tensor, Tensor]:
        """3D poses from the encoder tokens (B, F, C).

        Returns:
            tuple[Tensor, Tensor]: ``(center, frames)``: the centre frame
            (B, 1, K, 3) and every frame (B, F, K, 3).
        """
        frames = self._to_pose(self.frame_head, tokens)
        x = tokens
        for i, layer in enumerate(self.layers):
            if i < len(self.pos_embeds):
                x = x + self.pos_embeds[i][:, :x.shape[1]]
            x = layer(x)
        return self._to_pose(self.center_head, x), frames
