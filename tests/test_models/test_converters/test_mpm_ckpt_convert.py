import pytest
import torch

from metapose_plugin.models.converters.ckpt_kinds import (checkpoint_converters,
                                                          detect_checkpoint_kind)
from metapose_plugin.models.converters.mpm_ckpt_convert import (CONVERTERS, convert_mpm_checkpoint,
                                                                detect_kind)
from metapose_plugin.testing.fixtures import shared_fixture_dir

FIXTURE = shared_fixture_dir('mpm_parity')
needs_fixture = pytest.mark.shared_fixture(FIXTURE / 'weights.pt')


def test_refine_conversion_and_refusal():
    checkpoint = {'module.post_refine.0.weight': torch.randn(8, 12),
                  'module.post_refine.0.bias': torch.randn(8),
                  'module.post_refine.3.weight': torch.randn(4, 8),
                  'module.post_refine.3.bias': torch.randn(4)}
    assert detect_kind([k[7:] for k in checkpoint]) == 'mpm_refine'
    converted, missing, unexpected = CONVERTERS['mpm_refine'](checkpoint)
    assert not missing and not unexpected
    assert torch.equal(converted['refine.mlp.fc2.weight'],
                       checkpoint['module.post_refine.3.weight'])
    with pytest.raises(KeyError, match='post_refine.9.weight'):
        convert_mpm_checkpoint({**checkpoint, 'post_refine.9.weight': torch.zeros(1)},
                               'mpm_refine')
    with pytest.raises(ValueError, match='unknown MPM checkpoint kind'):
        convert_mpm_checkpoint(checkpoint, 'mpm')


@needs_fixture
@pytest.mark.parametrize('module,kind,count', [('pretrain_MPMmask2', 'mpm_pretrain', 115),
                                               ('completion_MPMmask', 'mpm_pretrain', 147),
                                               ('lifter_Model', 'mpm_lifter', 121),
                                               ('lifter_f9_j17', 'mpm_lifter', 105)])
def test_reference_checkpoints_convert_strictly(module, kind, count):
    state_dict = torch.load(FIXTURE / 'weights.pt', weights_only=True)['weights'][module]
    checkpoint = {'state_dict': {'module.' + k: v for k, v in state_dict.items()}}
    assert detect_kind(list(state_dict)) == kind
    assert detect_checkpoint_kind(list(state_dict)) == kind  # through ckpt_kinds
    converted, _, _ = checkpoint_converters()[kind](checkpoint)
    # every reference key but the unused final norms arrives, unchanged
    assert len(converted) == count == len(state_dict) - sum('model.norm.' in k
                                                            for k in state_dict)
    assert torch.equal(converted['backbone.pos_embed'],
                       state_dict['shared_layers_temporal.pos_embedding'])
    value = state_dict['shared_layers_temporal.model.layers.0.self_attn.linears.2.weight']
    assert torch.equal(converted['backbone.layers.0.attn.v.weight'], value)
    dropped = dict(state_dict)
    dropped.pop('encoder2d.bn_1.running_var')
    with pytest.raises(KeyError, match='missing keys.*running_var'):
        convert_mpm_checkpoint(dropped, kind)
    with pytest.raises(KeyError, match='unexpected keys.*extra'):
        convert_mpm_checkpoint({**state_dict, 'extra': torch.zeros(1)}, kind)
