from .crop_affine import apply_affine, get_crop_affine
from .load_person_crop import LoadPersonCrop
from .random_flip_image_lifting import RandomFlipImageLifting
from .random_flip_pose_sequence import RandomFlipPoseSequence

__all__ = [
    'LoadPersonCrop', 'RandomFlipImageLifting', 'RandomFlipPoseSequence', 'apply_affine',
    'get_crop_affine'
]
