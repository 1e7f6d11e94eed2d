"""Parity of the 3DHP metric with the MATLAB scripts (the ``3dhp_metric``
fixture layout: ``inputs/TS<k>/annot_data.mat``, predictions
``inputs/inference_data*.mat`` and the scripts' numbers in
``results.json``).

Each prediction file is evaluated in every layout whose run names
(:func:`~metapose_plugin.evaluation.functional.mpi_inf_3dhp_file_eval.run_name`)
occur in ``results.json``; every number of those runs is compared. Every
run of ``results.json`` is required: one that no file produces fails the
check.

Tolerances: PCK and AUC are ratios of counts (percent, float64 in both;
the fixture keeps every joint error 1e-3 mm away from a threshold, so the
counts agree exactly): 1e-9, about 1e-11 relative. MPJPE: the scripts
compute the joint errors in single precision, this port in float64; at
about 50 mm one float32 ulp is 3.8e-6 mm, and the fixture README measured
2e-6 mm: 1e-5 mm, a few float32 ulps.
"""
import glob
import json
import os.path as osp
from typing import Dict, Iterator, Optional, Tuple

from metapose_plugin.datasets.datasets.mpi_inf_3dhp_mat_layout import PREDICTION_LAYOUTS
from metapose_plugin.evaluation.functional.mpi_inf_3dhp_file_eval import (evaluate_prediction_file,
                                                                          run_name)
from metapose_plugin.parity.common import ParityResult, report

REQUIRED_FILES = ('results.json', 'inputs')

#: PCK and AUC in percent, MPJPE in mm (SPEC_3DHP section 8); reasons in the
#: module doc.
TOLERANCES = dict(pck=1e-9, auc=1e-9, mpjpe=1e-5)


def _cells(value, path: Tuple = ()) -> Iterator[Tuple[Tuple, float]]:
    """(path, number) of every number in nested dicts and lists."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _cells(item, path + (key, ))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _cells(item, path + (index, ))
    elif isinstance(value, (int, float)):
        yield path, value


def _kind(path: Tuple) -> Optional[str]:
    if any(isinstance(p, str) and p.startswith('mpjpe') for p in path):
        return 'mpjpe'
    return next((k for k in ('pck', 'auc') if k in path), None)


def max_diffs(expected: dict, ours: dict) -> Dict[str, float]:
    """Largest absolute difference per metric kind over every number of
    ``expected`` (a run of ``results.json``); a number missing from ``ours``
    or a NaN where ``expected`` has a value counts as infinite."""
    diffs = dict.fromkeys(TOLERANCES, 0.0)
    for path, value in _cells(expected):
        kind = _kind(path)
        if kind is None:  # n_valid: compared exactly below
            continue
        actual = ours
        try:
            for key in path:
                actual = actual[key]
            diff = abs(float(actual) - value)
        except (KeyError, IndexError, TypeError):
            diff = float('inf')
        diffs[kind] = max(diffs[kind], diff if diff == diff else float('inf'))
    if expected.get('n_valid') != ours.get('n_valid'):
        diffs = dict.fromkeys(TOLERANCES, float('inf'))
    return diffs


def check(fixture_dir: str) -> ParityResult:
    """Evaluate every prediction file and compare with ``results.json``."""
    with open(osp.join(fixture_dir, 'results.json')) as f:
        expected = json.load(f)
    inputs = osp.join(fixture_dir, 'inputs')
    diffs, tolerances, skipped = {}, {}, {}
    done = set()
    for pred in sorted(glob.glob(osp.join(inputs, '*.mat'))):
        for layout, spec in PREDICTION_LAYOUTS.items():
            prefix = run_name(pred, layout, spec['skeleton'])
            if not any(k == prefix or k.startswith(prefix + '_t')
                       for k in expected):
                continue
            for name, ours in evaluate_prediction_file(inputs, pred,
                                                       layout).items():
                if name not in expected:
                    continue
                done.add(name)
                for kind, diff in max_diffs(expected[name], ours).items():
                    diffs[f'{name} {kind}'] = diff
                    tolerances[f'{name} {kind}'] = TOLERANCES[kind]
    for name in expected:
        if name not in done:
            diffs[name] = None
            skipped[name] = 'no prediction file in inputs/ produces it'
    required = [f'{name} {kind}' for name in expected for kind in TOLERANCES]
    return report(diffs, tolerances, skipped, required)
