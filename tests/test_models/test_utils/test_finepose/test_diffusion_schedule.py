import math

import pytest
import torch
from torch import nn

from metapose_plugin.models.utils.finepose.diffusion_noise import ReplayNoise, SeededNoise
from metapose_plugin.models.utils.finepose.diffusion_schedule import (DiffusionSchedule,
                                                                      cosine_alphas_cumprod,
                                                                      ddim_time_pairs,
                                                                      sinusoidal_embedding)


def test_cosine_schedule_closed_form_and_clip():
    abar = cosine_alphas_cumprod(1000)
    assert abar.dtype == torch.float64 and abar.shape == (1000, )
    f = [math.cos((t / 1000 + 0.008) / 1.008 * math.pi / 2)**2 for t in range(1001)]
    # far from the clipped end the products equal f(t + 1) / f(0)
    for t in (0, 10, 500, 900):
        assert abs(abar[t].item() - f[t + 1] / f[0]) < 1e-12
    betas = 1 - abar[1:] / abar[:-1]
    assert betas.max().item() <= 0.999 + 1e-12 and torch.all(abar[1:] < abar[:-1])


def test_ddim_time_pairs_as_spec():
    pairs = ddim_time_pairs(1000, 10)
    assert [t for t, _ in pairs] == [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]
    assert pairs[-1][1] == -1 and all(a[1] == b[0] for a, b in zip(pairs, pairs[1:]))


def test_q_sample_noise_estimate_and_deterministic_step():
    schedule = DiffusionSchedule(1000)
    g = torch.Generator().manual_seed(0)
    x0, eps = 0.3 * torch.randn(2, 4, 3, generator=g), torch.randn(2, 4, 3, generator=g)
    t = torch.tensor([10, 600])
    abar = cosine_alphas_cumprod(1000)[t].view(2, 1, 1)
    x_t = schedule.q_sample(x0, t, eps)
    expected = (abar.sqrt() * x0.double() + (1 - abar).sqrt() * eps.double()).clamp(-1.1, 1.1)
    assert x_t.dtype == torch.float32
    torch.testing.assert_close(x_t, expected.float())
    unclamped = (abar.sqrt() * x0.double() + (1 - abar).sqrt() * eps.double())
    torch.testing.assert_close(schedule.predict_noise(unclamped, t, x0), eps, rtol=1e-5, atol=1e-5)
    # eta = 0: the step keeps x0 and eps (DDIM's deterministic update)
    a_next = cosine_alphas_cumprod(1000)[5]
    step = schedule.ddim_step(x0, eps, 600, 5, eta=0.0, noise=None)
    torch.testing.assert_close(step, (a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps).float())
    with pytest.raises(ValueError, match='noise'):
        schedule.ddim_step(x0, eps, 600, 5, eta=1.0, noise=None)


def test_buffers_stay_float64_and_are_not_saved():
    model = nn.Sequential(DiffusionSchedule(100))
    model.float()
    assert model[0].alphas_cumprod.dtype == torch.float64
    model.half()
    assert model[0].sqrt_recipm1_alphas_cumprod.dtype == torch.float64
    assert model.state_dict() == {}


def test_sinusoidal_embedding_layout():
    emb = sinusoidal_embedding(torch.tensor([0, 7]), 8)
    freqs = torch.exp(torch.arange(4) * -(math.log(10000) / 3))
    torch.testing.assert_close(emb[1, :4], torch.sin(7 * freqs))
    torch.testing.assert_close(emb[1, 4:], torch.cos(7 * freqs))
    assert torch.equal(emb[0], torch.tensor([0.] * 4 + [1.] * 4))


def test_seeded_noise_ignores_batch_composition():
    both = SeededNoise(['a', 'b'], seed=3)
    alone = SeededNoise(['b'], seed=3)
    x = both.initial((2, 4, 3))
    torch.testing.assert_close(x[1:], alone.initial((1, 4, 3)))
    torch.testing.assert_close(both.step(0, x)[1:], alone.step(0, x[1:]))
    assert not torch.allclose(x[0], x[1])
    assert not torch.allclose(SeededNoise(['b'], seed=4).initial((1, 4, 3)), x[1:])
    with pytest.raises(ValueError, match='2 sample keys'):
        both.initial((3, 4, 3))
    replay = ReplayNoise([torch.zeros(1, 2), torch.ones(1, 2)])
    assert torch.equal(replay.step(0, torch.zeros(1, 2)), torch.ones(1, 2))
    with pytest.raises(ValueError, match='recorded'):
        replay.initial((2, 2))
