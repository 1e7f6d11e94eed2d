"""Text cross-attention with timestep stylization (FinePOSE's FPC + PTS).

Frames of each joint sequence attend to the prompt tokens (FPC); the result
is modulated by a scale and shift from the diffusion condition and added to
the input through a zero-initialised projection (PTS), in the form of
MotionDiffuse's ``TemporalCrossAttention`` + ``StylizationBlock`` (Zhang et
al., 2022) that FinePOSE (Xu et al., CVPR 2024) uses.
"""
from typing import Optional

import torch
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

    def forward(self,
                x: Tensor,
                text: Tensor,
                cond: Tensor,
                first_row: int = 0,
                rows_per_sample: Optional[int] = None) -> Tensor:
        """Attend and modulate rows ``first_row .. first_row + R - 1`` of the
        batch (all of it by default).

        Args:
            x (Tensor): Joint sequences in shape (R, F, C).
            text (Tensor): Prompt tokens in shape (B, S, C).
            cond (Tensor): Diffusion condition (time + pooled text) in shape
                (B, C).
            first_row (int): Batch row index of ``x[0]`` when ``x`` is a
                slice of the batch's rows. Defaults to 0.
            rows_per_sample (int, optional): Rows of one sample in the whole
                batch (H * K); None: ``R // B`` (``x`` is the whole batch).

        Returns:
            Tensor: Shape (R, F, C).
        """
        R = x.shape[0]
        B = text.shape[0]
        G = R // B if rows_per_sample is None else rows_per_sample
        rows = torch.arange(first_row, first_row + R, device=x.device)
        sample = torch.div(rows, G, rounding_mode='floor')
        reads = sample if self.text_rows == 'sample' else rows % B
        q = self.query(self.norm(x))
        text = self.text_norm(text)
        y = self._attend(q, self.key(text), self.value(text), reads)
        scale, shift = self.cond_proj(F.silu(cond))[sample][:, None].chunk(2, dim=-1)
        y = self.out_norm(y) * (1 + scale) + shift
        return x + self.out_proj(F.silu(y))

    def _attend(self, q: Tensor, k: Tensor, v: Tensor, reads: Tensor) -> Tensor:
        """Rows q (R, F, C) attend to the keys/values (B, S, C) of the text
        each reads (R,): rows reading one text form one query sequence."""
        R, Fr, C = q.shape
        S = k.shape[1]
        M = self.num_heads
        order = None
        if self.text_rows == 'modulo':  # sample rows are already grouped
            order = torch.argsort(reads, stable=True)
            q, reads = q[order], reads[order]
        texts, counts = torch.unique_consecutive(reads, return_counts=True)
        groups = []
        for u, rows in zip(texts.tolist(), q.split(counts.tolist())):
            n = rows.shape[0]
            y = F.scaled_dot_product_attention(
                rows.reshape(1, n * Fr, M, C // M).transpose(1, 2),
                k[u].view(1, S, M, C // M).transpose(1, 2),
                v[u].view(1, S, M, C // M).transpose(1, 2))
            groups.append(y.transpose(1, 2).reshape(n, Fr, C))
        y = torch.cat(groups)
        if order is not None:
            y = y[torch.argsort(order)]
        return y
