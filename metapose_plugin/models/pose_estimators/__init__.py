from .context_pose_lifter import ContextPoseLifter, flip_keypoints_2d
from .finepose_lifter import FinePOSELifter
from .mpm_masked_pose_model import MPMMaskedPoseModel
from .mpm_sequence_lifter import MPMSequenceLifter
from .multiview_metapose_lifter import MultiViewMetaPoseLifter
from .multiview_metapose_s1_solver import MultiViewMetaPoseS1Solver

__all__ = [
    'ContextPoseLifter', 'FinePOSELifter', 'MPMMaskedPoseModel', 'MPMSequenceLifter',
    'MultiViewMetaPoseLifter', 'MultiViewMetaPoseS1Solver', 'flip_keypoints_2d'
]
