"""The plugin works outside its checkout: installed, not found via the cwd.

Each tool runs as a subprocess whose working directory is a temporary folder
and whose environment has no ``PYTHONPATH``. Python then puts only the
script's own folder on ``sys.path``, so ``import metapose_plugin`` (in our
tools, or through ``custom_imports`` in MMPose's own ``tools/train.py``)
succeeds only if the plugin is installed. pytest's own ``sys.path`` (which
holds the checkout) is not inherited by the subprocesses.
"""
import os
import os.path as osp
import re
import subprocess
import sys
from typing import List

import mmpose

from ._tool_utils import CAPF_TINY, REPO


def readme_sample_config() -> str:
    """The config of the README's first command (``make sample``)."""
    with open(osp.join(REPO, 'Makefile')) as f:
        return re.search(r'^SAMPLE_CONFIG \?= (\S+)$', f.read(), re.M).group(1)


def run_outside(args: List[str], cwd: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    return output


def one_epoch_options(work_dir: str) -> List[str]:
    return ['--work-dir', work_dir, '--cfg-options', 'train_cfg.max_epochs=1',
            'train_cfg.val_interval=1', 'param_scheduler.0.end=1']


def test_plugin_is_installed_from_this_checkout(tmp_path):
    output = run_outside(
        ['-c', 'import metapose_plugin; print("plugin at", metapose_plugin.__file__)'],
        cwd=str(tmp_path))
    found = re.search(r'^plugin at (.+)$', output, re.M).group(1)
    assert osp.samefile(found, osp.join(REPO, 'metapose_plugin', '__init__.py'))


def test_readme_train_step_runs_outside_checkout(tmp_path):
    work_dir = str(tmp_path / 'work')
    config = osp.join(REPO, readme_sample_config())
    output = run_outside([osp.join(REPO, 'tools', 'train.py'), config,
                          *one_epoch_options(work_dir)], cwd=str(tmp_path))
    assert 'P1: ' in output
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))


def test_mmpose_train_tool_runs_outside_checkout(tmp_path):
    work_dir = str(tmp_path / 'work')
    mmpose_train = osp.join(osp.dirname(mmpose.__file__), '.mim', 'tools', 'train.py')
    output = run_outside([mmpose_train, osp.join(REPO, CAPF_TINY),
                          *one_epoch_options(work_dir)], cwd=str(tmp_path))
    assert 'P1: ' in output
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
