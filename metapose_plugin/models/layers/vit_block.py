"""Pre-norm vision-transformer block (timm layout) used by the lifting heads.

Parameter names follow timm's ``vision_transformer.py`` (``norm1``,
``attn.qkv``, ``attn.proj``, ``norm2``, ``mlp.fc1``, ``mlp.fc2``), which
CA-PF (Zhao et al., NeurIPS 2023) and MetaPose inherited, so their
checkpoints load through a plain rename table.
"""
import torch
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from torch import Tensor, nn


class Mlp(nn.Module):
    """Two-layer perceptron ``fc1 -> GELU (exact) -> fc2``.

    Args:
        in_dims (int): Input channels C.
        hidden_dims (int): Hidden channels.
        out_dims (int, optional): Output channels. Defaults to ``in_dims``.
    """

    def __init__(self, in_dims: int, hidden_dims: int, out_dims: int = None):
        super().__init__()
        self.fc1 = nn.Linear(in_dims, hidden_dims)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dims, out_dims or in_dims)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the MLP to the last axis: (..., C) -> (..., C_out)."""
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    """Multi-head self-attention with a fused ``qkv`` projection.

    Note:
        - B: batch (any leading size, e.g. B*K for per-joint sequences)
        - N: sequence length (T tokens or K joints)
        - C: channels, M: heads

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Heads M; C must be divisible by M.
        qkv_bias (bool): Bias on the ``qkv`` projection. Defaults to True.
        fused_attn (bool): Use ``F.scaled_dot_product_attention`` (True) or
            the explicit ``softmax(q k^T / sqrt(C/M)) v`` (False). Both
            compute the same function; the choice is stored on the module.
            Defaults to True.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 qkv_bias: bool = True,
                 fused_attn: bool = True):
        super().__init__()
        if embed_dims % num_heads != 0:
            raise ValueError(f'Attention: embed_dims ({embed_dims}) must be divisible by '
                             f'num_heads ({num_heads})')
        self.num_heads = num_heads
        self.head_dims = embed_dims // num_heads
        self.scale = self.head_dims**-0.5
        self.fused_attn = fused_attn
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        """Self-attention over the sequence axis.

        Args:
            x (Tensor): Tokens in shape (B, N, C).

        Returns:
            Tensor: Attended tokens in shape (B, N, C).
        """
        B, N, C = x.shape
        # (B, N, 3C) -> (3, B, M, N, C/M)
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dims).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if self.fused_attn:
            out = F.scaled_dot_product_attention(q, k, v)
        else:
            attn = (q @ k.transpose(-2, -1)) * self.scale
            out = attn.softmax(dim=-1) @ v
        # (B, M, N, C/M) -> (B, N, C)
        out = out.transpose(1, 2).reshape(B, N, C)
        return self.proj(out)


class ViTBlock(nn.Module):
    """Pre-norm transformer block: ``x + DropPath(attn(norm1(x)))`` then
    ``x + DropPath(mlp(norm2(x)))``.

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Attention heads M.
        mlp_ratio (float): Hidden size of the MLP over C. Defaults to 2.0.
        qkv_bias (bool): Bias on the ``qkv`` projection. Defaults to True.
        drop_path_rate (float): Stochastic-depth rate. Defaults to 0.0.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6 (CA-PF and
            MetaPose transformer blocks).
        fused_attn (bool): See :class:`Attention`. Defaults to True.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mlp_ratio: float = 2.0,
                 qkv_bias: bool = True,
                 drop_path_rate: float = 0.0,
                 norm_eps: float = 1e-6,
                 fused_attn: bool = True):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.attn = Attention(embed_dims, num_heads, qkv_bias=qkv_bias, fused_attn=fused_attn)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio))

    def forward(self, x: Tensor) -> Tensor:
        """Tokens (B, N, C) -> (B, N, C)."""
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


def drop_path_rates(start: float, end: float, depth: int) -> list:
    """Stochastic-depth rates ``linspace(start, end, depth)`` as floats."""
    return [r.item() for r in torch.linspace(start, end, depth)]
