"""tools/slurm_*.sh build the srun command line like MMPose's (checked with
a stand-in ``srun`` that records its arguments)."""
import os
import subprocess

import pytest

from ._tool_utils import REPO


@pytest.fixture
def fake_srun(tmp_path):
    srun = tmp_path / 'srun'
    srun.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    srun.chmod(0o755)
    return tmp_path


def _run(fake_srun, script, args, **env):
    full_env = dict(os.environ, PATH=f'{fake_srun}:{os.environ["PATH"]}',
                    **env)
    proc = subprocess.run(['bash', f'tools/{script}', *args], cwd=REPO,
                          env=full_env, capture_output=True, text=True,
                          check=True)
    return proc.stdout.splitlines()


def test_slurm_train(fake_srun):
    argv = _run(fake_srun, 'slurm_train.sh',
                ['gpu', 'job', 'cfg.py', 'work', '--amp'], GPUS='16',
                GPUS_PER_NODE='4', CPUS_PER_TASK='3', SRUN_ARGS='--quotatype=spot')
    for item in ('-p', 'gpu', '--job-name=job', '--gres=gpu:4', '--ntasks=16',
                 '--ntasks-per-node=4', '--cpus-per-task=3',
                 '--kill-on-bad-exit=1', '--quotatype=spot', 'cfg.py',
                 '--work-dir=work', '--launcher=slurm', '--amp'):
        assert item in argv
    assert argv[argv.index('-u') + 1].endswith('tools/train.py')


def test_slurm_test_defaults(fake_srun):
    argv = _run(fake_srun, 'slurm_test.sh',
                ['gpu', 'job', 'cfg.py', 'ckpt.pth', '--out', 'm.json'])
    for item in ('--gres=gpu:8', '--ntasks=8', '--ntasks-per-node=8',
                 '--cpus-per-task=5', 'ckpt.pth', '--launcher=slurm',
                 '--out', 'm.json'):
        assert item in argv
    assert argv[argv.index('-u') + 1].endswith('tools/test.py')
