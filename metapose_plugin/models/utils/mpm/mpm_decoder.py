"""One output branch of the MPM decoder."""
from collections import OrderedDict

from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from metapose_plugin.models.utils.mpm.mpm_transformer_layer import MPMTransformerLayer


class MPMDecoder(nn.Module):
    """Transformer layers over all frames, then a per-frame pose head.

    ``tokens (B, F, C) --layers (no final norm)--> BatchNorm -> Conv1d(C,
    K*d) --> (B, F, K, d)``, output channel ``k * d + i`` being coordinate i
    of joint k (MPM, Zhang et al., arXiv 2306.17201).

    Note:
        - B: batch, F: frames, K: joints, C: channels, d: 2 or 3

    Args:
        num_keypoints (int): Joints K.
        out_dims (int): Coordinates d.
        embed_dims (int): Channels C.
        hidden_dims (int): Transformer MLP channels.
        num_layers (int): Transformer layers.
        num_heads (int): Attention heads. Defaults to 8.
        drop (float): Dropout rate. Defaults to 0.1.
        fused_attn (bool): See :class:`MPMAttention`. Defaults to True.
        with_cp (bool): Activation checkpointing of the layers in training.
            Defaults to False.
    """

    def __init__(self,
                 num_keypoints: int,
                 out_dims: int,
                 embed_dims: int,
                 hidden_dims: int,
                 num_layers: int,
                 num_heads: int = 8,
                 drop: float = 0.1,
                 fused_attn: bool = True,
                 with_cp: bool = False):
        super().__init__()
        self.num_keypoints = num_keypoints
        self.out_dims = out_dims
        self.with_cp = with_cp
        self.layers = nn.ModuleList(
            MPMTransformerLayer(embed_dims, hidden_dims, num_heads, drop, fused_attn)
            for _ in range(num_layers))
        self.head = nn.Sequential(
            OrderedDict(
                norm=nn.BatchNorm1d(embed_dims),
                fc=nn.Conv1d(embed_dims, num_keypoints * out_dims, kernel_size=1)))

    def forward(self, x: Tensor) -> Tensor:
        """(B, F, C) -> poses (B, F, K, d)."""
        for layer in self.layers:
            if self.with_cp and self.training and x.requires_grad:
                x = checkpoint(layer, x, use_reentrant=False)
            else:
                x = layer(x)
        B, F, _ = x.shape
        # (B, F, C) -> (B, C, F) -> (B, K*d, F) -> (B, F, K, d)
        out = self.head(x.transpose(1, 2))
        return out.transpose(1, 2).reshape(B, F, self.num_keypoints, self.out_dims)
