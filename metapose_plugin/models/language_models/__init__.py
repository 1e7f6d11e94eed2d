from .clip_joint_prompt_encoder import CLIPJointPromptEncoder
from .clip_part_prompt_encoder import CLIPPartPromptEncoder
from .joint_prompt_builder import (H36M_ACTION_DESCRIPTIONS, H36M_JOINT_NAMES, H36M_JOINT_PARTS,
                                   JointPromptBuilder)

__all__ = [
    'CLIPJointPromptEncoder', 'CLIPPartPromptEncoder', 'H36M_ACTION_DESCRIPTIONS',
    'H36M_JOINT_NAMES', 'H36M_JOINT_PARTS', 'JointPromptBuilder'
]
