"""Shared per-frame block of the MPM encoder."""
from collections import OrderedDict

from torch import Tensor, nn

from metapose_plugin.models.layers.uniform_dropout import UniformDropout


class MPMSpatialBlock(nn.Module):
    """Residual per-frame MLP shared by all modalities, then a projection.

    Each residual block is ``x + [Conv1d(k=1) -> BN -> LeakyReLU(0.2) ->
    dropout] x 2``; ``proj`` maps the hidden channels to C (MPM, Zhang et
    al., arXiv 2306.17201, after P-STMO's ``FCBlock``).

    Note:
        - B: batch, F: frames, C: channels

    Args:
        hidden_dims (int): Hidden channels (the reference's 2 * ``channel``).
        out_dims (int): Output channels C.
        num_blocks (int): Residual blocks. Defaults to 1.
        drop (float): Dropout rate. Defaults to 0.1.
    """

    def __init__(self, hidden_dims: int, out_dims: int, num_blocks: int = 1, drop: float = 0.1):
        super().__init__()

        def unit(name):
            return [(f'fc{name}', nn.Conv1d(hidden_dims, hidden_dims, kernel_size=1)),
                    (f'norm{name}', nn.BatchNorm1d(hidden_dims)),
                    (f'act{name}', nn.LeakyReLU(0.2, inplace=True)),
                    (f'drop{name}', UniformDropout(drop))]

        self.blocks = nn.ModuleList(
            nn.Sequential(OrderedDict(unit(1) + unit(2))) for _ in range(num_blocks))
        self.proj = nn.Conv1d(hidden_dims, out_dims, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        """(B, hidden, F) -> (B, C, F)."""
        for block in self.blocks:
            x = x + block(x)
        return self.proj(x)
