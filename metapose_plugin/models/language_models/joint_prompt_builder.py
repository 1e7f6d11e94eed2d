"""Per-joint text prompts of MetaPose.

The template, joint names, body parts and the 15 Human3.6M action
descriptions are the strings of the MetaPose reference training script
(Visual-Pose-Lab/MetaPose, ``train.py``, commit cfec06c); they are data, not
code, and are reproduced verbatim so that converted checkpoints see the
prompts they were trained with.
"""
from typing import List, Optional, Sequence

from metapose_plugin.structures.h36m_actions import canonical_action_name

H36M_JOINT_NAMES = ('pelvis', 'right hip', 'right knee', 'right ankle', 'left hip', 'left knee',
                    'left ankle', 'belly', 'neck', 'nose', 'head', 'left shoulder', 'left elbow',
                    'left wrist', 'right shoulder', 'right elbow', 'right wrist')

H36M_JOINT_PARTS = ('body', 'leg', 'leg', 'leg', 'leg', 'leg', 'leg', 'body', 'body', 'head',
                    'head', 'arm', 'arm', 'arm', 'arm', 'arm', 'arm')

H36M_ACTION_DESCRIPTIONS = {
    'Directions':
    'The person stands or sits while using gestures or body movements to indicate a direction. '
    'This might involve pointing to a location, waving, or turning the body towards a target',
    'Discussion':
    'The person performs actions associated with conversations, using hand gestures, head '
    'movements, and eye contact. This may include gesturing while talking, nodding, or adopting '
    'thinking or explaining poses',
    'Eating':
    'The person mimics eating behaviors, usually while seated. This could involve picking up '
    'food, using utensils, chewing, or drinking, all related to mealtime activities',
    'Greeting':
    'The person performs gestures of greeting, such as waving, nodding, shaking hands, or using '
    'other polite gestures to welcome or acknowledge someone',
    'Phoning':
    'The person acts as if holding a phone, simulating phone-related actions like placing a hand '
    'to the ear, talking, and listening during a phone call',
    'Posing':
    'The person adopts specific poses, usually remaining still. These poses might be exaggerated '
    'or stylized, simulating scenarios where the person is intentionally posing, such as for a '
    'photograph',
    'Purchases':
    'The person performs actions related to shopping, such as selecting items, examining goods, '
    'or mimicking the action of paying, often involving reaching out and pretending to hold '
    'objects',
    'Sitting':
    'The person sits in a chair or another surface. The actions might include adjusting the '
    'posture, crossing legs, stretching, or resting while seated',
    'SittingDown':
    'The person transitions from standing to sitting. This process includes scanning for a seat, '
    'slowly bending the knees, and sitting down on a surface',
    'Smoking':
    'The person mimics smoking, including holding a cigarette or e-cigarette, bringing it to the '
    'lips, inhaling, and exhaling',
    'TakingPhoto':
    'The person simulates the role of a photographer, usually holding an imaginary camera with '
    'both hands, pointing it at a person, pressing the shutter, or adjusting the angle for a shot',
    'Waiting':
    'The person performs actions related to waiting. This often includes standing or sitting with '
    'slight movements, such as shifting weight, checking a watch, or looking around, conveying '
    'impatience or boredom',
    'Walking':
    'The person walks naturally in the scene, with steady steps and relaxed posture. This action '
    'involves typical arm swings and regular walking motion',
    'WalkDog':
    'The person simulates walking a dog, which may involve holding a leash in one hand, '
    'occasionally glancing at the "dog" and adjusting the pace based on its movement',
    'WalkTogether':
    'The person performs actions that represent walking alongside another person, syncing steps, '
    'occasionally exchanging glances or engaging in side conversations while walking together',
}

#: Canonical H36M action name -> the reference's spelling, which keys the
#: descriptions above and is what the reference writes in the action slot.
REFERENCE_ACTION_SPELLING = {'WalkingDog': 'WalkDog'}

ACTION_TEMPLATE = ('The {joint} joint located on the {part} part is engaged in an action where '
                   'the person is {action} characterized by {description}')
AGNOSTIC_TEMPLATE = 'The {joint} joint located on the {part} part of a person'


class JointPromptBuilder:
    """Build the K per-joint prompt strings of MetaPose for an action.

    Args:
        joint_names (Sequence[str]): K joint names. Defaults to the reference's
            H36M names (note: index 7 is called ``belly``, 8 ``neck``, 9
            ``nose``).
        joint_parts (Sequence[str]): K body-part names, same order.
        action_descriptions (dict[str, str]): action name -> description.
        action_agnostic (bool): If True, prompts name only the joint and its
            body part (no ground-truth action needed: in-the-wild video).
            Default: False.
    """

    def __init__(self,
                 joint_names: Sequence[str] = H36M_JOINT_NAMES,
                 joint_parts: Sequence[str] = H36M_JOINT_PARTS,
                 action_descriptions: Optional[dict] = None,
                 action_agnostic: bool = False) -> None:
        if len(joint_names) != len(joint_parts):
            raise ValueError(f'JointPromptBuilder: {len(joint_names)} joint_names but '
                             f'{len(joint_parts)} joint_parts')
        self.joint_names = tuple(joint_names)
        self.joint_parts = tuple(joint_parts)
        self.action_descriptions = dict(action_descriptions or H36M_ACTION_DESCRIPTIONS)
        self.action_agnostic = action_agnostic

    @property
    def num_joints(self) -> int:
        """K, the number of prompts per action."""
        return len(self.joint_names)

    def reference_spelling(self, action: str) -> str:
        """The reference's spelling of ``action``, which keys its description
        and is what the reference writes in the action slot: the name itself
        when the descriptions hold it, else that of its canonical H36M name
        (dataset names such as ``'WalkingDog'`` and file-name aliases such as
        ``'WalkDog'`` both give ``'WalkDog'``); KeyError naming it if
        unknown."""
        if action in self.action_descriptions:
            return action
        try:
            canonical = canonical_action_name(action)
        except ValueError:
            canonical = action
        key = REFERENCE_ACTION_SPELLING.get(canonical, canonical)
        if key not in self.action_descriptions:
            raise KeyError(f'JointPromptBuilder: action {action!r} has no description; known '
                           f'actions: {sorted(self.action_descriptions)}')
        return key

    def description(self, action: str) -> str:
        """The description of ``action``; KeyError naming it if unknown."""
        return self.action_descriptions[self.reference_spelling(action)]

    def build(self, action: Optional[str] = None, slot_action: Optional[str] = None) -> List[str]:
        """Return the K prompts of one action.

        Args:
            action (str, optional): Action whose description is used. Ignored
                (may be None) in action-agnostic mode.
            slot_action (str, optional): Word written in the template's action
                slot; defaults to ``action``. Only the faithful rows of
                :meth:`CLIPJointPromptEncoder.prompt_rows` pass another one.

        Returns:
            list[str]: K prompt strings in joint order.
        """
        if self.action_agnostic:
            return self.build_agnostic()
        description = self.description(action)
        slot = action if slot_action is None else slot_action
        return [
            ACTION_TEMPLATE.format(joint=joint, part=part, action=slot, description=description)
            for joint, part in zip(self.joint_names, self.joint_parts)
        ]

    def build_agnostic(self) -> List[str]:
        """Return the K action-agnostic prompts (joint and body part only)."""
        return [
            AGNOSTIC_TEMPLATE.format(joint=joint, part=part)
            for joint, part in zip(self.joint_names, self.joint_parts)
        ]
