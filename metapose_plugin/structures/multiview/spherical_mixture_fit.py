"""Per-joint 2D uncertainty as spherical Gaussian mixtures (multi-view MetaPose).

:func:`fit_heatmap_mixture` is the weighted EM of the reference's
``tf_spherical_gmm.py`` (after Frisch & Hanebeck, "Gaussian Mixture
Estimation from Weighted Samples"): the heatmap becomes weighted samples on
its pixel grid, means start along the principal axis at the centres of
equal-mass slices of a Gaussian, and each EM step ends by widening sigma with
half a pixel of quantisation noise. The reference returns ``(pi, mu, sigma)``
with ``mu`` in **(row, col)** order and a standard deviation; here the result
is converted explicitly to this plugin's layout ``(pi, mu_x, mu_y,
variance)``, the layout of the reference's records and of
:func:`gmm_log_prob`.

:func:`mixture_from_keypoints` builds the same layout from 2D keypoints with
confidences when no heatmaps exist.

Note:
    K joints (or any batch of heatmaps), M components, H x W heatmap.
"""
from typing import Optional, Sequence, Union

import torch
from torch import Tensor


def equal_mass_split_points(num_components: int) -> Tensor:
    """Centres of ``num_components`` equal-mass slices of N(0, 1) (for M > 2).

    The inner centres are midpoints of consecutive slice boundaries; the outer
    ones mirror their neighbour about the outer boundary. M = 2 gives
    (-0.3, 0.3) and M = 1 gives (0,), as the reference does.
    """
    if num_components == 1:
        return torch.zeros(1)
    if num_components == 2:
        return torch.tensor([-0.3, 0.3])
    bounds = torch.special.ndtri(torch.linspace(0, 1, num_components + 1)[1:-1].double()).float()
    inner = (bounds[:-1] + bounds[1:]) / 2
    return torch.cat([(2 * bounds[0] - inner[0])[None], inner, (2 * bounds[-1] - inner[-1])[None]])


def fit_heatmap_mixture(heatmaps: Tensor,
                        num_components: int = 4,
                        steps: int = 5,
                        x_range: Optional[Union[Sequence[float], Tensor]] = None,
                        y_range: Optional[Union[Sequence[float], Tensor]] = None) -> Tensor:
    """Fit a spherical Gaussian mixture to each heatmap by weighted EM.

    Args:
        heatmaps (Tensor): (*, H, W) non-negative scores (any scale; each map
            is normalised to sum 1). Computed in float32 as the reference.
        num_components (int): M. Defaults to 4.
        steps (int): EM iterations. Defaults to 5.
        x_range (tuple | Tensor, optional): x of the first and last pixel
            column's centre, (2,) for all maps or (*, 2) per map (e.g. the
            full-frame pixels a crop's heatmap covers). Defaults to
            (0, W - 1): heatmap pixels.
        y_range (tuple | Tensor, optional): y of the first and last row,
            (2,) or (*, 2). Defaults to (0, H - 1).

    Returns:
        Tensor: (*, M, 4) components ``(pi, mu_x, mu_y, variance)`` in the
        units of ``x_range``/``y_range`` (isotropic variance; assumes square
        pixels in those units, as the reference).
    """
    if heatmaps.dim() < 2:
        raise ValueError(f'heatmaps: expected (*, H, W), got {tuple(heatmaps.shape)}')
    height, width = heatmaps.shape[-2:]
    batch_shape = heatmaps.shape[:-2]
    maps = heatmaps.reshape(-1, height * width).float()
    total = maps.sum(-1, keepdim=True)
    if bool((maps < 0).any()) or bool((total <= 0).any()):
        raise ValueError('heatmaps: every map must be non-negative with a positive sum')
    weights = maps / total
    device = maps.device

    def ranges(value, size):
        value = torch.tensor([0.0, size - 1.0]) if value is None else torch.as_tensor(value)
        return value.float().to(device).expand(*batch_shape, 2).reshape(-1, 2)

    x_range, y_range = ranges(x_range, width), ranges(y_range, height)
    # unit grid (N, 2) as (x, y) -> samples (B, N, 2) in the ranges' units
    grid_y, grid_x = torch.meshgrid(torch.linspace(0, 1, height, device=device),
                                    torch.linspace(0, 1, width, device=device), indexing='ij')
    unit = torch.stack([grid_x.flatten(), grid_y.flatten()], dim=-1)
    starts = torch.stack([x_range[:, 0], y_range[:, 0]], dim=-1)
    spans = torch.stack([x_range[:, 1] - x_range[:, 0], y_range[:, 1] - y_range[:, 0]], dim=-1)
    samples = unit[None] * spans[:, None] + starts[:, None]
    means = _init_means(samples, weights, num_components)
    sigmas = torch.ones(maps.shape[0], num_components, device=device)
    pis = torch.full_like(sigmas, 1.0 / num_components)
    noise = 0.5 * torch.maximum(spans[:, 0] / width, spans[:, 1] / height)[:, None]
    for _ in range(steps):
        resp = _responsibilities(samples, means, sigmas, pis)
        pis, means, sigmas = _m_step(samples, weights, resp)
        sigmas = torch.sqrt(sigmas.square() + noise.square())
    out = torch.cat([pis[..., None], means, sigmas.square()[..., None]], dim=-1)
    return out.reshape(*batch_shape, num_components, 4)


