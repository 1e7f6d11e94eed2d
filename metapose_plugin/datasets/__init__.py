from .datasets import H36M_ACTIONS, H36MImageDataset, canonical_action_name
from .transforms import (LoadPersonCrop, RandomFlipImageLifting, apply_affine,
                         get_crop_affine)

__all__ = [
    'H36MImageDataset', 'H36M_ACTIONS', 'canonical_action_name',
    'LoadPersonCrop', 'RandomFlipImageLifting', 'apply_affine',
    'get_crop_affine'
]
