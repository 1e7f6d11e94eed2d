"""The text-feature cache of the CLIP prompt encoders (MetaPose, FinePOSE)."""
from typing import Callable, Dict, Hashable, Iterable, List, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

#: What an encoder computes for a batch of n prompt rows: one tensor or a
#: tuple of tensors, each with leading dimension n.
Features = Union[Tensor, Tuple[Tensor, ...]]


class PromptFeatureCache(nn.Module):
    """Text features per prompt row, computed once while the weights behind
    them cannot change.

    A child module of its encoder (no parameters, no state-dict keys), so the
    encoder's mode switches, loads and moves reach it.

    Invalidation rule:

    * Features are served from the cache only when no gradient can reach the
      encoder's parameters (gradients disabled, or none requires a gradient).
    * The cache is emptied by a forward in which a gradient can reach them (a
      training step may follow), by ``train()`` / ``eval()``, by loading a
      state dict into the encoder (or any module holding it), by a device or
      dtype move, and by :meth:`clear`.
    * Nothing else is watched: after editing the weights in place by hand
      (``param.data.copy_(...)``), call :meth:`clear`.

    ``enabled = False`` recomputes every call and keeps the cache as it is
    (benchmarks interleave both).
    """

    def __init__(self) -> None:
        super().__init__()
        self.enabled = True
        self._features: Dict[Hashable, Features] = {}
        self._register_load_state_dict_pre_hook(self._clear_on_load)

    def forward(self, keys: Sequence[Hashable], encode: Callable[[List[Hashable]], Features],
                params: Iterable[nn.Parameter]) -> Features:
        """Features of the n distinct ``keys``, stacked along dimension 0.

        Args:
            keys (Sequence[Hashable]): n distinct prompt-row keys.
            encode (Callable): Computes the features of a list of keys.
            params (Iterable[Parameter]): The encoder's parameters.
        """
        keys = list(keys)
        if torch.is_grad_enabled() and any(p.requires_grad for p in params):
            self.clear()
            return encode(keys)
        if not self.enabled:  # recompute, keeping what is cached for when enabled again
            return encode(keys)
        missing = [key for key in keys if key not in self._features]
        if missing:
            computed = encode(missing)
            for i, key in enumerate(missing):
                self._features[key] = _map(lambda t, i=i: t[i].detach(), computed)
        rows = [self._features[key] for key in keys]
        if isinstance(rows[0], tuple):
            return tuple(torch.stack(parts) for parts in zip(*rows))
        return torch.stack(rows)

    def __len__(self) -> int:
        return len(self._features)

    def clear(self) -> None:
        """Forget every cached feature."""
        self._features.clear()

    def train(self, mode: bool = True) -> 'PromptFeatureCache':
        self.clear()
        return super().train(mode)

    def _apply(self, fn, recurse: bool = True):
        self.clear()
        return super()._apply(fn, recurse)

    def _clear_on_load(self, *args) -> None:
        self.clear()


def _map(fn: Callable[[Tensor], Tensor], features: Features) -> Features:
    if isinstance(features, tuple):
        return tuple(fn(t) for t in features)
    return fn(features)
