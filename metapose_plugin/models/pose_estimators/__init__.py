from .context_pose_lifter import ContextPoseLifter, flip_keypoints_2d

__all__ = ['ContextPoseLifter', 'flip_keypoints_2d']
