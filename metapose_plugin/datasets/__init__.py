from .datasets import (H36M_ACTIONS, H36MImageDataset, H36MMultiViewDataset, H36MSequenceDataset,
                       MPIINF3DHPSequenceDataset, canonical_action_name)
from .transforms import (GenerateMPMMasks, LoadPersonCrop, PackMultiViewMetaPoseInputs,
                         RandomFlipImageLifting, RandomFlipPoseSequence, RandomPermuteViews,
                         SelectJoints, SetWindowLiftingTarget, apply_affine, get_crop_affine)

__all__ = [
    'GenerateMPMMasks', 'H36MImageDataset', 'H36MMultiViewDataset', 'H36MSequenceDataset',
    'H36M_ACTIONS', 'LoadPersonCrop', 'MPIINF3DHPSequenceDataset', 'PackMultiViewMetaPoseInputs',
    'RandomFlipImageLifting', 'RandomFlipPoseSequence', 'RandomPermuteViews', 'SelectJoints',
    'SetWindowLiftingTarget', 'apply_affine', 'canonical_action_name', 'get_crop_affine'
]
