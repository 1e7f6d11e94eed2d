from ._utils import get_packed_inputs
from .fixtures import parity_fixture_dir, shared_fixture_dir

__all__ = ['get_packed_inputs', 'parity_fixture_dir', 'shared_fixture_dir']
