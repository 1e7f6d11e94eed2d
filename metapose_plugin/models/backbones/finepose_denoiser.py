"""FinePOSE's denoiser: MixSTE-style spatial/temporal transformer with text
cross-attention (FPC) and timestep stylization (PTS).

MixSTE: Zhang et al., CVPR 2022; its diffusion form D3DP: Shan et al., ICCV
2023; FinePOSE: Xu, Guo, Peng, CVPR 2024. SPEC_FINEPOSE section 3.
"""
from typing import Optional

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.models.layers.vit_block import ViTBlock, drop_path_rates
from metapose_plugin.models.utils.finepose.diffusion_schedule import SinusoidalEmbedding
from metapose_plugin.models.utils.finepose.part_text_cross_attention import PartTextCrossAttention


@MODELS.register_module()
class FinePOSEDenoiser(BaseModule):
    """Predict clean 3D poses x0 from noisy ones, the 2D sequence, the
    diffusion time and the prompt features.

    ``[c, x_t] -> joint_embed + spatial_pos_embed + (time_mlp(t) + pooled
    text)``; spatial block 0 (over joints), ``spatial_norm``; text
    cross-attention over frames; ``temporal_pos_embed``, temporal block 0
    (over frames), ``temporal_norm``; then for i >= 1 spatial block i,
    ``spatial_norm``, temporal block i, ``temporal_norm`` (one norm module
    per axis, shared by all depths as in the reference); ``head``.
    Attention runs through ``F.scaled_dot_product_attention``.

    Note:
        - B: samples, H: hypotheses, F: frames, K: joints, C: channels,
          S: text tokens
        - 2D: normalised screen coordinates ``u / w * 2 - [1, h / w]``
        - 3D: camera frame, root-relative metres (times the diffusion scale)

    Args:
        num_frames (int): F. Defaults to 243.
        num_joints (int): K. Defaults to 17.
        in_channels (int): 2D channels. Defaults to 2.
        embed_dims (int): C (also the text width). Defaults to 512.
        depth (int): Spatial/temporal block pairs D. Defaults to 8.
        num_heads (int): Heads M. Defaults to 8.
        mlp_ratio (float): MLP hidden size over C. Defaults to 2.0.
        drop_path_rate (float): Stochastic depth of the last block pair
            (linear from 0); active only in training. Defaults to 0.1.
        text_rows (str): ``'sample'`` or ``'modulo'`` (reference), see
            :class:`PartTextCrossAttention`. Defaults to ``'sample'``.
        cpu_tokens_per_pass (int, optional): On a CPU, run the whole
            forward on groups of whole pose sequences (one (sample,
            hypothesis) pair, F * K tokens, each) of at most this many
            tokens, at least one sequence per group. Every layer acts on
            each sequence independently, so the result is the same; groups
            of about 4096 tokens (8 MB at C = 512) keep a pass's activations
            in the processor's cache: at F = 243, H = 20 and both flip views
            about 1.3x faster than one pass at a sixth of its peak
            memory (``docs/benchmarks.md``). Tensors on a GPU always run in
            one pass. None: one pass. Defaults to None.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 num_frames: int = 243,
                 num_joints: int = 17,
                 in_channels: int = 2,
                 embed_dims: int = 512,
                 depth: int = 8,
                 num_heads: int = 8,
                 mlp_ratio: float = 2.0,
                 drop_path_rate: float = 0.1,
                 text_rows: str = 'sample',
                 cpu_tokens_per_pass: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_frames = num_frames
        self.num_joints = num_joints
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.cpu_tokens_per_pass = cpu_tokens_per_pass
        self.joint_embed = nn.Linear(in_channels + 3, embed_dims)
        self.spatial_pos_embed = nn.Parameter(torch.zeros(1, num_joints, embed_dims))
        self.temporal_pos_embed = nn.Parameter(torch.zeros(1, num_frames, embed_dims))
        self.time_mlp = nn.Sequential(
            SinusoidalEmbedding(embed_dims), nn.Linear(embed_dims, embed_dims * 2), nn.GELU(),
            nn.Linear(embed_dims * 2, embed_dims))
        rates = drop_path_rates(0, drop_path_rate, depth)
        self.spatial_blocks = nn.ModuleList(
            ViTBlock(embed_dims, num_heads, mlp_ratio, drop_path_rate=r) for r in rates)
        self.temporal_blocks = nn.ModuleList(
            ViTBlock(embed_dims, num_heads, mlp_ratio, drop_path_rate=r) for r in rates)
        self.spatial_norm = nn.LayerNorm(embed_dims, eps=1e-6)
        self.temporal_norm = nn.LayerNorm(embed_dims, eps=1e-6)
        self.text_cross_attn = PartTextCrossAttention(embed_dims, num_heads, text_rows)
        self.head = nn.Sequential(nn.LayerNorm(embed_dims), nn.Linear(embed_dims, 3))

    def init_weights(self) -> None:
        """Zero position embeddings and a zero cross-attention output
        projection, as the reference; other layers keep PyTorch's
        initialisation."""
        super().init_weights()
        nn.init.zeros_(self.spatial_pos_embed)
        nn.init.zeros_(self.temporal_pos_embed)
        self.text_cross_attn.init_weights()

    def _check(self, keypoints_2d: Tensor, noisy: Tensor, t: Tensor, text_tokens: Tensor,
               text_pooled: Tensor) -> None:
        B, Fr, K, D = keypoints_2d.shape
        expected = dict(
            keypoints_2d=(keypoints_2d.shape, (B, self.num_frames, self.num_joints,
                                               self.in_channels)),
            noisy=(noisy.shape[:1] + noisy.shape[2:], (B, self.num_frames, self.num_joints, 3)),
            t=(t.shape, (B, )),
            text_tokens=((text_tokens.shape[0], text_tokens.shape[2]), (B, self.embed_dims)),
            text_pooled=(text_pooled.shape, (B, self.embed_dims)))
        for field, (got, want) in expected.items():
            if tuple(got) != tuple(want):
                raise ValueError(f'FinePOSEDenoiser: {field} has shape {tuple(got)} where '
                                 f'{tuple(want)} is expected (F = {self.num_frames} frames, '
                                 f'K = {self.num_joints} joints, C = {self.embed_dims})')

    def forward(self, keypoints_2d: Tensor, noisy: Tensor, t: Tensor, text_tokens: Tensor,
                text_pooled: Tensor) -> Tensor:
        """Predict x0.

        Args:
            keypoints_2d (Tensor): 2D sequences in shape (B, F, K, 2).
            noisy (Tensor): Noisy (clamped) poses x_t in shape
                (B, H, F, K, 3).
            t (Tensor): Diffusion times in shape (B,), int64.
            text_tokens (Tensor): Prompt token features in shape (B, S, C).
            text_pooled (Tensor): Pooled prompt features in shape (B, C).

        Returns:
            Tensor: x0 estimates in shape (B, H, F, K, 3).
        """
        self._check(keypoints_2d, noisy, t, text_tokens, text_pooled)
        B, H, Fr, K, _ = noisy.shape
        cond = self.time_mlp(t) + text_pooled
        # (B, H, F, K, 2 + 3) -> (B*H, F, K, 5): pose sequences ordered b, h
        x = torch.cat((keypoints_2d[:, None].expand(-1, H, -1, -1, -1), noisy), dim=-1)
        x = x.flatten(0, 1)
        step = B * H
        if self.cpu_tokens_per_pass is not None and not x.is_cuda:
            step = max(1, self.cpu_tokens_per_pass // (Fr * K))
        out = [self._denoise(x[n:n + step], n, H, cond, text_tokens)
               for n in range(0, B * H, step)]
        return torch.cat(out).view(B, H, Fr, K, 3)

    def _denoise(self, x: Tensor, first: int, H: int, cond: Tensor, text_tokens: Tensor) -> Tensor:
        """The transformer on pose sequences ``first .. first + N - 1`` of
        the batch (ordered b, h): inputs (N, F, K, 5) -> x0 (N, F, K, 3);
        ``cond`` (B, C) and ``text_tokens`` (B, S, C) of the whole batch."""
        N, Fr, K, _ = x.shape
        C = self.embed_dims
        sample = torch.div(torch.arange(first, first + N, device=x.device), H,
                           rounding_mode='floor')
        # (N, F, K, 5) -> (N*F, K, C)
        x = self.joint_embed(x.reshape(N * Fr, K, -1)) + self.spatial_pos_embed
        x = x + cond[sample].repeat_interleave(Fr, dim=0)[:, None]
        x = self.spatial_norm(self.spatial_blocks[0](x))
        # (N*F, K, C) -> (N*K, F, C)
        x = x.view(N, Fr, K, C).transpose(1, 2).reshape(N * K, Fr, C)
        x = self.text_cross_attn(x, text_tokens, cond, first_row=first * K, rows_per_sample=H * K)
        x = self.temporal_norm(self.temporal_blocks[0](x + self.temporal_pos_embed))
        for spatial, temporal in zip(self.spatial_blocks[1:], self.temporal_blocks[1:]):
            # (N*K, F, C) -> (N*F, K, C)
            x = x.view(N, K, Fr, C).transpose(1, 2).reshape(N * Fr, K, C)
            x = self.spatial_norm(spatial(x))
            # (N*F, K, C) -> (N*K, F, C)
            x = x.view(N, Fr, K, C).transpose(1, 2).reshape(N * K, Fr, C)
            x = self.temporal_norm(temporal(x))
        # (N*K, F, C) -> (N, F, K, 3)
        return self.head(x.view(N, K, Fr, C).transpose(1, 2))
