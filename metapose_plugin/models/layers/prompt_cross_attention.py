"""Multi-head cross-attention without output projection (MetaPose alignment).

After the text cross-attention of MotionDiffuse (Zhang et al., 2022) as used by
MetaPose: queries from ``norm(x)``, keys and values from the (optionally
normalised) context, a softmax over the context tokens, heads concatenated.
Parameter names follow the reference (``norm``, ``text_norm``, ``query``,
``key``, ``value``) so checkpoints convert by renaming.
"""
import math

from torch import Tensor, nn


class PromptCrossAttention(nn.Module):
    """Cross-attention of N query tokens over N' context tokens.

    Note:
        - B: batch, N: query tokens, N': context tokens
        - C: channels, M: heads, C / M channels per head

    Args:
        embed_dims (int): Query and output channels C.
        context_dims (int): Context channels.
        num_heads (int): Heads M. Defaults to 4.
        norm_context (bool): Apply the LayerNorm ``text_norm`` to the
            context before the key and value projections (reference).
            Defaults to True.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-5.
    """

    def __init__(self,
                 embed_dims: int,
                 context_dims: int,
                 num_heads: int = 4,
                 norm_context: bool = True,
                 norm_eps: float = 1e-5) -> None:
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'PromptCrossAttention: embed_dims ({embed_dims}) must be divisible '
                             f'by num_heads ({num_heads})')
        self.num_heads = num_heads
        self.norm = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.text_norm = nn.LayerNorm(context_dims, eps=norm_eps) if norm_context else None
        self.query = nn.Linear(embed_dims, embed_dims)
        self.key = nn.Linear(context_dims, embed_dims)
        self.value = nn.Linear(context_dims, embed_dims)

    def forward(self, x: Tensor, context: Tensor) -> Tensor:
        """Attend from x to the context.

        Args:
            x (Tensor): Query tokens in shape (B, N, C).
            context (Tensor): Context tokens in shape (B, N', C_context).

        Returns:
            Tensor: Attended values in shape (B, N, C) (no residual added).
        """
        B, N, C = x.shape
        M = self.num_heads
        if self.text_norm is not None:
            context = self.text_norm(context)
        # (B, N, C) -> (B, M, N, C/M); (B, N', C) -> (B, M, N', C/M)
        query = self.query(self.norm(x)).view(B, N, M, -1).transpose(1, 2)
        key = self.key(context).view(B, context.shape[1], M, -1).transpose(1, 2)
        value = self.value(context).view(B, context.shape[1], M, -1).transpose(1, 2)
        weights = (query @ key.transpose(-2, -1) / math.sqrt(C // M)).softmax(dim=-1)
        # (B, M, N, C/M) -> (B, N, C)
        return (weights @ value).transpose(1, 2).reshape(B, N, C)
