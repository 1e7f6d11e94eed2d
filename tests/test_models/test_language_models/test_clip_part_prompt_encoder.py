import pytest
import torch
from mmpose.registry import MODELS

from metapose_plugin.models.language_models.clip_text_loading import TINY_CLIP_TOKENIZER
from metapose_plugin.testing.finepose_models import (tiny_text_config,
                                                     tiny_text_encoder_cfg)


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def build(**overrides):
    torch.manual_seed(0)
    encoder = MODELS.build(tiny_text_encoder_cfg(**overrides))
    encoder.init_weights()
    return encoder.eval()


def test_shapes_rows_and_action_word():
    encoder = build()
    tokens, pooled = encoder(['Walking 1', 'SittingDown', None, 'Walking'])
    assert tokens.shape == (4, 20, 32) and pooled.shape == (4, 32)
    # 'Walking 1' -> 'Walking': same prompt; other actions differ
    assert torch.equal(tokens[0], tokens[3])
    assert not torch.allclose(tokens[0], tokens[1])
    assert not torch.allclose(tokens[0], tokens[2])


def test_prompt_assembly_matches_segments():
    encoder = build()
    ids = encoder.tokenize(['A person', 'leg', 'Walking'])
    _, _, prompt, _ = encoder.encode_tokens(ids[:2], ids[2:], return_clip=True)
    embed = encoder.text_model.embeddings
    pos = embed.position_embedding.weight
    ctx = encoder.prompt_context
    token = embed.token_embedding.weight
    expected = torch.cat([ctx['subject'], token[ids[0, :4]], ctx['verb'], token[ids[2, :4]],
                          ctx['leg'], token[ids[1, :4]]]) + pos
    torch.testing.assert_close(prompt[0], expected, rtol=0, atol=1e-6)


def test_pooling_index_modes():
    encoder = build(pool_index='action_eot')
    ids = encoder.tokenize(['A person', 'leg', 'Walking', 'SittingDown'])
    action_ids = ids[2:]
    # the EOT (largest id) position of each action word
    eot = [int((row == row.max()).nonzero()[0]) for row in action_ids]
    assert encoder.pool_positions(2, action_ids).tolist() == eot
    tokens, pooled = encoder.encode_tokens(ids[:2], action_ids)
    manual = encoder.text_proj(tokens[torch.arange(2), torch.tensor(eot)])
    torch.testing.assert_close(pooled, manual)
    last = build(pool_index=-1)
    assert last.pool_positions(3).tolist() == [19, 19, 19]


def test_prompts_train_through_frozen_clip():
    encoder = build()
    encoder.train()
    _, pooled = encoder(['Walking', 'Eating'])
    pooled.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in encoder.prompt_context.values())
    assert all(p.grad is None for p in encoder.text_model.parameters())
    assert encoder.text_transformer.layers[0].linear1.weight.grad is not None


def test_reference_prompts_are_frozen():
    encoder = build(train_prompts=False, pool_index='action_eot')
    assert not any(p.requires_grad for p in encoder.prompt_context.values())
    assert not any(p.requires_grad for p in encoder.text_model.parameters())


def test_cache_runs_text_path_once_per_prompt_and_resets():
    encoder = build()
    calls = []
    encoder.text_model.encoder.register_forward_hook(lambda m, a, o: calls.append(a))
    with torch.no_grad():
        first = encoder(['Walking', 'Walking', None])[1]
        assert len(calls) == 1  # one batched CLIP run for the two distinct prompts
        again = encoder(['Walking', None])[1]
        assert len(calls) == 1
        torch.testing.assert_close(again, first[1:])
        encoder.text_proj.bias.add_(1.0)
        encoder.prompt_cache.clear()  # a hand edit: the documented rule asks for clear()
        changed = encoder(['Walking'])[1]
        assert len(calls) == 2
        torch.testing.assert_close(changed, first[:1] + 1.0)
    # with gradients reaching the parameters nothing is cached
    encoder(['Walking'])
    assert len(calls) == 3


def test_bad_configs_and_actions():
    with pytest.raises(ValueError, match='S = 20'):
        build(segments=[dict(name='subject', text='A person', num_context=3)])
    with pytest.raises(ValueError, match='action'):
        build(segments=[dict(name='a', text=None, num_context=6),
                        dict(name='b', text=None, num_context=6),
                        dict(name='c', text='leg', num_context=0)])
    encoder = build()
    with pytest.raises(ValueError, match='non-empty string'):
        encoder([''])


def test_loads_local_hf_folder(tmp_path):
    from transformers import CLIPTextConfig, CLIPTextModel
    torch.manual_seed(1)
    CLIPTextModel(CLIPTextConfig(**tiny_text_config())).save_pretrained(tmp_path / 'clip')
    encoder = MODELS.build(tiny_text_encoder_cfg(text_config=None,
                                                 model_name_or_path=str(tmp_path / 'clip'),
                                                 tokenizer_name_or_path=TINY_CLIP_TOKENIZER))
    reference = CLIPTextModel.from_pretrained(tmp_path / 'clip')
    torch.testing.assert_close(encoder.text_model.embeddings.token_embedding.weight,
                               reference.get_input_embeddings().weight)
    assert not any(p.requires_grad for p in encoder.text_model.parameters())
