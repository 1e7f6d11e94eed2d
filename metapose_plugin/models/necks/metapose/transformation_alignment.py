"""MetaPose transformation alignment: fuse both branches, attend to a
Gaussian prompt drawn from the spatial branch."""
from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.models.layers.prompt_cross_attention import PromptCrossAttention


@MODELS.register_module()
class TransformationAlignment(BaseModule):
    """Fuse the spatial and semantic tokens, then cross-attend to a Gaussian
    prompt G.

    ``mean, logvar = dist_proj(X_p)`` (one scalar each per token);
    ``G = mean + exp(logvar / 2) * noise`` with noise (B, T, K, C);
    ``Z_t = fusion[t](cat[X_p, X_t])`` per token level, flattened to
    (B, T*K, C); ``Z = Z + cross_attn(Z, G)`` (4 heads, no output
    projection), reshaped back to (B, T, K, C).

    Two behaviours, one code path:

    - ``faithful=True`` (reference): G is always sampled (random inference,
      use ``noise`` to replay a draw), G goes through the LayerNorm
      ``cross_attn.text_norm`` and there is no KL term. Because mean and std
      are constant across the C channels, that LayerNorm maps G to
      ``(noise - mean_c(noise)) / std_c(noise)``: mean and logvar are erased
      (SPEC section 6).
    - default: G is sampled in training only and equals ``mean`` at
      evaluation (deterministic inference); the LayerNorm moves *before*
      ``dist_proj`` (``source_norm`` on X_p), so the keys and values see G
      itself and mean / logvar reach the output; a KL divergence to N(0, 1),
      averaged over B*T*K tokens and scaled by ``kl_weight``, is returned in
      training. Parameter count is unchanged.

    Note:
        - B: batch, K: joints, T: tokens per joint, C: channels

    Args:
        embed_dims (int): Channels C. Defaults to 128.
        num_tokens (int): T, tokens per joint (one fusion layer each).
            Defaults to 5.
        num_heads (int): Cross-attention heads. Defaults to 4.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-5.
        faithful (bool): Reference behaviour (see above). Defaults to False.
        kl_weight (float): Weight of the KL term (default behaviour only;
            0 disables it). Defaults to 1e-3.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int = 128,
                 num_tokens: int = 5,
                 num_heads: int = 4,
                 norm_eps: float = 1e-5,
                 faithful: bool = False,
                 kl_weight: float = 1e-3,
                 init_cfg: dict = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if faithful and kl_weight:
            raise ValueError('TransformationAlignment: the reference has no KL term; '
                             'set kl_weight=0 with faithful=True')
        self.faithful = faithful
        self.kl_weight = kl_weight
        self.source_norm = None if faithful else nn.LayerNorm(embed_dims, eps=norm_eps)
        self.dist_proj = nn.Linear(embed_dims, 2)
        self.fusion = nn.ModuleList(
            nn.Linear(2 * embed_dims, embed_dims) for _ in range(num_tokens))
        self.cross_attn = PromptCrossAttention(
            embed_dims, embed_dims, num_heads=num_heads, norm_context=faithful, norm_eps=norm_eps)

    def forward(self,
                spatial: Tensor,
                semantic: Tensor,
                noise: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        """Align the two branches.

        Args:
            spatial (Tensor): Spatial-branch tokens X_p in shape (B, T, K, C).
            semantic (Tensor): Semantic-branch tokens X_t in shape (B, T, K, C).
            noise (Tensor, optional): Standard-normal draw (B, T, K, C) used
                when G is sampled; drawn with ``torch.randn_like`` if None.

        Returns:
            tuple[Tensor, Tensor | None]: Tokens (B, T, K, C) and the weighted
            KL loss (scalar), None when no KL term applies.
        """
        B, T, K, C = spatial.shape
        source = spatial if self.source_norm is None else self.source_norm(spatial)
        # (B, T, K, 2) -> mean, logvar (B, T, K, 1)
        mean, logvar = self.dist_proj(source).split(1, dim=-1)
        if self.faithful or self.training:
            if noise is None:
                noise = torch.randn_like(spatial)
            elif noise.shape != spatial.shape:
                raise ValueError(f'TransformationAlignment: noise must be {tuple(spatial.shape)}, '
                                 f'got {tuple(noise.shape)}')
            prompt = mean + torch.exp(0.5 * logvar) * noise
        else:
            prompt = mean.expand_as(spatial)
        kl = None
        if self.training and self.kl_weight:
            kl = self.kl_weight * 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean()
        fused = torch.stack(
            [fusion(torch.cat([spatial[:, t], semantic[:, t]], dim=-1))
             for t, fusion in enumerate(self.fusion)],
            dim=1)
        # (B, T, K, C) -> (B, T*K, C), level-major
        fused = fused.flatten(1, 2)
        fused = fused + self.cross_attn(fused, prompt.flatten(1, 2))
        return fused.view(B, T, K, C), kl
