"""`tools/check_parity.py --kind multiview` against the TensorFlow fixture."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest

from metapose_plugin.parity import check_parity
from metapose_plugin.testing.fixtures import shared_fixture_dir

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURE = shared_fixture_dir('multiview_metapose')
pytestmark = pytest.mark.skipif(not (FIXTURE / 'metapose_ref.npz').exists(),
                                reason='multiview_metapose fixture absent')


def _run(folder):
    # this checkout's package, not an installed copy
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (REPO, os.environ.get('PYTHONPATH')) if p))
    return subprocess.run([sys.executable, 'tools/check_parity.py', '--kind', 'multiview',
                           str(folder)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def test_parity_passes_on_the_fixture():
    proc = _run(FIXTURE)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    for name in ('rec0/s1/pose3d_opt_preds', 's2/solver/x_opt', 's2/metric/pmpjpe',
                 'rec1/s1_cams02/loss', 'unit/grad/d_pose'):
        assert name in proc.stdout


def test_parity_fails_on_a_perturbed_fixture(tmp_path, capsys):
    data = dict(np.load(FIXTURE / 'metapose_ref.npz'))
    data['s2/stage0/update'] = data['s2/stage0/update'] + 1e-6
    np.savez(tmp_path / 'metapose_ref.npz', **data)
    shutil.copy(FIXTURE / 'meta.json', tmp_path / 'meta.json')
    assert not check_parity('multiview', str(tmp_path))
    failed = [line.split()[0] for line in capsys.readouterr().out.splitlines()
              if line.endswith('FAIL')]
    assert failed == ['s2/stage0/update']


def test_parity_reads_what_a_smaller_fixture_has(tmp_path, capsys):
    data = {k: v for k, v in np.load(FIXTURE / 'metapose_ref.npz').items()
            if not k.startswith(('s2/', 'rec2/', 'unit/grad', 'rec0/s1_steps_lambda1'))}
    np.savez(tmp_path / 'metapose_ref.npz', **data)
    shutil.copy(FIXTURE / 'meta.json', tmp_path / 'meta.json')
    assert check_parity('multiview', str(tmp_path))
    out = capsys.readouterr().out
    assert 's2  ' in out and 'skipped' in out and 'rec2/' not in out
    assert 'rec1/s1_cams02/loss' in out and 'rec0/s1_steps_lambda0/pose' in out
