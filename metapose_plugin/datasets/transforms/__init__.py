from .crop_affine import apply_affine, get_crop_affine
from .load_person_crop import LoadPersonCrop
from .random_flip_image_lifting import RandomFlipImageLifting

__all__ = [
    'LoadPersonCrop', 'RandomFlipImageLifting', 'apply_affine',
    'get_crop_affine'
]
