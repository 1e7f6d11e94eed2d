"""Helpers for the tool tests: run tools/*.py and tools/*.sh on the tiny
configs and the embedded 4-frame sample (data/h36m_sample) on CPU."""
import json
import os
import os.path as osp
import re
import socket
import subprocess
import sys
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CAPF_TINY = 'configs/capf/capf_tiny-hrnet-cpn_1xb2-1e_h36m-256x192-sample.py'
METAPOSE_TINY = ('configs/metapose/'
                 'metapose_tiny-hrnet-cpn_clip_1xb2-1e_h36m-256x192-sample.py')


def sample_options(batch_size: int = 2) -> List[str]:
    """``--cfg-options`` that point all loaders at the 4-frame npz sample
    and load in the main process."""
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = f'{loader}.dataset'
        options += [
            f'{loader}.num_workers=0', f'{loader}.persistent_workers=False',
            f'{dataset}.data_root=data/h36m_sample/',
            f'{dataset}.ann_file=test_h36m_body3d.npz',
            f'{dataset}.camera_param_file=cameras.pkl',
            f'{dataset}.keypoint_2d_det_file=test_h36m_2d_detection.npy',
            f'{dataset}.data_prefix.img=./'
        ]
    options.append(f'train_dataloader.batch_size={batch_size}')
    return options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# torchrun's report of a rank killed by SIGABRT / SIGSEGV
_RANK_KILLED = re.compile(r'exitcode\s*:\s*-(6|11)\b')


def run_tool(args: List[str], env: Optional[dict] = None,
             timeout: int = 300) -> str:
    """Run a tool from the repository root; return stdout + stderr.

    ``args`` starts with ``tools/x.py`` (run with this Python) or
    ``tools/x.sh`` (run with bash). A torchrun launch (``tools/dist_*.sh``)
    whose rank was killed by a signal is run once more: a 2-rank gloo run on
    CPU was seen, rarely, to abort in a rank at start-up (``terminate called
    without an active exception``) and pass unchanged when rerun; a failure
    of our code (a Python exception, or an abort that repeats) still fails.
    """
    python_path = os.pathsep.join(
        p for p in (REPO, os.environ.get('PYTHONPATH')) if p)
    full_env = dict(os.environ, PYTHONPATH=python_path, OMP_NUM_THREADS='1',
                    PYTHON=sys.executable)
    full_env.update(env or {})
    launcher = [sys.executable] if args[0].endswith('.py') else ['bash']
    for _ in range(2):
        proc = subprocess.run(
            launcher + args, cwd=REPO, env=full_env, capture_output=True,
            text=True, timeout=timeout)
        output = proc.stdout + proc.stderr
        if proc.returncode == 0 or not args[0].startswith('tools/dist_') or \
                not _RANK_KILLED.search(output):
            break
        if 'PORT' in full_env:
            full_env['PORT'] = str(free_port())
    assert proc.returncode == 0, output[-6000:]
    return output


def val_metrics(output: str) -> List[dict]:
    """P1/P2 (mm) of every ``Epoch(val)``/``Epoch(test)`` summary line."""
    found = []
    for line in output.splitlines():
        if re.search(r'Epoch\((val|test)\) +\[', line) and ' P1: ' in line:
            found.append({
                key: float(re.search(rf'\b{key}: ([\d.]+)', line).group(1))
                for key in ('P1', 'P2')
            })
    return found


def train_scalars(work_dir: str) -> List[dict]:
    """The training records of the run's ``vis_data/scalars.json``."""
    paths = [
        osp.join(root, name) for root, _, names in os.walk(work_dir)
        for name in names if name == 'scalars.json'
    ]
    assert len(paths) == 1, paths
    with open(paths[0]) as f:
        records = [json.loads(line) for line in f]
    return [r for r in records if 'loss' in r]
