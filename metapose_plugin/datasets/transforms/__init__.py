from .crop_affine import apply_affine, get_crop_affine
from .load_person_crop import LoadPersonCrop
from .random_flip_image_lifting import RandomFlipImageLifting
from .pack_multiview_metapose_inputs import PackMultiViewMetaPoseInputs
from .random_flip_pose_sequence import RandomFlipPoseSequence
from .random_permute_views import RandomPermuteViews

__all__ = [
    'LoadPersonCrop', 'PackMultiViewMetaPoseInputs', 'RandomPermuteViews', 'RandomFlipImageLifting', 'RandomFlipPoseSequence', 'apply_affine',
    'get_crop_affine'
]
