"""benchmark mode 'diffusion' on the tiny FinePOSE config (CPU)."""
import re

import torch
from mmengine.config import Config

from metapose_plugin.utils.benchmark import run_benchmark

TINY = ('configs/finepose/'
        'finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py')


def test_diffusion_mode_reports_variants_with_identical_outputs():
    torch.set_num_threads(1)
    cfg = Config.fromfile(TINY)
    cfg.model.backbone.num_frames = 9
    cfg.model.backbone.cpu_tokens_per_pass = 400  # passes: adds 'one_pass'
    report = run_benchmark(cfg, 'diffusion', batch_size=2, iters=1)
    results = report['results']
    for variant in ('ours', 'one_pass', 'explicit_attn', 'two_calls', 'reference_pattern'):
        assert results[f'{variant}_windows_per_s'] > 0 and results[f'{variant}_peak_mib'] >= 0
    assert 'speedup_vs_reference_pattern' in results
    assert report['batch_size'] == 2 and 'F=9, H=2' in report['notes']['geometry']
    # every variant computes the same samples (same per-sample noise)
    max_diff = float(re.search(r'([\d.e+-]+) m', report['notes']['outputs']).group(1))
    assert max_diff < 1e-5
