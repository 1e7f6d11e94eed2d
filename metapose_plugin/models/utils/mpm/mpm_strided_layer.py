"""Strided transformer layer that shortens the sequence (MPM lifter)."""
from collections import OrderedDict

from torch import Tensor, nn

from metapose_plugin.models.layers.uniform_dropout import UniformDropout
from metapose_plugin.models.utils.mpm.mpm_attention import MPMAttention
from metapose_plugin.models.utils.mpm.mpm_layer_norm import MPMLayerNorm


class MPMStridedLayer(nn.Module):
    """Pre-norm layer whose MLP is a strided temporal convolution.

    ``x + drop(attn(norm1(x)))``, then ``x[:, ::s] + drop(mlp(norm2(x)))``
    with ``mlp = Conv1d(C, D, 1) -> ReLU -> dropout -> Conv1d(D, C, 3,
    stride s, padding 1)``, so N frames become ceil(N / s). The residual
    subsampling is the reference's ``MaxPool1d(1, s)``; with ``s = 1`` it is
    the identity. From the strided transformer (Li et al., 2022) as MPM
    (Zhang et al., arXiv 2306.17201) uses it.

    Note:
        - B: batch, N: frames, C: channels, D: hidden channels

    Args:
        embed_dims (int): Channels C.
        hidden_dims (int): Hidden channels D.
        stride (int): Temporal stride s.
        num_heads (int): Attention heads. Defaults to 8.
        drop (float): Dropout rate. Defaults to 0.1.
        fused_attn (bool): See :class:`MPMAttention`. Defaults to True.
    """

    def __init__(self,
                 embed_dims: int,
                 hidden_dims: int,
                 stride: int,
                 num_heads: int = 8,
                 drop: float = 0.1,
                 fused_attn: bool = True):
        super().__init__()
        self.stride = stride
        self.norm1 = MPMLayerNorm(embed_dims)
        self.attn = MPMAttention(embed_dims, num_heads, drop, fused_attn)
        self.norm2 = MPMLayerNorm(embed_dims)
        self.mlp = nn.Sequential(
            OrderedDict(
                fc1=nn.Conv1d(embed_dims, hidden_dims, kernel_size=1),
                act=nn.ReLU(inplace=True),
                drop=UniformDropout(drop),
                fc2=nn.Conv1d(hidden_dims, embed_dims, kernel_size=3, stride=stride,
                              padding=1)))
        self.drop = UniformDropout(drop)

    def forward(self, x: Tensor) -> Tensor:
        """(B, N, C) -> (B, ceil(N / s), C)."""
        x = x + self.drop(self.attn(self.norm1(x)))
        # (B, N, C) -> (B, C, N) for the temporal convolution, and back
        y = self.mlp(self.norm2(x).transpose(1, 2)).transpose(1, 2)
        return x[:, ::self.stride] + self.drop(y)
