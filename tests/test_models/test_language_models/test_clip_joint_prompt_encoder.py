import pytest
import torch
from transformers import CLIPTextConfig, CLIPTextModelWithProjection

from metapose_plugin.models.language_models import (H36M_ACTION_DESCRIPTIONS,
                                                    CLIPJointPromptEncoder)

N = 10


def build(tiny_clip, **kwargs):
    tokenizer, text_config = tiny_clip
    torch.manual_seed(0)
    return CLIPJointPromptEncoder(text_config=text_config, tokenizer_name_or_path=tokenizer,
                                  **kwargs)


def hf_reference(encoder, text_config):
    """The same weights in HF's own CLIPTextModelWithProjection."""
    model = CLIPTextModelWithProjection(CLIPTextConfig(**text_config)).eval()
    model.text_model.load_state_dict(encoder.text_model.state_dict())
    model.text_projection.load_state_dict(encoder.text_projection.state_dict())
    return model


def prompt_as_tokens(encoder, generator):
    """Set every joint's learnable prompts to embeddings of random real tokens."""
    ids = torch.randint(1, 500, (17, N), generator=generator)
    with torch.no_grad():
        weight = encoder.text_model.embeddings.token_embedding.weight
        encoder.learnable_prompts.copy_(weight[ids].flatten(0, 1))
    return ids


@pytest.mark.parametrize('faithful', [False, True])
def test_encode_tokens_matches_hf_tower(tiny_clip, faithful):
    encoder = build(tiny_clip, faithful=faithful).eval()
    model = hf_reference(encoder, tiny_clip[1])
    g = torch.Generator().manual_seed(1)
    prompt_ids = prompt_as_tokens(encoder, g)
    ids = torch.stack([encoder.tokenize(encoder.builder.build(a)) for a in ('Eating', 'Posing')])
    with torch.no_grad():
        ours = encoder.encode_tokens(ids)
        # shifted sequences (A*K, S): [prompt ids, ids without their last N]
        shifted = torch.cat([prompt_ids.expand(2, -1, -1), ids[..., :-N]], dim=-1).flatten(0, 1)
        out = model(input_ids=shifted)
        if faithful:
            eot = ids.flatten(0, 1).argmax(-1)
            pooled = out.last_hidden_state[torch.arange(34), eot]
            expected = model.text_projection(pooled)
        else:
            expected = out.text_embeds
    assert ours.shape == (2, 17, 24)
    torch.testing.assert_close(ours, expected.view(2, 17, 24), atol=1e-5, rtol=1e-5)


def test_default_tokenize_keeps_eot_after_shift(tiny_clip):
    encoder = build(tiny_clip)
    ids = encoder.tokenize(encoder.builder.build('WalkTogether'))
    eot = encoder.tokenizer.eos_token_id
    assert ids.shape == (17, 77)
    assert ((ids == eot).sum(-1) == 1).all()
    assert (ids.argmax(-1) + N < 77).all()


def test_forward_gathers_rows_and_trains_prompts(tiny_clip):
    encoder = build(tiny_clip).train()
    calls = []
    original = encoder.encode_tokens
    encoder.encode_tokens = lambda ids: calls.append(ids.shape[0]) or original(ids)
    feats = encoder(['Eating', 'Posing', 'Eating'])
    assert calls == [2]
    assert feats.shape == (3, 17, 24)
    torch.testing.assert_close(feats[0], feats[2])
    assert (feats[0] - feats[1]).abs().max() > 1e-4
    feats.sum().backward()
    assert encoder.learnable_prompts.grad.abs().sum() > 0
    assert all(p.grad is None for p in encoder.text_model.parameters())


def test_cache_hit_and_invalidation(tiny_clip):
    encoder = build(tiny_clip, train_prompts=True).eval()
    calls = []
    original = encoder.encode_tokens
    encoder.encode_tokens = lambda ids: calls.append(ids.shape[0]) or original(ids)
    with torch.no_grad():
        first = encoder(['Eating', 'Posing'])
        again = encoder(['Posing', 'Eating', 'Posing'])
        assert calls == [2]
        torch.testing.assert_close(again[1], first[0])
        encoder(['Walking'])
        assert calls == [2, 1]
        encoder.learnable_prompts.add_(torch.randn_like(encoder.learnable_prompts))
        encoder.prompt_cache.clear()  # a hand edit: the documented rule asks for clear()
        changed = encoder(['Eating'])
    assert calls == [2, 1, 1]
    assert (changed[0] - first[0]).abs().max() > 1e-4


def test_frozen_prompts_cache_in_training(tiny_clip):
    encoder = build(tiny_clip, faithful=True, train_prompts=False).train()
    assert not encoder.learnable_prompts.requires_grad
    calls = []
    original = encoder.encode_tokens
    encoder.encode_tokens = lambda ids: calls.append(ids.shape[0]) or original(ids)
    encoder(['Eating', 'Posing'])
    encoder(['Eating', 'Posing'])
    assert calls == [2]


