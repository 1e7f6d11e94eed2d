from .ckpt_convert import (convert_capf_checkpoint, convert_hrnet_checkpoint, rename_state_dict,
                           strip_prefix, unwrap_state_dict)
from .deformable_context_block import DeformableContextBlock, deformable_context_blocks
from .deformable_sampling import (check_joint_views, crop_to_grid, embed_at_reference,
                                  grid_to_kernel_locations, sample_at_reference,
                                  sample_feature_levels)
from .equivariant_stage_model import EquivariantStageModel
from .flat_stage_model import FlatStageModel
from .keras_adam import KerasAdam
from .per_level_deformable_attention import PerLevelDeformableAttention
from .vit_block import Attention, Mlp, ViTBlock, drop_path_rates

__all__ = [
    'EquivariantStageModel', 'FlatStageModel', 'KerasAdam',
    'Attention', 'DeformableContextBlock', 'Mlp', 'PerLevelDeformableAttention', 'ViTBlock',
    'check_joint_views', 'convert_capf_checkpoint', 'convert_hrnet_checkpoint', 'crop_to_grid',
    'deformable_context_blocks', 'drop_path_rates', 'embed_at_reference',
    'grid_to_kernel_locations', 'rename_state_dict', 'sample_at_reference',
    'sample_feature_levels', 'strip_prefix', 'unwrap_state_dict'
]
