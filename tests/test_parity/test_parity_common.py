"""The verdict of a parity report: it cannot pass having compared nothing or
having missed a required output."""
import pytest
import torch

from metapose_plugin.parity.common import FLOAT32_EPS, float32_ulps, relative_tolerance, report


def test_all_within_tolerance_passes_and_counts(capsys):
    result = report(dict(a=1e-7, b=0.0, c=None), dict(default=1e-6), dict(c='no input'),
                    required=('a', 'b'))
    assert result.passed and bool(result)
    assert result.compared == ['a', 'b'] and result.skipped == dict(c='no input')
    out = capsys.readouterr().out
    assert 'c' in out and 'skipped (no input)' in out
    assert 'compared 2, failed 0, skipped 1, required missing 0: PASS' in out


@pytest.mark.parametrize('diffs,required,why', [
    (dict(a=None, b=float('nan')), (), 'nothing was compared'),
    ({}, (), 'nothing was compared'),
    (dict(a=1e-7, b=None), ('a', 'b'), 'required but not compared: b'),
    (dict(a=1e-7), ('a', 'gone'), 'required but not compared: gone'),
    (dict(a=2e-6, b=0.0), (), 'compared 2, failed 1'),
])
def test_a_check_fails_on_skips_missing_outputs_or_a_difference(capsys, diffs, required, why):
    result = report(diffs, dict(default=1e-6), required=required)
    assert not result.passed and not bool(result)
    out = capsys.readouterr().out
    assert why in out and 'FAIL' in out


def test_missing_tolerance_is_an_error():
    with pytest.raises(KeyError, match="'a'"):
        report(dict(a=0.0), {})


def test_tolerances_scale_with_the_reference():
    reference = torch.tensor([-4.0, 2.0])
    assert relative_tolerance(1e-12, reference) == pytest.approx(4e-12)
    assert relative_tolerance(1e-12, torch.tensor([0.25])) == pytest.approx(1e-12)
    # one float32 ulp at 4.96 is 2**-21 = 4.8e-7: within 4 ulps of max(1, 4.96)
    assert float32_ulps(4, torch.tensor(4.96)) == pytest.approx(4 * FLOAT32_EPS * 4.96)
    assert float32_ulps(4, torch.tensor(4.96)) > 2.0**-21
