"""tools/benchmark.py: argument handling, JSON report of every mode on the
tiny configs (--iters 2), the text-tower counts and the memory probe.
Timings are not asserted beyond being positive (shared CI machine)."""
import json
import os.path as osp
import runpy
import time

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from ._tool_utils import CAPF_TINY, METAPOSE_TINY, REPO

TOOL = osp.join(REPO, 'tools', 'benchmark.py')
METAPOSE_REF = ('configs/metapose/'
                'metapose-ref_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py')


@pytest.fixture(scope='module')
def tool():
    """The tool's namespace (``parse_args``, ``main``), loaded once."""
    return runpy.run_path(TOOL)


@pytest.fixture(autouse=True)
def mmpose_scope():
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


def _run(tool, tmp_path, config, *options):
    out = str(tmp_path / 'report.json')
    tool['main']([osp.join(REPO, config), '--iters', '2', '--json', out, *options])
    with open(out) as file:
        return json.load(file)


def _check_report(report, mode, keys):
    assert report['mode'] == mode
    assert report['iters'] == 2
    assert isinstance(report['batch_size'], int) and report['batch_size'] >= 1
    assert report['machine']['cpu_count'] >= 1
    assert isinstance(report['machine']['cpu'], str)
    results = report['results']
    assert set(keys) <= set(results), set(keys) - set(results)
    for key in keys:
        assert isinstance(results[key], (int, float)), key
        assert np.isfinite(results[key]) and results[key] > 0, (key, results[key])
    assert report['notes'] and all(isinstance(v, str) for v in report['notes'].values())


@pytest.mark.parametrize('argv,message', [
    (['--mode', 'fly'], 'invalid choice'),
    (['--iters', '0'], '--iters must be >= 1'),
    (['--batch-size', '0'], '--batch-size must be >= 1'),
    (['--device', 'tpu'], 'invalid choice'),
    (['--text-tower', 'clip-h14'], 'invalid choice'),
])
def test_bad_arguments_exit_with_a_message(tool, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        tool['parse_args']([osp.join(REPO, CAPF_TINY), *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_config_and_defaults(tool, capsys):
    with pytest.raises(SystemExit):
        tool['parse_args'](['no/such/config.py'])
    assert 'no/such/config.py' in capsys.readouterr().err
    args = tool['parse_args']([osp.join(REPO, CAPF_TINY)])
    assert (args.mode, args.device, args.batch_size, args.iters) == ('train', 'cpu', None, 10)
    assert not args.no_text_cache and args.json_out is None and args.text_tower is None


def test_train_report_capf(tool, tmp_path, capsys):
    report = _run(tool, tmp_path, CAPF_TINY, '--batch-size', '3')
    _check_report(report, 'train', [
        'train_samples_per_s', 'train_step_ms', 'train_peak_mem_mib', 'deform_attn_fwd_ms',
        'deform_attn_fwd_bwd_ms'
    ])
    assert report['batch_size'] == 3
    assert report['results']['deform_attn_kernel'] == 0.0  # CPU: PyTorch path
    assert 'text_tower_calls_per_step' not in report['results']
    assert 'train_samples_per_s' in capsys.readouterr().out  # the table


@pytest.mark.parametrize('faithful', [False, True])
def test_train_text_tower_runs(tool, tmp_path, faithful):
    """Trainable prompts: one tower run per step, one row per distinct
    action (not per sample); frozen faithful prompts: none after step 1."""
    options = ['--batch-size', '6']
    if faithful:
        options += ['--cfg-options', 'model.text_encoder.faithful=True',
                    'model.text_encoder.train_prompts=False', 'model.neck.faithful=True',
                    'model.neck.kl_weight=0.0']
    results = _run(tool, tmp_path, METAPOSE_TINY, *options)['results']
    distinct = results['text_distinct_prompts']
    assert 1 <= distinct <= 6
    assert results['text_tower_calls_first_step'] == 1
    assert results['text_rows_first_step'] == distinct
    if faithful:
        assert results['text_tower_calls_per_step'] == 0
        assert results['text_rows_per_step'] == 0
    else:
        assert results['text_tower_calls_per_step'] == 1
        assert results['text_rows_per_step'] == distinct


def test_infer_report_with_and_without_text_cache(tool, tmp_path):
    report = _run(tool, tmp_path, METAPOSE_TINY, '--mode', 'infer', '--batch-size', '4',
                  '--no-text-cache')
    keys = ['infer_samples_per_s_b1', 'infer_samples_per_s_large',
            'infer_samples_per_s_b1_no_text_cache', 'text_cache_speedup_b1',
            'text_cache_speedup_large']
    _check_report(report, 'infer', keys)
    results = report['results']
    # both sides run the same 3 batches (a warm-up, 2 timed); only the
    # uncached side runs the CLIP tower, once per batch (text features are
    # computed once per batch, flip test included)
    for size in ('b1', 'large'):
        assert results[f'text_tower_calls_uncached_{size}'] == 3
        assert results[f'text_tower_calls_cached_{size}'] <= 1
    assert report['no_text_cache'] is True


def test_data_report(tool, tmp_path):
    report = _run(tool, tmp_path, CAPF_TINY, '--mode', 'data')
    _check_report(report, 'data', [
        f'{stage}_fps{per}_{decode}' for stage in ('decode_crop', 'pipeline')
        for per in ('', '_per_cpu_s') for decode in ('full', 'reduced')
    ])
    assert report['results']['num_frames'] == 4


def test_pipeline_report(tool, tmp_path):
    report = _run(tool, tmp_path, CAPF_TINY, '--mode', 'pipeline')
    results = report['results']
    _check_report(report, 'pipeline', [
        'pipeline_2d_ms', 'pipeline_3d_reuse_ms', 'pipeline_3d_no_reuse_ms',
        'ratio_3d_over_2d_reuse', 'ratio_3d_over_2d_no_reuse'
    ])
    assert results['feature_reuse'] == 1.0
    assert 'whole_image' in report['notes']['pipeline']


def test_download_configs_need_a_random_tower():
    from metapose_plugin.utils.benchmark import build_random_model, use_random_text_tower
    cfg = Config.fromfile(osp.join(REPO, METAPOSE_REF))
    with pytest.raises(ValueError, match='download.*--text-tower'):
        build_random_model(cfg, 'cpu')
    use_random_text_tower(cfg, 'clip-l14', 'metapose_plugin::tiny_clip_tokenizer')
    text_config = cfg.model.text_encoder.text_config
    assert (text_config.hidden_size, text_config.num_hidden_layers) == (768, 12)
    assert cfg.model.text_encoder.model_name_or_path is None
    assert cfg.model.neck.text_channels == 768
    with pytest.raises(ValueError, match='no text_encoder'):
        use_random_text_tower(Config.fromfile(osp.join(REPO, CAPF_TINY)), 'clip-b32', '.')


def test_timer_and_peak_memory():
    from metapose_plugin.utils.benchmark import PeakMemory, seconds_per_call
    calls = []
    seconds = seconds_per_call(lambda: (calls.append(1), time.sleep(0.01)), 3, 'cpu', warmup=2)
    assert len(calls) == 5
    assert 0.01 <= seconds < 0.5
    with PeakMemory('cpu') as memory:
        block = np.ones(200 * 2**20 // 8)  # 200 MiB, touched
        del block
    # the growth sees the block; the process peak also what was held before
    assert 150 < memory.growth_mib < 400, memory.growth_mib
    assert memory.process_peak_mib > memory.growth_mib + 50
    assert 'CPU' in memory.method
