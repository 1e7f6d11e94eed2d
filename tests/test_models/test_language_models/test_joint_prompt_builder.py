import pytest

from metapose_plugin.models.language_models import (H36M_ACTION_DESCRIPTIONS, H36M_JOINT_NAMES,
                                                    JointPromptBuilder)


def test_build_fills_template_per_joint():
    prompts = JointPromptBuilder().build('Walking')
    assert len(prompts) == 17
    assert prompts[3].startswith('The right ankle joint located on the leg part ')
    assert 'the person is Walking characterized by ' in prompts[3]
    assert prompts[3].endswith(H36M_ACTION_DESCRIPTIONS['Walking'])
    assert len(H36M_ACTION_DESCRIPTIONS) == 15


def test_slot_action_and_agnostic_mode():
    prompt = JointPromptBuilder().build('Eating', slot_action='Posing')[0]
    assert 'the person is Posing characterized by' in prompt
    assert prompt.endswith(H36M_ACTION_DESCRIPTIONS['Eating'])
    agnostic = JointPromptBuilder(action_agnostic=True).build()
    assert len(agnostic) == 17 and 'head' in agnostic[10]
    assert not any(action in p for p in agnostic for action in H36M_ACTION_DESCRIPTIONS)


def test_bad_input_is_named():
    with pytest.raises(KeyError, match='Jumping'):
        JointPromptBuilder().build('Jumping')
    with pytest.raises(ValueError, match='joint_parts'):
        JointPromptBuilder(joint_names=H36M_JOINT_NAMES[:3])


def test_dataset_and_alias_action_names_share_a_description():
    builder = JointPromptBuilder()
    canonical = builder.build('WalkingDog')
    alias = builder.build('WalkDog')
    # same description, each written with its own name in the action slot
    assert canonical[0].split(' characterized by ')[1] == alias[0].split(' characterized by ')[1]
    assert 'person is WalkingDog characterized' in canonical[0]
    # the reference's spelling, which faithful rows write in the slot
    assert builder.reference_spelling('WalkingDog') == 'WalkDog'
    assert builder.reference_spelling('Walking') == 'Walking'
    with pytest.raises(KeyError, match='Skiing'):
        builder.build('Skiing')
