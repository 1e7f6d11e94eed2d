"""Permutation-equivariant layers over views (multi-view MetaPose's stage 2).

``ContextNormalization`` follows Yi et al., "Learning to Find Good
Correspondences" (CVPR 2018); ``ContextConcatenation`` appends the view
moments. Both use the population standard deviation over views.
"""
import torch
from torch import Tensor, nn


class ContextNormalization(nn.Module):
    """Standardise features over views: ``(h - mean_V h) / (std_V h + 1e-10)``.

    Input and output: (B, V, C).
    """

    def forward(self, feats: Tensor) -> Tensor:
        mean = feats.mean(dim=1, keepdim=True)
        std = feats.std(dim=1, keepdim=True, unbiased=False)
        return (feats - mean) / (std + 1e-10)


class ContextConcatenation(nn.Module):
    """Append the view mean and std to every view: (B, V, C) -> (B, V, 3C)."""

    def forward(self, feats: Tensor) -> Tensor:
        mean = feats.mean(dim=1, keepdim=True).expand_as(feats)
        std = feats.std(dim=1, keepdim=True, unbiased=False).expand_as(feats)
        return torch.cat([feats, mean, std], dim=-1)
