from .mpm_heads import MPMLiftingHead, MPMReconstructionHead
from .multiview_heads import EquivariantStageModel, FlatStageModel
from .regression_heads import ContextLiftingHead

__all__ = [
    'ContextLiftingHead', 'EquivariantStageModel', 'FlatStageModel', 'MPMLiftingHead',
    'MPMReconstructionHead'
]
