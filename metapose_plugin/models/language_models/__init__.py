from .clip_joint_prompt_encoder import CLIPJointPromptEncoder
from .joint_prompt_builder import (H36M_ACTION_DESCRIPTIONS, H36M_JOINT_NAMES, H36M_JOINT_PARTS,
                                   JointPromptBuilder)

__all__ = [
    'CLIPJointPromptEncoder', 'H36M_ACTION_DESCRIPTIONS', 'H36M_JOINT_NAMES', 'H36M_JOINT_PARTS',
    'JointPromptBuilder'
]
