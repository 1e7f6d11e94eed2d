"""Dropout whose mask comes from ``uniform_`` (faster than ``bernoulli_`` on CPU)."""
from torch import Tensor, nn


class UniformDropout(nn.Dropout):
    """``nn.Dropout`` with the keep mask drawn as ``U(0, 1) >= p``.

    The same distribution as :class:`torch.nn.Dropout` (each element kept
    with probability 1 - p and scaled by 1 / (1 - p)); only the random
    stream differs. PyTorch's CPU ``bernoulli_`` is the largest single cost of
    an MPM pretraining step (a quarter of it, mostly the (B, M, F, F)
    attention probabilities); ``uniform_`` and a comparison draw the same
    mask in about half the time. Evaluation mode and ``p = 0`` return the
    input unchanged. Drop-in: no parameters, same ``p`` and ``inplace``
    attributes and state dict as ``nn.Dropout``.
    """

    def forward(self, x: Tensor) -> Tensor:
        """Zero each element with probability ``p``, scale the rest."""
        if not self.training or self.p == 0:
            return x
        if self.p == 1:
            return x * 0
        keep = x.new_empty(x.shape).uniform_().ge_(self.p)
        return (x * keep).mul_(1.0 / (1.0 - self.p))
