"""Whether a missing shared fixture skips or fails: the switch, the message,
and a real marked test run without its fixture."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from metapose_plugin.testing.fixtures import (REQUIRE_FIXTURES_ENV, fixtures_required,
                                              missing_fixture_message, require_shared_fixture)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.parametrize('environ,required', [
    ({}, False),
    (dict(CI='true'), True),
    (dict(CI='false'), False),
    ({REQUIRE_FIXTURES_ENV: '1'}, True),
    ({REQUIRE_FIXTURES_ENV: '0', 'CI': 'true'}, False),
    ({REQUIRE_FIXTURES_ENV: 'yes'}, True),
])
def test_the_switch_and_ci(environ, required):
    assert fixtures_required(environ) is required


def test_the_message_names_what_is_missing(tmp_path):
    (tmp_path / 'here.pt').touch()
    assert missing_fixture_message([tmp_path / 'here.pt']) is None
    message = missing_fixture_message([tmp_path / 'here.pt', tmp_path / 'gone.pt'])
    assert str(tmp_path / 'gone.pt') in message and 'here.pt' not in message
    assert 'METAPOSE_SHARED_FIXTURES' in message and REQUIRE_FIXTURES_ENV in message


@pytest.mark.parametrize('required', [False, True])
def test_a_missing_fixture_skips_or_fails(tmp_path, monkeypatch, required):
    monkeypatch.setenv(REQUIRE_FIXTURES_ENV, '1' if required else '0')
    require_shared_fixture([tmp_path])  # present: nothing happens
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(outcome, match='gone.pt'):
        require_shared_fixture([tmp_path / 'gone.pt'])


def test_ci_fails_a_marked_test_without_its_fixture(tmp_path):
    """End to end, as .ci/run: a test marked ``shared_fixture`` (the MPM
    fixture) run with its folder missing errors, naming the file."""
    environ = dict(os.environ, METAPOSE_SHARED_FIXTURES=str(tmp_path), CI='true')
    environ.pop(REQUIRE_FIXTURES_ENV, None)
    environ['PYTHONPATH'] = os.pathsep.join(
        p for p in (REPO, os.environ.get('PYTHONPATH')) if p)
    test = ('tests/test_models/test_converters/test_mpm_ckpt_convert.py::'
            'test_reference_checkpoints_convert_strictly')
    proc = subprocess.run([sys.executable, '-m', 'pytest', test, '-q'], cwd=REPO, env=environ,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert 'shared reference fixture missing' in proc.stdout
    assert 'mpm_parity/weights.pt' in proc.stdout and 'error' in proc.stdout.splitlines()[-1]
