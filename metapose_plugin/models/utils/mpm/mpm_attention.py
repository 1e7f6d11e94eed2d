"""Multi-head self-attention of the MPM transformers."""
import math

import torch.nn.functional as F
from torch import Tensor, nn

from metapose_plugin.models.layers.uniform_dropout import UniformDropout


class MPMAttention(nn.Module):
    """Self-attention with separate ``q``/``k``/``v``/``proj`` projections
    and dropout on the attention probabilities (MPM, Zhang et al., arXiv
    2306.17201, after the annotated transformer).

    Note:
        - B: batch, N: tokens (frames), C: channels, M: heads

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Heads M; C must be divisible by M. Defaults to 8.
        attn_drop (float): Dropout on the attention probabilities.
            Defaults to 0.1.
        fused_attn (bool): Use ``F.scaled_dot_product_attention`` (True) or
            the explicit ``dropout(softmax(q k^T / sqrt(C/M))) v`` (False).
            Both compute the same function (in eval mode to float
            rounding); the choice is stored on the module. Defaults to True.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int = 8,
                 attn_drop: float = 0.1,
                 fused_attn: bool = True):
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'MPMAttention: embed_dims ({embed_dims}) must be divisible by '
                             f'num_heads ({num_heads})')
        self.num_heads = num_heads
        self.fused_attn = fused_attn
        self.q = nn.Linear(embed_dims, embed_dims)
        self.k = nn.Linear(embed_dims, embed_dims)
        self.v = nn.Linear(embed_dims, embed_dims)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.attn_drop = UniformDropout(attn_drop)

    def forward(self, x: Tensor) -> Tensor:
        """Attend over the tokens: (B, N, C) -> (B, N, C)."""
        B, N, C = x.shape
        # (B, N, C) -> (B, M, N, C/M)
        q, k, v = (layer(x).view(B, N, self.num_heads, -1).transpose(1, 2)
                   for layer in (self.q, self.k, self.v))
        dropping = self.attn_drop.training and self.attn_drop.p > 0
        # with dropout on a CPU, SDPA materialises the probabilities anyway and
        # draws the mask with bernoulli_; the explicit path's UniformDropout
        # draws the same distribution faster
        if self.fused_attn and not (dropping and x.device.type == 'cpu'):
            out = F.scaled_dot_product_attention(
                q, k, v, dropout_p=self.attn_drop.p if dropping else 0.0)
        else:
            attn = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
            out = self.attn_drop(attn.softmax(dim=-1)) @ v
        # (B, M, N, C/M) -> (B, N, C)
        return self.proj(out.transpose(1, 2).reshape(B, N, C))
