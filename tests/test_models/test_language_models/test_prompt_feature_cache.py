"""PromptFeatureCache: the invalidation rule written in its docstring."""
import copy

import pytest
import torch
from torch import nn

from metapose_plugin.models.language_models.prompt_feature_cache import PromptFeatureCache


class Encoder(nn.Module):
    """A toy prompt encoder: key k -> proj(one_hot(k)); counts encodes."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 3)
        self.prompt_cache = PromptFeatureCache()
        self.encoded = []

    def encode(self, keys):
        self.encoded.append(list(keys))
        eye = torch.eye(4, dtype=self.proj.weight.dtype)
        return self.proj(eye[list(keys)]), self.proj.bias.expand(len(keys), 3) * 2

    def forward(self, keys):
        return self.prompt_cache(keys, self.encode, self.parameters())


@pytest.fixture
def encoder():
    torch.manual_seed(0)
    return Encoder()


def test_hit_without_gradients(encoder):
    with torch.no_grad():
        first = encoder([0, 1])
        again = encoder([1, 0, 2])
    assert encoder.encoded == [[0, 1], [2]]
    torch.testing.assert_close(again[0][0], first[0][1])
    torch.testing.assert_close(again[1][1], first[1][0])
    assert len(encoder.prompt_cache) == 3


def test_frozen_parameters_cache_with_gradients_on(encoder):
    encoder.requires_grad_(False)
    encoder([0])
    encoder([0])
    assert encoder.encoded == [[0]]


def test_forward_with_gradients_recomputes_and_clears(encoder):
    with torch.no_grad():
        encoder([0])
    out = encoder([0])
    assert out[0].requires_grad
    assert encoder.encoded == [[0], [0]] and len(encoder.prompt_cache) == 0


def test_training_step_between_inferences_is_seen(encoder):
    optimizer = torch.optim.SGD(encoder.parameters(), lr=1.0)
    with torch.no_grad():
        before = encoder([0])[0]
    encoder([0])[0].sum().backward()  # a gradient forward empties the cache
    optimizer.step()
    with torch.no_grad():
        after = encoder([0])[0]
        fresh = encoder.encode([0])[0]
    torch.testing.assert_close(after, fresh)
    assert (after - before).abs().max() > 1e-3


@pytest.mark.parametrize('event', ['train', 'eval', 'load', 'load_parent', 'to_double', 'clear'])
def test_each_invalidating_event(encoder, event):
    with torch.no_grad():
        encoder([0])
    assert len(encoder.prompt_cache) == 1
    state = copy.deepcopy(encoder.state_dict())
    if event == 'train':
        encoder.train()
    elif event == 'eval':
        encoder.eval()
    elif event == 'load':
        encoder.load_state_dict(state)
    elif event == 'load_parent':
        nn.Sequential(encoder).load_state_dict({f'0.{k}': v for k, v in state.items()})
    elif event == 'to_double':
        encoder.double()
    else:
        encoder.prompt_cache.clear()
    assert len(encoder.prompt_cache) == 0
    with torch.no_grad():
        out = encoder([0])
    assert out[0].dtype == encoder.proj.weight.dtype


def test_disabled_recomputes_and_adds_no_state(encoder):
    encoder.prompt_cache.enabled = False
    with torch.no_grad():
        encoder([0])
        encoder([0])
    assert encoder.encoded == [[0], [0]]
    assert set(encoder.state_dict()) == {'proj.weight', 'proj.bias'}


def test_disabled_calls_leave_the_cache_for_when_it_is_enabled_again(encoder):
    """Benchmarks interleave cached and uncached runs: an uncached run must
    not empty the cache, or the cached side would recompute too."""
    with torch.no_grad():
        encoder([0])
        encoder.prompt_cache.enabled = False
        encoder([0])
        encoder.prompt_cache.enabled = True
        encoder([0])
    assert encoder.encoded == [[0], [0]]
