"""Pure functions and data, imported by every layer and importing none.

As ``mmpose/structures`` and ``mmpose/codecs`` sit below MMPose's datasets and
models: the Human3.6M calibration and action names, the MPI-INF-3DHP joint
tables, pose operations (mirror, root-relative, errors), multi-hypothesis
aggregation, MPM's mask sampling and multi-view MetaPose's geometry
(:mod:`.multiview`). Nothing here is registered.
"""
from .h36m_actions import H36M_ACTIONS, canonical_action_name
from .h36m_cameras import camera_intrinsics, h36m_camera_param, project_to_2d, world_to_camera

__all__ = [
    'H36M_ACTIONS', 'camera_intrinsics', 'canonical_action_name', 'h36m_camera_param',
    'project_to_2d', 'world_to_camera'
]
