"""MetaPose neck: joint tokens from 2D points, image context and text."""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.models.layers.deformable_sampling import (check_joint_views, crop_to_grid,
                                                               embed_at_reference)
from metapose_plugin.models.necks.metapose.semantic_enhancer import SemanticEnhancer
from metapose_plugin.models.necks.metapose.spatial_enhancer import SpatialEnhancer
from metapose_plugin.models.necks.metapose.transformation_alignment import TransformationAlignment


@MODELS.register_module()
class MetaPoseNeck(BaseModule):
    """Token builder of MetaPose (Visual-Pose-Lab).

    1. point embedding ``P = coord_embed(keypoints_frame) + point_pos_embed``;
       text embedding ``E = text_proj(text_feats) + text_pos_embed``;
       level tokens ``X = feat_embed[l](sample(map_l, crop reference)) +
       level_pos_embed`` (bilinear, zeros padding, align_corners=True);
    2. :class:`SpatialEnhancer` (guide P) -> ``cat[X_p, P]``;
       :class:`SemanticEnhancer` (guide E) -> ``cat[X_t, E]``;
    3. :class:`TransformationAlignment` -> tokens (B, T, K, C).

    In training with the default behaviour the alignment's weighted KL loss
    is exposed in :attr:`aux_losses` (``{'loss_kl': ...}``, empty otherwise),
    reset by every forward; the estimator adds it to its loss dict.

    Note:
        - B: batch, K: joints, L: levels, T = L + 1, C: channels,
          C_l: level channels, C_text: text channels
        - ``keypoints_frame``: full frame, normalised ``X / w * 2 - [1, h / w]``
        - ``keypoints_crop``: crop pixels (x in [0, w-1], y in [0, h-1]),
          converted by :func:`crop_to_grid` (never in place)

    Args:
        feat_channels (Sequence[int]): Channels C_l of the L maps. Defaults
            to HRNet-W32 (32, 64, 128, 256).
        text_channels (int): C_text (512 for CLIP B/32, 768 for L/14).
            Defaults to 512.
        embed_dims (int): Channels C. Defaults to 128.
        num_keypoints (int): Joints K. Defaults to 17.
        num_blocks (int): Blocks per enhancer. Defaults to 4.
        num_heads (int): Deformable heads M. Defaults to 4.
        num_points (int): Points P per head. Defaults to 4.
        mlp_ratio (float): MLP ratio of the enhancer blocks. Defaults to 2.0.
        drop_path_range (tuple[float, float]): Stochastic depth of the first
            and last enhancer block. Defaults to (0.1, 0.2).
        norm_eps (float): LayerNorm epsilon of the enhancers and alignment.
            Defaults to 1e-5.
        align_heads (int): Cross-attention heads of the alignment.
            Defaults to 4.
        faithful (bool): Reference alignment (see
            :class:`TransformationAlignment`). Defaults to False.
        kl_weight (float): KL weight of the default alignment. Defaults to
            1e-3; must be 0 with ``faithful``.
        input_size (tuple[int, int]): Crop size (w, h). Defaults to (192, 256).
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 feat_channels: Sequence[int] = (32, 64, 128, 256),
                 text_channels: int = 512,
                 embed_dims: int = 128,
                 num_keypoints: int = 17,
                 num_blocks: int = 4,
                 num_heads: int = 4,
                 num_points: int = 4,
                 mlp_ratio: float = 2.0,
                 drop_path_range: Tuple[float, float] = (0.1, 0.2),
                 norm_eps: float = 1e-5,
                 align_heads: int = 4,
                 faithful: bool = False,
                 kl_weight: float = 1e-3,
                 input_size: Tuple[int, int] = (192, 256),
                 init_cfg: dict = None) -> None:
        super().__init__(init_cfg=init_cfg)
        num_levels = len(feat_channels)
        self.num_keypoints = num_keypoints
        self.input_size = tuple(input_size)
        self.coord_embed = nn.Linear(2, embed_dims)
        self.text_proj = nn.Linear(text_channels, embed_dims)
        self.feat_embed = nn.ModuleList(nn.Linear(c, embed_dims) for c in feat_channels)
        self.point_pos_embed = nn.Parameter(torch.zeros(1, num_keypoints, embed_dims))
        self.text_pos_embed = nn.Parameter(torch.zeros(1, num_keypoints, embed_dims))
        self.level_pos_embed = nn.Parameter(torch.zeros(1, num_levels, num_keypoints, embed_dims))
        block_cfg = dict(
            embed_dims=embed_dims,
            feat_channels=feat_channels,
            num_blocks=num_blocks,
            num_heads=num_heads,
            num_points=num_points,
            mlp_ratio=mlp_ratio,
            drop_path_range=drop_path_range,
            norm_eps=norm_eps)
        self.spatial_enhancer = SpatialEnhancer(**block_cfg)
        self.semantic_enhancer = SemanticEnhancer(num_keypoints=num_keypoints, **block_cfg)
        self.alignment = TransformationAlignment(
            embed_dims=embed_dims,
            num_tokens=num_levels + 1,
            num_heads=align_heads,
            norm_eps=norm_eps,
            faithful=faithful,
            kl_weight=kl_weight)
        self.aux_losses: Dict[str, Tensor] = {}

    def init_weights(self) -> None:
        """Position embeddings N(0, 0.02); the parts' own inits."""
        super().init_weights()
        for embed in (self.point_pos_embed, self.text_pos_embed, self.level_pos_embed):
            nn.init.normal_(embed, std=0.02)

    def forward(self,
                feats: Sequence[Tensor],
                keypoints_frame: Tensor,
                keypoints_crop: Tensor,
                text_feats: Optional[Tensor] = None,
                noise: Optional[Tensor] = None) -> Tensor:
        """Build the joint tokens.

        Args:
            feats (Sequence[Tensor]): L maps, level l (B, C_l, H_l, W_l).
            keypoints_frame (Tensor): Normalised full-frame 2D joints (B, K, 2).
            keypoints_crop (Tensor): Crop-pixel 2D joints (B, K, 2); not
                modified.
            text_feats (Tensor): Per-joint text features (B, K, C_text).
            noise (Tensor, optional): Alignment noise (B, T, K, C), see
                :class:`TransformationAlignment` (parity replay).

        Returns:
            Tensor: Joint tokens in shape (B, T, K, C).
        """
        if text_feats is None:
            raise ValueError('MetaPoseNeck: text_feats (B, K, C_text) is required; add a '
                             'text_encoder (e.g. CLIPJointPromptEncoder) to the model config')
        check_joint_views('MetaPoseNeck', keypoints_frame, keypoints_crop, self.num_keypoints)
        reference = crop_to_grid(keypoints_crop, self.input_size)
        # (B, K, C) -> (B, 1, K, C)
        point_embed = (self.coord_embed(keypoints_frame) + self.point_pos_embed).unsqueeze(1)
        text_embed = (self.text_proj(text_feats) + self.text_pos_embed).unsqueeze(1)
        x = embed_at_reference(feats, reference, self.feat_embed) + self.level_pos_embed
        spatial = self.spatial_enhancer(x, point_embed, reference, feats)
        semantic = self.semantic_enhancer(x, text_embed, reference, feats)
        tokens, kl = self.alignment(spatial, semantic, noise)
        self.aux_losses = {} if kl is None else {'loss_kl': kl}
        return tokens