def test_cache_features_switch_recomputes_every_call(tiny_clip):
    encoder = build(tiny_clip).eval()
    calls = []
    encoder.text_model.encoder.register_forward_hook(lambda *args: calls.append(1))
    with torch.no_grad():
        cached = encoder(['Eating'])
        encoder(['Eating'])
        assert len(calls) == 1
        encoder.prompt_cache.enabled = False
        uncached = encoder(['Eating'])
        encoder(['Eating'])
    assert len(calls) == 3
    torch.testing.assert_close(cached, uncached)


def test_faithful_rows_take_the_batch_action_in_the_slot(tiny_clip):
    """Row i: the description of the i-th distinct action (in the given row
    order), the i-th batch action in the reference's spelling in the slot;
    the features are those rows' (the MetaPose parity check compares this
    path with the reference's strings, ids and features)."""
    encoder = build(tiny_clip, faithful=True).eval()
    actions = ['Directions', 'Greeting', 'WalkingDog']
    keys, index = encoder.prompt_rows(actions, row_order=['Greeting', 'WalkingDog', 'Directions'])
    assert keys == [('Greeting', 'Directions'), ('WalkingDog', 'Greeting'),
                    ('Directions', 'WalkDog')]
    assert index == [2, 0, 1]
    prompt = encoder.row_prompts(keys[2])[3]
    assert 'the person is WalkDog characterized by' in prompt
    assert prompt.endswith(H36M_ACTION_DESCRIPTIONS['Directions'])
    with torch.no_grad():
        feats = encoder(actions, row_order=['Greeting', 'WalkingDog', 'Directions'])
        rows = encoder.encode_tokens(torch.stack([encoder.row_token_ids(k) for k in keys]))
    torch.testing.assert_close(feats, rows[[2, 0, 1]])
    # first appearance by default; the default mode has no slot quirk
    assert encoder.prompt_rows(actions)[0][0] == ('Directions', 'Directions')
    assert build(tiny_clip).prompt_rows(actions) == (actions, [0, 1, 2])
    with pytest.raises(ValueError, match='row_order'):
        encoder.prompt_rows(['Eating'], row_order=['Posing'])


def test_action_agnostic_single_row(tiny_clip):
    encoder = build(tiny_clip, action_agnostic=True).eval()
    with torch.no_grad():
        feats = encoder(['Eating', 'Posing'])
    torch.testing.assert_close(feats[0], feats[1])


@pytest.mark.parametrize('faithful', [False, True])
def test_none_action_uses_agnostic_row(tiny_clip, faithful):
    """A sample without an action (video) gets the action-agnostic prompts,
    next to action prompts in the same batch."""
    encoder = build(tiny_clip, faithful=faithful).eval()
    agnostic = build(tiny_clip, faithful=faithful, action_agnostic=True).eval()
    agnostic.load_state_dict(encoder.state_dict())
    with torch.no_grad():
        feats = encoder([None, 'Eating'])
        expected_none = agnostic(['Eating'])[0]
        expected_eating = encoder(['Eating'])[0]
    torch.testing.assert_close(feats[0], expected_none)
    torch.testing.assert_close(feats[1], expected_eating)
    assert not torch.allclose(feats[0], feats[1])


def test_prompt_init_and_hf_loading_path(tiny_clip, tmp_path):
    tokenizer, text_config = tiny_clip
    encoder = build(tiny_clip)
    encoder.init_weights()
    weight = encoder.text_model.embeddings.token_embedding.weight
    assert encoder.learnable_prompts.shape == (170, 32)
    assert abs(encoder.learnable_prompts.std().item() - weight.std().item()) < 0.2 * weight.std()
    hf = hf_reference(encoder, text_config)
    hf.save_pretrained(tmp_path / 'tower')
    loaded = CLIPJointPromptEncoder(model_name_or_path=str(tmp_path / 'tower'),
                                    tokenizer_name_or_path=tokenizer).eval()
    loaded.learnable_prompts.data.copy_(encoder.learnable_prompts.data)
    assert not any(p.requires_grad for p in loaded.text_model.parameters())
    with torch.no_grad():
        torch.testing.assert_close(loaded(['Sitting']), encoder.eval()(['Sitting']))


def test_default_mode_refuses_cut_off_eot(tiny_clip):
    encoder = build(tiny_clip)
    ids = torch.zeros(1, 17, 77, dtype=torch.long)
    ids[..., 0], ids[..., 70] = 1035, 1036
    with pytest.raises(ValueError, match='end-of-text'):
        encoder.encode_tokens(ids)
