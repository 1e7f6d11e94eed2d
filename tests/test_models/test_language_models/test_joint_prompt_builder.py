import os.path as osp

import pytest
import torch

from metapose_plugin.models.language_models import (H36M_ACTION_DESCRIPTIONS, H36M_JOINT_NAMES,
                                                    JointPromptBuilder)
from metapose_plugin.testing import parity_fixture_dir

FIXTURE = str(parity_fixture_dir() / 'io.pt')


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


@pytest.mark.skipif(not osp.isfile(FIXTURE), reason='parity fixture not available')
def test_reference_rows_reproduce_fixture_strings():
    io = torch.load(FIXTURE)
    rows = JointPromptBuilder().build_reference_rows(io['actions'], io['action_set'])
    assert rows == io['prompt_strings']
    # the quirk matters here: a row built from action_set alone differs
    assert JointPromptBuilder().build(io['action_set'][0]) != io['prompt_strings'][0]


def test_dataset_and_alias_action_names_share_a_description():
    builder = JointPromptBuilder()
    canonical = builder.build('WalkingDog')
    alias = builder.build('WalkDog')
    # same description, each written with its own name in the action slot
    assert canonical[0].split(' characterized by ')[1] == alias[0].split(' characterized by ')[1]
    assert 'person is WalkingDog characterized' in canonical[0]
    # the reference writes its own spelling in the slot of a faithful row
    rows = builder.build_reference_rows(['WalkingDog'], ['WalkingDog'])
    assert 'person is WalkDog characterized' in rows[0][0]
    with pytest.raises(KeyError, match='Skiing'):
        builder.build('Skiing')
