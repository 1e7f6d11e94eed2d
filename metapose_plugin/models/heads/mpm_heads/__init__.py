from .mpm_lifting_head import MPMLiftingHead
from .mpm_reconstruction_head import MPMReconstructionHead

__all__ = ['MPMLiftingHead', 'MPMReconstructionHead']
