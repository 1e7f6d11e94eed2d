from ._utils import get_packed_inputs

__all__ = ['get_packed_inputs']
