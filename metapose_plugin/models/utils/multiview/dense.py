"""A Keras-style dense layer: linear map with an optional SELU inside."""
import torch.nn.functional as F
from torch import Tensor, nn


class Dense(nn.Linear):
    """``nn.Linear`` followed by SELU when ``activation`` is True.

    Keeping the activation inside the layer keeps layer indices equal to those
    of a Keras ``Sequential`` of ``Dense(units, 'selu')`` layers, so converted
    weights land at the same index (``weight = kernel.T``). Keras's default
    initialisation (Glorot-uniform kernel, zero bias) is applied by
    :meth:`reset_parameters`.

    Args:
        in_features (int): Input channels C_in.
        out_features (int): Output channels C_out.
        activation (bool): Apply SELU. Defaults to True.
    """

    def __init__(self, in_features: int, out_features: int, activation: bool = True,
                 **kwargs):
        self.activation = activation
        super().__init__(in_features, out_features, **kwargs)

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)
        nn.init.zeros_(self.bias)

    def forward(self, feats: Tensor) -> Tensor:
        out = super().forward(feats)
        return F.selu(out) if self.activation else out
