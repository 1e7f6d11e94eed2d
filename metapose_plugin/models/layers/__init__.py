"""Generic blocks shared by several methods (plain classes, not registered)."""
from .deformable_context_block import DeformableContextBlock, deformable_context_blocks
from .deformable_sampling import (check_joint_views, crop_to_grid, embed_at_reference,
                                  grid_to_kernel_locations, sample_at_reference,
                                  sample_feature_levels)
from .per_level_deformable_attention import PerLevelDeformableAttention
from .prompt_cross_attention import PromptCrossAttention
from .uniform_dropout import UniformDropout
from .vit_block import Attention, Mlp, ViTBlock, drop_path_rates

__all__ = [
    'Attention', 'DeformableContextBlock', 'Mlp', 'PerLevelDeformableAttention',
    'PromptCrossAttention', 'UniformDropout', 'ViTBlock', 'check_joint_views', 'crop_to_grid',
    'deformable_context_blocks', 'drop_path_rates', 'embed_at_reference',
    'grid_to_kernel_locations', 'sample_at_reference', 'sample_feature_levels'
]