def _init_means(samples: Tensor, weights: Tensor, num_components: int) -> Tensor:
    """(B, N, 2) samples, (B, N) weights -> (B, M, 2) means along the principal axis."""
    mean = torch.einsum('bn,bnd->bd', weights, samples)
    centred = samples - mean[:, None]
    cov = centred.transpose(1, 2) @ (weights[..., None] * centred)
    eigval, eigvec = torch.linalg.eigh(cov)
    axis = eigvec[..., -1] * eigval[..., -1:].clamp(min=0).sqrt()
    split = equal_mass_split_points(num_components).to(samples)
    return mean[:, None] + split[None, :, None] * axis[:, None]


def _responsibilities(samples: Tensor, means: Tensor, sigmas: Tensor, pis: Tensor) -> Tensor:
    """E-step: (B, N, M) assignment probabilities."""
    dist_sq = (samples[:, :, None] - means[:, None]).square().sum(-1)
    var = sigmas.square()[:, None]
    log_prob = (-0.5 * dist_sq / var - 2 * torch.log(sigmas)[:, None] -
                torch.log(torch.tensor(2 * torch.pi)) +
                torch.log_softmax(torch.log(pis), dim=-1)[:, None])
    probs = log_prob.exp()
    return probs / (probs.sum(-1, keepdim=True) + 1e-15)


def _m_step(samples: Tensor, weights: Tensor, resp: Tensor):
    """M-step of weighted EM -> pis (B, M), means (B, M, 2), sigmas (B, M)."""
    joint = weights[..., None] * resp
    mass = joint.sum(1)
    pis = mass / joint.sum((1, 2))[:, None]
    means = torch.einsum('bnm,bnd->bmd', joint, samples) / (mass[..., None] + 1e-15)
    dist_sq = (samples[:, :, None] - means[:, None]).square().mean(-1)
    sigmas = torch.sqrt((dist_sq * joint).sum(1) / (mass + 1e-15))
    return pis, means, sigmas


def mixture_from_keypoints(keypoints: Tensor,
                           scores: Tensor,
                           sigma: float,
                           num_components: int = 4,
                           min_score: float = 0.05) -> Tensor:
    """A mixture per joint from 2D keypoints and confidences.

    Every component sits at the keypoint with weight ``1 / M`` (the layout of
    the reference's ``gt_heatmaps`` ablation) and the variance
    ``(sigma / max(score, min_score))^2``: a confident keypoint is sharp, a
    doubtful one broad.

    Args:
        keypoints (Tensor): (*, K, 2) x, y (pixels).
        scores (Tensor): (*, K) confidences in [0, 1].
        sigma (float): Standard deviation of a fully confident keypoint, in
            the keypoints' unit.
        num_components (int): M. Defaults to 4.
        min_score (float): Floor of the confidence. Defaults to 0.05.

    Returns:
        Tensor: (*, K, M, 4) ``(pi, mu_x, mu_y, variance)``.
    """
    if sigma <= 0 or not 0 < min_score <= 1:
        raise ValueError(f'need sigma > 0 and 0 < min_score <= 1, got {sigma}, {min_score}')
    var = (sigma / scores.clamp(min=min_score)).square()
    comp = torch.cat([torch.full_like(var, 1.0 / num_components)[..., None], keypoints,
                      var[..., None]], dim=-1)
    return comp[..., None, :].expand(*comp.shape[:-1], num_components, 4).clone()
