from .crop_affine import apply_affine, get_crop_affine
from .generate_mpm_masks import GenerateMPMMasks
from .load_person_crop import LoadPersonCrop
from .pack_multiview_metapose_inputs import PackMultiViewMetaPoseInputs
from .random_flip_image_lifting import RandomFlipImageLifting
from .random_flip_pose_sequence import RandomFlipPoseSequence
from .random_permute_views import RandomPermuteViews
from .select_joints import SelectJoints
from .set_window_lifting_target import SetWindowLiftingTarget

__all__ = [
    'GenerateMPMMasks', 'LoadPersonCrop', 'PackMultiViewMetaPoseInputs', 'RandomFlipImageLifting',
    'RandomFlipPoseSequence', 'RandomPermuteViews', 'SelectJoints', 'SetWindowLiftingTarget',
    'apply_affine', 'get_crop_affine'
]
