from .context_lifting_head import ContextLiftingHead, mirror_keypoints_3d

__all__ = ['ContextLiftingHead', 'mirror_keypoints_3d']
