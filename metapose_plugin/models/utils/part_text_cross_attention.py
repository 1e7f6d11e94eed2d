"""Text cross-attention with timestep stylization (FinePOSE's FPC + PTS).

Frames of each joint sequence attend to the prompt tokens (FPC); the result
is modulated by a scale and shift from the diffusion condition and added to
the input through a zero-initialised projection (PTS), in the form of
MotionDiffuse's ``TemporalCrossAttention`` + ``StylizationBlock`` (Zhang et
al., 2022) that FinePOSE (Xu et al., CVPR 2024) uses.
"""
import torch.nn.functional as F
from torch import Tensor, nn

TEXT_ROW_MODES = ('sample', 'modulo')


class PartTextCrossAttention(nn.Module):
    """``x + out(SiLU(LN(attn(x, text)) (1 + scale) + shift))``.

    Text rows: with ``text_rows='sample'`` every row of sample b reads the
    text of sample b. ``'modulo'`` reproduces the reference (SPEC section
    7.2): its keys are tiled with ``repeat``, so row r (rows ordered b, h,
    joint) reads the text of sample ``r mod B``.

    Note:
        - B: samples, R: rows (B * H * K, ordered b, h, joint), F: frames
        - S: text tokens, C: channels, M: heads

    Args:
        embed_dims (int): C of the poses and of the text.
        num_heads (int): M. Defaults to 8.
        text_rows (str): ``'sample'`` or ``'modulo'``. Defaults to
            ``'sample'``.
    """

    def __init__(self, embed_dims: int, num_heads: int = 8, text_rows: str = 'sample') -> None:
        super().__init__()
        if text_rows not in TEXT_ROW_MODES:
            raise ValueError(f'PartTextCrossAttention: text_rows must be one of '
                             f'{TEXT_ROW_MODES}, got {text_rows!r}')
        self.num_heads = num_heads
        self.text_rows = text_rows
        self.norm = nn.LayerNorm(embed_dims)
        self.text_norm = nn.LayerNorm(embed_dims)
        self.query = nn.Linear(embed_dims, embed_dims)
        self.key = nn.Linear(embed_dims, embed_dims)
        self.value = nn.Linear(embed_dims, embed_dims)
        self.cond_proj = nn.Linear(embed_dims, 2 * embed_dims)
        self.out_norm = nn.LayerNorm(embed_dims)
        self.out_proj = nn.Linear(embed_dims, embed_dims)

    def init_weights(self) -> None:
        """Zero ``out_proj``: the block is the identity at initialisation."""
        nn.init.zeros_(self.out_proj.weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: Tensor, text: Tensor, cond: Tensor) -> Tensor:
        """Attend and modulate.

        Args:
            x (Tensor): Joint sequences in shape (R, F, C).
            text (Tensor): Prompt tokens in shape (B, S, C).
            cond (Tensor): Diffusion condition (time + pooled text) in shape
                (B, C).

        Returns:
            Tensor: Shape (R, F, C).
        """
        R, Fr, C = x.shape
        B, S, _ = text.shape
        M = self.num_heads
        G = R // B  # rows per sample
        q = self.query(self.norm(x))
        text = self.text_norm(text)
        k, v = self.key(text), self.value(text)
        # group the rows by the text they read: (R, F, C) -> (B, G * F, C)
        if self.text_rows == 'modulo':
            q = q.view(G, B, Fr, C).transpose(0, 1)
        q = q.reshape(B, G * Fr, M, C // M).transpose(1, 2)
        k = k.view(B, S, M, C // M).transpose(1, 2)
        v = v.view(B, S, M, C // M).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v)
        # (B, M, G * F, C / M) -> (R, F, C), rows back in (b, h, joint) order
        y = y.transpose(1, 2).reshape(B, G, Fr, C)
        if self.text_rows == 'modulo':
            y = y.transpose(0, 1)
        y = y.reshape(R, Fr, C)
        # per-sample scale and shift, rows of sample b are [b G, (b + 1) G)
        scale, shift = self.cond_proj(F.silu(cond)).repeat_interleave(G, dim=0)[:, None].chunk(
            2, dim=-1)
        y = self.out_norm(y) * (1 + scale) + shift
        return x + self.out_proj(F.silu(y))
