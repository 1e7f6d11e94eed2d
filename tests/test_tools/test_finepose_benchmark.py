"""benchmark mode 'diffusion' on the tiny FinePOSE config (CPU)."""
import pytest
import torch
from mmengine.config import Config

from metapose_plugin.utils.benchmark import diffusion_mode, run_benchmark

TINY = ('configs/finepose/'
        'finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py')


def tiny_cfg(flip_test=True):
    cfg = Config.fromfile(TINY)
    cfg.model.backbone.num_frames = 9
    cfg.model.backbone.cpu_tokens_per_pass = 400  # passes: adds 'one_pass'
    cfg.model.test_cfg.flip_test = flip_test
    return cfg


@pytest.mark.parametrize('flip_test', [True, False])
def test_every_variant_does_the_work_of_ours(flip_test):
    torch.set_num_threads(1)
    report = run_benchmark(tiny_cfg(flip_test), 'diffusion', batch_size=2, iters=1)
    results = report['results']
    variants = ['ours', 'one_pass', 'explicit_attn', 'reference_standin']
    variants += ['two_calls'] if flip_test else []
    H, N = 2, 2  # the tiny config's hypotheses and steps
    sequences = 2 * H * (2 if flip_test else 1) * N
    for variant in variants:
        assert results[f'{variant}_sequences'] == sequences, variant
        assert results[f'{variant}_process_peak_mib'] >= results[f'{variant}_growth_mib'] >= 0
    assert ('two_calls_sequences' in results) == flip_test
    assert 'speedup_vs_reference_standin' in results
    assert f'flip={flip_test}' in report['notes']['geometry']
    assert 'not the reference' in report['notes']['reference_standin']


def test_unequal_work_is_refused(monkeypatch):
    """A stand-in that skips the mirrored view does half the work: no ratio."""
    torch.set_num_threads(1)
    original = diffusion_mode._call_per_view_sample
    monkeypatch.setattr(diffusion_mode, '_call_per_view_sample',
                        lambda model, x, text_fn, noise, flip: original(model, x, text_fn, noise,
                                                                        None))
    with pytest.raises(RuntimeError, match='unequal work'):
        run_benchmark(tiny_cfg(), 'diffusion', batch_size=2, iters=1)
