from ._utils import get_packed_inputs
from .fixtures import (fixtures_required, missing_fixture_message, parity_fixture_dir,
                       require_shared_fixture, shared_fixture_dir)
from .scripts import load_script
from .tiny_pose2d import tiny_pose2d_config
from .visualizer_spy import record_3d_panels

__all__ = [
    'fixtures_required', 'get_packed_inputs', 'load_script', 'missing_fixture_message',
    'parity_fixture_dir', 'record_3d_panels', 'require_shared_fixture', 'shared_fixture_dir',
    'tiny_pose2d_config'
]
