from .hrnet_context_encoder import HRNetContextEncoder

__all__ = ['HRNetContextEncoder']
