"""The MPM pose encoder shared by pretraining, completion and lifting."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from metapose_plugin.models.utils.mpm.mpm_layer_norm import MPMLayerNorm
from metapose_plugin.models.utils.mpm.mpm_pose_embedding import MPMPoseEmbedding
from metapose_plugin.models.utils.mpm.mpm_spatial_block import MPMSpatialBlock
from metapose_plugin.models.utils.mpm.mpm_transformer_layer import MPMTransformerLayer

MODALITY_DIMS = dict(pose2d=2, pose3d=3)


def visible_frame_index(frame_mask: Tensor, batch_size: int) -> Tensor:
    """Indices of the unmasked frames of each sample, in time order.

    Args:
        frame_mask (Tensor): Bool, True = masked frame, (F,) for one mask
            per batch or (B, F) per sample; every sample must hide the same
            number of frames.
        batch_size (int): B.

    Returns:
        Tensor: Long indices (B, F_vis).
    """
    frame_mask = frame_mask.to(torch.bool)
    if frame_mask.dim() == 1:
        frame_mask = frame_mask.expand(batch_size, -1)
    counts = (~frame_mask).sum(1)
    if counts.numel() and bool((counts != counts[0]).any()):
        raise ValueError('frame_mask: every sample must keep the same number of frames, got '
                         f'{counts.tolist()}')
    if counts.numel() and int(counts[0]) == 0:
        raise ValueError('frame_mask: every frame is masked')
    order = torch.arange(frame_mask.shape[1], device=frame_mask.device).expand_as(frame_mask)
    # stable sort puts visible frames first, each group in time order
    index = torch.sort(frame_mask.long(), dim=1, stable=True).indices
    return torch.gather(order, 1, index)[:, :int(counts[0]) if counts.numel() else 0]


def gather_frames(x: Tensor, index: Tensor) -> Tensor:
    """``x[b, index[b]]`` for (B, F, ...) and (B, F_sel) -> (B, F_sel, ...)."""
    shape = index.shape + x.shape[2:]
    expanded = index.view(*index.shape, *([1] * (x.dim() - 2))).expand(shape)
    return torch.gather(x, 1, expanded)


@MODELS.register_module()
class MPMEncoder(BaseModule):
    """Encoder of MPM (Zhang, Chai et al., "MPM: A Unified 2D-3D Human Pose
    Representation via Masked Pose Modeling", arXiv 2306.17201).

    ``poses (B, F, K, d) --embeds[modality]--> (B, 2C, F) --spatial--> (B,
    C, F) -> + pos_embed -> keep unmasked frames --layers--> final_norm ->
    tokens (B, F_vis, C)``. One embedding per modality (2D, 3D), then a
    per-frame block and a temporal transformer shared by all modalities.
    Masked frames never enter the transformer (MAE style).

    Note:
        - B: batch, F: frames, K: joints, C: channels, d: 2 or 3
        - 2D: normalised screen coordinates ``X / w * 2 - [1, h / w]``;
          3D: camera frame, metres, root-relative (root set to 0)

    Args:
        num_keypoints (int): Joints K. Defaults to 17.
        num_frames (int): Frames F of a window. Defaults to 243.
        embed_dims (int): Channels C (``--channel``). Defaults to 256.
        hidden_dims (int): Transformer MLP channels (``--d_hid``).
            Defaults to 512.
        num_layers (int): Transformer layers (``--layers``). Defaults to 4.
        num_heads (int): Attention heads. Defaults to 8.
        modalities (Sequence[str]): Input embeddings to build, from
            ``'pose2d'``, ``'pose3d'``. Defaults to both.
        drop (float): Dropout rate (0.1 pretraining, 0.2 in the reference's
            fine-tuned lifter). Defaults to 0.1.
        with_mask_token (bool): Learned tokens for masked joints. Defaults
            to True.
        final_norm (bool): :class:`MPMLayerNorm` after the transformer (the
            reference's ``encoder_LN``; its lifter has none). Defaults to
            True.
        encode_masked_frames (bool): Run the per-frame layers on masked
            frames too before dropping them (the reference; only training
            BatchNorm statistics see them). False embeds only the kept
            frames: the same output in eval mode, less time and memory.
            Defaults to True.
        fused_attn (bool): See :class:`MPMAttention`. Defaults to True.
        with_cp (bool): Activation checkpointing of the transformer layers
            in training (same numbers, less memory). Defaults to False.
        init_cfg (dict, optional): MMEngine init config, e.g.
            ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.
    """

    def __init__(self,
                 num_keypoints: int = 17,
                 num_frames: int = 243,
                 embed_dims: int = 256,
                 hidden_dims: int = 512,
                 num_layers: int = 4,
                 num_heads: int = 8,
                 modalities: Sequence[str] = ('pose2d', 'pose3d'),
                 drop: float = 0.1,
                 with_mask_token: bool = True,
                 final_norm: bool = True,
                 encode_masked_frames: bool = True,
                 fused_attn: bool = True,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        unknown = set(modalities) - set(MODALITY_DIMS)
        if unknown or not modalities:
            raise ValueError(f'MPMEncoder: modalities must be a non-empty subset of '
                             f'{sorted(MODALITY_DIMS)}, got {list(modalities)}')
        self.num_keypoints = num_keypoints
        self.num_frames = num_frames
        self.encode_masked_frames = encode_masked_frames
        self.with_cp = with_cp
        self.embeds = nn.ModuleDict({
            name: MPMPoseEmbedding(num_keypoints, MODALITY_DIMS[name], 2 * embed_dims, drop,
                                   with_mask_token)
            for name in modalities
        })
        self.spatial = MPMSpatialBlock(2 * embed_dims, embed_dims, 1, drop)
        self.pos_embed = nn.Parameter(torch.randn(1, num_frames, embed_dims))
        self.layers = nn.ModuleList(
            MPMTransformerLayer(embed_dims, hidden_dims, num_heads, drop, fused_attn)
            for _ in range(num_layers))
        self.final_norm = MPMLayerNorm(embed_dims) if final_norm else None

    def forward(self,
                poses: Tensor,
                modality: str = 'pose2d',
                joint_mask: Optional[Tensor] = None,
                frame_mask: Optional[Tensor] = None) -> Tensor:
        """Encode the unmasked frames of a pose sequence.

        Args:
            poses (Tensor): (B, F, K, d) with d = 2 for ``'pose2d'``, 3 for
                ``'pose3d'``.
            modality (str): Which embedding to use. Defaults to ``'pose2d'``.
            joint_mask (Tensor, optional): Bool, True = masked joint,
                broadcastable to (B, F, K) (see :class:`MPMPoseEmbedding`).
            frame_mask (Tensor, optional): Bool, True = masked frame, (F,)
                or (B, F); see :func:`visible_frame_index`. None keeps all.

        Returns:
            Tensor: Tokens of the kept frames (B, F_vis, C), in time order.
        """
        if modality not in self.embeds:
            raise KeyError(f'MPMEncoder: no {modality!r} embedding; built: {list(self.embeds)}')
        B, F = poses.shape[:2]
        if F != self.num_frames:
            raise ValueError(f'MPMEncoder: expected {self.num_frames} frames, got poses of '
                             f'shape {tuple(poses.shape)}')
        pos_embed = self.pos_embed.expand(B, -1, -1)
        index = None if frame_mask is None else visible_frame_index(frame_mask, B)
        if index is not None and not self.encode_masked_frames:
            poses, pos_embed = gather_frames(poses, index), gather_frames(pos_embed, index)
            if joint_mask is not None:
                joint_mask = gather_frames(joint_mask.to(torch.bool).expand(B, F, -1), index)
            index = None
        # (B, F, K, d) -> (B, 2C, F) -> (B, C, F) -> (B, F, C)
        x = self.spatial(self.embeds[modality](poses, joint_mask)).transpose(1, 2)
        x = x + pos_embed
        if index is not None:
            x = gather_frames(x, index)
        for layer in self.layers:
            if self.with_cp and self.training and x.requires_grad:
                x = checkpoint(layer, x, use_reentrant=False)
            else:
                x = layer(x)
        return x if self.final_norm is None else self.final_norm(x)
