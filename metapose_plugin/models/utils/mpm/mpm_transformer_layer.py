"""Pre-norm transformer layer of the MPM encoder and decoders."""
from collections import OrderedDict

from torch import Tensor, nn

from metapose_plugin.models.layers.uniform_dropout import UniformDropout
from metapose_plugin.models.utils.mpm.mpm_attention import MPMAttention
from metapose_plugin.models.utils.mpm.mpm_layer_norm import MPMLayerNorm


class MPMTransformerLayer(nn.Module):
    """``x + drop(attn(norm1(x)))``, then ``x + drop(mlp(norm2(x)))``.

    The MLP is ``fc1 -> ReLU -> dropout -> fc2`` (the reference names its
    activation ``gelu`` but applies ReLU) and the norms are
    :class:`MPMLayerNorm` (MPM, Zhang et al., arXiv 2306.17201).

    Note:
        - B: batch, N: tokens (frames), C: channels

    Args:
        embed_dims (int): Channels C.
        hidden_dims (int): MLP hidden channels (the reference's ``d_hid``).
        num_heads (int): Attention heads. Defaults to 8.
        drop (float): Dropout on the attention probabilities, inside the MLP
            and on both residual branches. Defaults to 0.1.
        fused_attn (bool): See :class:`MPMAttention`. Defaults to True.
    """

    def __init__(self,
                 embed_dims: int,
                 hidden_dims: int,
                 num_heads: int = 8,
                 drop: float = 0.1,
                 fused_attn: bool = True):
        super().__init__()
        self.norm1 = MPMLayerNorm(embed_dims)
        self.attn = MPMAttention(embed_dims, num_heads, drop, fused_attn)
        self.norm2 = MPMLayerNorm(embed_dims)
        self.mlp = nn.Sequential(
            OrderedDict(
                fc1=nn.Linear(embed_dims, hidden_dims),
                act=nn.ReLU(inplace=True),
                drop=UniformDropout(drop),
                fc2=nn.Linear(hidden_dims, embed_dims)))
        self.drop = UniformDropout(drop)

    def forward(self, x: Tensor) -> Tensor:
        """(B, N, C) -> (B, N, C)."""
        x = x + self.drop(self.attn(self.norm1(x)))
        return x + self.drop(self.mlp(self.norm2(x)))
