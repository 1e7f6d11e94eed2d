from .datasets import (H36MImageDataset, H36MMultiViewDataset, H36MSequenceDataset,
                       MPIINF3DHPSequenceDataset)
from .transforms import (GenerateMPMMasks, LoadPersonCrop, PackMultiViewMetaPoseInputs,
                         RandomFlipImageLifting, RandomFlipPoseSequence, RandomPermuteViews,
                         SelectJoints, SetWindowLiftingTarget, apply_affine, get_crop_affine)

__all__ = [
    'GenerateMPMMasks', 'H36MImageDataset', 'H36MMultiViewDataset', 'H36MSequenceDataset',
    'LoadPersonCrop', 'MPIINF3DHPSequenceDataset', 'PackMultiViewMetaPoseInputs',
    'RandomFlipImageLifting', 'RandomFlipPoseSequence', 'RandomPermuteViews', 'SelectJoints',
    'SetWindowLiftingTarget', 'apply_affine', 'get_crop_affine'
]
