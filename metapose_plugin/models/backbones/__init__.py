from .finepose_denoiser import FinePOSEDenoiser
from .hrnet_context_encoder import HRNetContextEncoder
from .mpm_encoder import MPMEncoder

__all__ = ['FinePOSEDenoiser', 'HRNetContextEncoder', 'MPMEncoder']
