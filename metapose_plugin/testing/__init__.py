from ._utils import get_packed_inputs
from .fixtures import parity_fixture_dir, shared_fixture_dir
from .visualizer_spy import record_3d_panels

__all__ = ['get_packed_inputs', 'parity_fixture_dir', 'record_3d_panels', 'shared_fixture_dir']
