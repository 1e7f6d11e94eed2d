from .mpm_heads import MPMLiftingHead, MPMReconstructionHead
from .regression_heads import ContextLiftingHead

__all__ = ['ContextLiftingHead', 'MPMLiftingHead', 'MPMReconstructionHead']
