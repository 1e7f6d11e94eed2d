"""MPM decoder head: fills masked frames and reconstructs 2D and 3D poses."""
from typing import Dict, Optional, Sequence

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.models.utils.mpm.mpm_decoder import MPMDecoder

from ...backbones.mpm_encoder import MODALITY_DIMS, gather_frames, visible_frame_index


@MODELS.register_module()
class MPMReconstructionHead(BaseModule):
    """Decoder of MPM (Zhang, Chai et al., arXiv 2306.17201).

    The encoder's tokens of the kept frames get the decoder positional
    embedding of their frame; every masked frame becomes the learned
    ``mask_token`` plus its positional embedding. All F frames, in time
    order, then go through one :class:`MPMDecoder` per output modality:
    ``'pose2d'`` reconstructs the 2D input, ``'pose3d'`` the 3D input or,
    on 2D tokens, lifts them to 3D.

    Note:
        - B: batch, F: frames, K: joints, C: channels
        - outputs are in the units of their targets: normalised screen
          coordinates (2D), metres, camera frame, root-relative (3D)

    Args:
        num_keypoints (int): Joints K. Defaults to 17.
        num_frames (int): Frames F. Defaults to 243.
        embed_dims (int): Channels C. Defaults to 256.
        hidden_dims (int): Transformer MLP channels. Defaults to 512.
        num_layers (int): Layers per decoder (1 in the reference's
            pretraining model, 2 in its completion model). Defaults to 1.
        num_heads (int): Attention heads. Defaults to 8.
        modalities (Sequence[str]): Decoders to build. Defaults to both.
        drop (float): Dropout rate. Defaults to 0.1.
        fused_attn (bool): See :class:`MPMAttention`. Defaults to True.
        with_cp (bool): Activation checkpointing in training. Defaults to
            False.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(self,
                 num_keypoints: int = 17,
                 num_frames: int = 243,
                 embed_dims: int = 256,
                 hidden_dims: int = 512,
                 num_layers: int = 1,
                 num_heads: int = 8,
                 modalities: Sequence[str] = ('pose2d', 'pose3d'),
                 drop: float = 0.1,
                 fused_attn: bool = True,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        unknown = set(modalities) - set(MODALITY_DIMS)
        if unknown or not modalities:
            raise ValueError(f'MPMReconstructionHead: modalities must be a non-empty subset of '
                             f'{sorted(MODALITY_DIMS)}, got {list(modalities)}')
        self.num_frames = num_frames
        self.mask_token = nn.Parameter(torch.randn(1, 1, embed_dims))
        self.pos_embed = nn.Parameter(torch.randn(1, num_frames, embed_dims))
        self.decoders = nn.ModuleDict({
            name: MPMDecoder(num_keypoints, MODALITY_DIMS[name], embed_dims, hidden_dims,
                             num_layers, num_heads, drop, fused_attn, with_cp)
            for name in modalities
        })

    def assemble(self, tokens: Tensor, frame_mask: Optional[Tensor]) -> Tensor:
        """Decoder input of all frames in time order.

        Args:
            tokens (Tensor): Encoder tokens of the kept frames (B, F_vis, C).
            frame_mask (Tensor, optional): Bool (F,) or (B, F), True = masked
                frame; None when no frame was masked.

        Returns:
            Tensor: (B, F, C).
        """
        B, N, C = tokens.shape
        pos_embed = self.pos_embed.expand(B, -1, -1)
        if frame_mask is None:
            if N != self.num_frames:
                raise ValueError(f'MPMReconstructionHead: {N} tokens without a frame mask, '
                                 f'expected {self.num_frames}')
            return tokens + pos_embed
        if frame_mask.shape[-1] != self.num_frames:
            raise ValueError(f'MPMReconstructionHead: frame mask of shape '
                             f'{tuple(frame_mask.shape)}, expected {self.num_frames} frames')
        index = visible_frame_index(frame_mask, B)
        full = (self.mask_token + pos_embed).clone()
        visible = tokens + gather_frames(pos_embed, index)
        return full.scatter(1, index[..., None].expand(-1, -1, C), visible)

    def forward(self,
                tokens: Tensor,
                frame_mask: Optional[Tensor] = None,
                outputs: Sequence[str] = ('pose2d', )) -> Dict[str, Tensor]:
        """Decode the requested outputs.

        Args:
            tokens (Tensor): Encoder tokens of the kept frames (B, F_vis, C).
            frame_mask (Tensor, optional): See :meth:`assemble`.
            outputs (Sequence[str]): Decoders to run on the same input.

        Returns:
            dict[str, Tensor]: ``'pose2d'`` (B, F, K, 2), ``'pose3d'``
            (B, F, K, 3), as requested.
        """
        x = self.assemble(tokens, frame_mask)
        missing = [name for name in outputs if name not in self.decoders]
        if missing:
            raise KeyError(f'MPMReconstructionHead: no decoder for {missing}; built: '
                           f'{list(self.decoders)}')
        return {name: self.decoders[name](x) for name in outputs}
