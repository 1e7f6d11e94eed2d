"""The plugin as a wheel (``pip install .``, not editable) works outside the checkout.

A wheel is built from a copy of the package sources and installed into a
fresh virtual environment that sees the installed OpenMMLab stack
(``--system-site-packages``). From a folder outside the checkout, with no
``PYTHONPATH``, that environment's Python imports the wheel's copy (with its
package data), runs the tiny train and test of every method through MMPose's
own installed ``tools/train.py`` / ``tools/test.py``, runs
``tools/check_parity.py`` on a shared fixture and the diffusion benchmark.
"""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import mmpose
import pytest

from metapose_plugin.testing import shared_fixture_dir
from ._tool_utils import REPO

MMPOSE_TOOLS = osp.join(osp.dirname(mmpose.__file__), '.mim', 'tools')
ONE_EPOCH = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'randomness.seed=0']
SEQUENCE_SUBSET = ['train_dataloader.dataset.subset_frac=0.1',
                   'val_dataloader.dataset.subset_frac=0.1',
                   'test_dataloader.dataset.subset_frac=0.1']
#: method -> (config, extra --cfg-options of its short run)
TINY_RUNS = {
    'capf': ('configs/capf/capf_tiny-hrnet-cpn_1xb2-1e_h36m-256x192-sample.py',
             ['param_scheduler.0.end=1']),
    'metapose': ('configs/metapose/metapose_tiny-hrnet-cpn_clip_1xb2-1e_h36m-256x192-sample.py',
                 ['param_scheduler.0.end=1']),
    'finepose': ('configs/finepose/'
                 'finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py',
                 ['model.test_cfg.num_hypotheses=2', 'model.test_cfg.num_steps=1',
                  *SEQUENCE_SUBSET]),
    'mpm': ('configs/mpm/mpm-pretrain_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py',
            SEQUENCE_SUBSET),
    'multiview': ('configs/multiview_metapose/'
                  'multiview-metapose_tiny-ccat-mlp-1stage_1xb32-10e_h36m-videopose3d-sample.py',
                  []),
    'video_pose_lift': ('configs/video_pose_lift/'
                        'video-pose-lift_tcn-27frm-supv-cpn-ft_1xb64-3e_h36m-videopose3d-sample.py',
                        SEQUENCE_SUBSET),
    'motionbert': ('configs/motionbert/'
                   'motionbert_tiny-dstformer-27frm-cpn-ft_1xb8-1e_h36m-videopose3d-sample.py',
                   SEQUENCE_SUBSET),
}


def run(args: List[str], cwd: str, timeout: int = 600) -> str:
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{" ".join(map(str, args))}\n{output[-6000:]}'
    return output


@pytest.fixture(scope='module')
def venv_python(tmp_path_factory) -> str:
    """Python of a fresh venv holding the plugin's wheel (built from a copy of the sources)."""
    root = tmp_path_factory.mktemp('wheel')
    source = root / 'source'
    shutil.copytree(osp.join(REPO, 'metapose_plugin'), source / 'metapose_plugin',
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    for name in ('setup.cfg', 'pyproject.toml', 'README.md'):
        shutil.copy(osp.join(REPO, name), source / name)
    run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q',
         '-w', str(root / 'dist'), str(source)], cwd=str(root))
    (wheel, ) = (root / 'dist').glob('metapose_plugin-*.whl')
    run([sys.executable, '-m', 'venv', '--system-site-packages', str(root / 'venv')],
        cwd=str(root))
    python = str(root / 'venv' / 'bin' / 'python')
    run([python, '-m', 'pip', 'install', '--no-deps', '--no-index', '-q', str(wheel)],
        cwd=str(root))
    return python


def test_the_wheel_is_what_imports_with_its_package_data(venv_python, tmp_path):
    output = run([venv_python, '-c', (
        'import metapose_plugin, os\n'
        'from metapose_plugin.structures.h36m_cameras import H36M_CAMERAS_FILE\n'
        'from metapose_plugin.models.language_models.clip_text_loading import (\n'
        '    TINY_CLIP_TOKENIZER, resolve_package_data)\n'
        'print("plugin at", metapose_plugin.__file__)\n'
        'assert os.path.isfile(H36M_CAMERAS_FILE), H36M_CAMERAS_FILE\n'
        'tokenizer = resolve_package_data(TINY_CLIP_TOKENIZER)\n'
        'assert sorted(os.listdir(tokenizer)) == ["merges.txt", "vocab.json"], tokenizer\n')],
        cwd=str(tmp_path))
    found = Path(re.search(r'^plugin at (.+)$', output, re.M).group(1))
    assert 'site-packages' in found.parts and not str(found).startswith(REPO)


@pytest.mark.parametrize('method', sorted(TINY_RUNS))
def test_mmpose_tools_train_and_test_each_method(venv_python, tmp_path, method):
    config, options = TINY_RUNS[method]
    config = osp.join(REPO, config)
    work_dir = str(tmp_path / 'train')
    run([venv_python, osp.join(MMPOSE_TOOLS, 'train.py'), config, '--work-dir', work_dir,
         '--cfg-options', *ONE_EPOCH, *options], cwd=str(tmp_path))
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(checkpoint)
    if method == 'mpm':  # the pretraining run feeds the lifter
        config = osp.join(REPO, 'configs/mpm/mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-'
                          'videopose3d-sample.py')
        work_dir = str(tmp_path / 'lift')
        run([venv_python, osp.join(MMPOSE_TOOLS, 'train.py'), config, '--work-dir', work_dir,
             '--cfg-options', *ONE_EPOCH, *options,
             f'model.backbone.init_cfg.checkpoint={checkpoint}'], cwd=str(tmp_path))
        checkpoint = osp.join(work_dir, 'epoch_1.pth')
    output = run([venv_python, osp.join(MMPOSE_TOOLS, 'test.py'), config, checkpoint,
                  '--work-dir', str(tmp_path / 'test'), *(['--cfg-options', *options] if options
                                                          else [])],
                 cwd=str(tmp_path))
    assert re.search(r'Epoch\(test\) +\[\d+/\d+\] +\S', output), output[-3000:]


def test_check_parity_from_the_wheel(venv_python, tmp_path):
    fixture = shared_fixture_dir('3dhp_metric')
    output = run([venv_python, osp.join(REPO, 'tools', 'check_parity.py'), '--kind',
                  'mpi_inf_3dhp', str(fixture)], cwd=str(tmp_path))
    assert re.search(r'max', output), output[-2000:]  # exit 0 is asserted by run()


def test_diffusion_benchmark_from_the_wheel(venv_python, tmp_path):
    config = osp.join(REPO, TINY_RUNS['finepose'][0])
    output = run([venv_python, osp.join(REPO, 'tools', 'benchmark.py'), config, '--mode',
                  'diffusion', '--iters', '1', '--batch-size', '1', '--json',
                  str(tmp_path / 'bench.json'), '--cfg-options', 'model.test_cfg.num_steps=1',
                  'model.test_cfg.num_hypotheses=1'], cwd=str(tmp_path))
    assert osp.isfile(tmp_path / 'bench.json'), output[-2000:]
