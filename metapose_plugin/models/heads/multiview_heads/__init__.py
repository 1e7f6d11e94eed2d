from .equivariant_stage_model import EquivariantStageModel
from .flat_stage_model import FlatStageModel

__all__ = ['EquivariantStageModel', 'FlatStageModel']
