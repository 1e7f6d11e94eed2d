import json

import pytest
import torch
from mmpose.registry import MODELS

from metapose_plugin.models.converters.ckpt_kinds import detect_checkpoint_kind
from metapose_plugin.models.converters.finepose_ckpt_convert import (convert_finepose_checkpoint,
                                                                     detect_kind)
from metapose_plugin.testing import shared_fixture_dir

FIXTURE = shared_fixture_dir('finepose_parity')
needs_fixture = pytest.mark.shared_fixture(FIXTURE / 'weights_fp16.pt')


def reference_checkpoint():
    """The fixture weights laid out as the reference's ``best_epoch_20_10.bin``:
    DataParallel ``module.`` prefix, ``model_pos``, diffusion buffers and the
    unused CLIP parts."""
    from metapose_plugin.parity.finepose import load_fixture_weights
    io = torch.load(FIXTURE / 'io.pt', weights_only=True)
    vocab = json.loads(io['meta/config_json'])['clip_vocab']
    weights = load_fixture_weights(str(FIXTURE / 'weights_fp16.pt'), vocab)
    state = {'module.' + k: v for k, v in weights.items()}
    state.update({'module.betas': torch.zeros(1000, dtype=torch.float64),
                  'module.posterior_mean_coef2': torch.zeros(1000, dtype=torch.float64),
                  'module.pose_estimator.clip_text.visual.conv1.weight': torch.zeros(1),
                  'module.pose_estimator.clip_text.text_projection': torch.zeros(128, 128),
                  'module.pose_estimator.clip_text.logit_scale': torch.zeros(())})
    return dict(epoch=20, lr=1e-5, random_state=None, optimizer=None, model_pos=state), weights, io


@needs_fixture
def test_reference_checkpoint_converts_and_loads():
    from metapose_plugin.parity.finepose import model_cfg
    checkpoint, weights, io = reference_checkpoint()
    converted, missing, unexpected = convert_finepose_checkpoint(checkpoint)
    assert not missing and not unexpected
    model = MODELS.build(model_cfg(json.loads(io['meta/config_json']), weights, io))
    model.load_state_dict(converted, strict=True)
    # in_proj split into q, k, v (HF layout)
    in_proj = weights['pose_estimator.clip_text.transformer.resblocks.1.attn.in_proj_weight']
    layer = model.text_encoder.text_model.encoder.layers[1].self_attn
    torch.testing.assert_close(layer.k_proj.weight, in_proj.chunk(3)[1])
    torch.testing.assert_close(model.backbone.text_cross_attn.out_proj.weight,
                               weights['pose_estimator.temporal_cross_attn.proj_out.'
                                       'out_layers.2.weight'])


@needs_fixture
def test_refuses_missing_and_unexpected_keys():
    checkpoint, _, _ = reference_checkpoint()
    state = checkpoint['model_pos']
    partial = {k: v for k, v in state.items() if 'STEblocks.1.mlp.fc2.bias' not in k}
    with pytest.raises(KeyError, match='backbone.spatial_blocks.1.mlp.fc2.bias'):
        convert_finepose_checkpoint(partial)
    with pytest.raises(KeyError, match='pose_estimator.extra_layer.weight'):
        convert_finepose_checkpoint(dict(state, **{
            'module.pose_estimator.extra_layer.weight': torch.zeros(1)}))
    _, missing, _ = convert_finepose_checkpoint(partial, strict=False)
    assert missing == ['backbone.spatial_blocks.1.mlp.fc2.bias']


def test_kind_detection():
    keys = ['pose_estimator.ctx_subject', 'pose_estimator.STEblocks.0.norm1.weight']
    assert detect_kind(keys) == 'finepose'
    assert detect_checkpoint_kind(keys) == 'finepose'
    assert detect_kind(['pose_net.head.0.weight']) is None
