from .hrnet_context_encoder import HRNetContextEncoder
from .mpm_encoder import MPMEncoder

__all__ = ['HRNetContextEncoder', 'MPMEncoder']
