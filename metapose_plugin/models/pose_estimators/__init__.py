from .context_pose_lifter import ContextPoseLifter, flip_keypoints_2d
from .multiview_metapose_lifter import MultiViewMetaPoseLifter
from .multiview_metapose_s1_solver import MultiViewMetaPoseS1Solver

__all__ = [
    'ContextPoseLifter', 'MultiViewMetaPoseLifter', 'MultiViewMetaPoseS1Solver', 'flip_keypoints_2d'
]
