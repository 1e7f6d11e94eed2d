import torch

from metapose_plugin.models.layers.uniform_dropout import UniformDropout


def test_keeps_each_element_with_probability_one_minus_p_and_rescales():
    torch.manual_seed(0)
    drop = UniformDropout(0.25).train()
    x = torch.ones(200_000, requires_grad=True)
    y = drop(x)
    kept = y != 0
    # binomial std of the kept fraction at n = 2e5 is 1e-3
    assert abs(kept.float().mean().item() - 0.75) < 5e-3
    torch.testing.assert_close(y[kept], torch.full_like(y[kept], 1 / 0.75))
    y.sum().backward()
    torch.testing.assert_close(x.grad, kept.float() / 0.75)


def test_identity_in_eval_and_at_p_zero():
    x = torch.randn(7, 5)
    assert UniformDropout(0.5).eval()(x) is x
    assert UniformDropout(0.0).train()(x) is x
    assert (UniformDropout(1.0).train()(x) == 0).all()
    assert UniformDropout(0.3).state_dict() == torch.nn.Dropout(0.3).state_dict()
