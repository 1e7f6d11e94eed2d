from ._utils import get_packed_inputs
from .fixtures import parity_fixture_dir, shared_fixture_dir
from .tiny_pose2d import tiny_pose2d_config

__all__ = ['get_packed_inputs', 'parity_fixture_dir', 'shared_fixture_dir', 'tiny_pose2d_config']
