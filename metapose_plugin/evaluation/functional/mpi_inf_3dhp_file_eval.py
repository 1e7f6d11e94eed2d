"""Evaluate a 3DHP predictions ``.mat`` against ``TSk/annot_data.mat`` as
the MATLAB drivers do (P-STMO's and FinePOSE's), without MATLAB."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional

import numpy as np

from metapose_plugin.datasets.datasets.mpi_inf_3dhp_mat_layout import (
    PREDICTION_LAYOUTS, find_test_sequences, load_annot_data,
    load_predictions)
from .mpi_inf_3dhp_eval import evaluate_sequences, joint_errors, root_relative


def run_name(pred_path: str, layout: str, skeleton: str) -> str:
    """Key of a run in ``results.json``: ``<layout>_<skeleton><tag>``, where
    ``<tag>`` is what follows ``inference_data`` in the file name (the
    drivers' output suffix, e.g. ``_J_Agg``), or ``_<file stem>`` for other
    names."""
    stem = osp.splitext(osp.basename(pred_path))[0]
    tag = stem[len('inference_data'):] if stem.startswith(
        'inference_data') else f'_{stem}'
    return f'{layout}_{skeleton}{tag}'


def evaluate_prediction_file(gt_root: str,
                             pred_path: str,
                             layout: str,
                             skeleton: Optional[str] = None
                             ) -> Dict[str, dict]:
    """All tables of a predictions file.

    Args:
        gt_root (str): Folder with ``TS1..TSk/annot_data.mat``.
        pred_path (str): Predictions ``.mat`` in ``layout``.
        layout (str): ``'pstmo'`` (valid frames only, evaluated against
            ``univ_annot3``) or ``'finepose'`` (every frame, one slice per
            sampling step, against ``annot3``).
        skeleton (str, optional): ``'annot3'`` or ``'univ_annot3'`` to
            override the layout's reference skeleton.

    Returns:
        dict: run name (:func:`run_name`, plus ``_t<h>`` per sampling step in
        the finepose layout) -> the output of
        :func:`~.mpi_inf_3dhp_eval.evaluate_sequences` plus ``skeleton``.
    """
    if layout not in PREDICTION_LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}; expected one of '
                         f'{sorted(PREDICTION_LAYOUTS)}')
    skeleton = skeleton or PREDICTION_LAYOUTS[layout]['skeleton']
    if skeleton not in ('annot3', 'univ_annot3'):
        raise ValueError(f'unknown skeleton {skeleton!r}; expected annot3 '
                         'or univ_annot3')
    sequences = find_test_sequences(gt_root)
    predictions = load_predictions(pred_path, layout, sequences)
    gt, activities, valid = {}, {}, {}
    for sequence in sequences:
        annot = load_annot_data(osp.join(gt_root, sequence, 'annot_data.mat'))
        valid[sequence] = annot['valid']
        gt[sequence] = root_relative(annot[skeleton])[annot['valid']]
        activities[sequence] = annot['activity'][annot['valid']]

    steps = []  # per sampling step: sequence -> (N_valid, K, 3)
    for sequence in sequences:
        pred = predictions[sequence]
        n_valid, n_frames = int(valid[sequence].sum()), len(valid[sequence])
        if layout == 'pstmo':
            pred = pred[None]
            expected = n_valid
        else:
            expected = n_frames
        if pred.shape[1:] != (expected, ) + gt[sequence].shape[1:]:
            frames = 'valid frames' if layout == 'pstmo' else 'all frames'
            raise ValueError(
                f'{pred_path}: {sequence} holds {pred.shape[1:]} predictions '
                f'per step, expected ({expected}, {gt[sequence].shape[1]}, '
                f'3) ({frames} of '
                f'{osp.join(gt_root, sequence, "annot_data.mat")})')
        if layout == 'finepose':
            pred = pred[:, valid[sequence]]
        if steps and len(pred) != len(steps):
            raise ValueError(f'{pred_path}: {sequence} has {len(pred)} '
                             f'sampling steps, {sequences[0]} has '
                             f'{len(steps)}')
        if not steps:
            steps = [OrderedDict() for _ in range(len(pred))]
        for step, step_pred in zip(steps, pred):
            step[sequence] = step_pred

    name = run_name(pred_path, layout, skeleton)
    out = OrderedDict()
    for index, step in enumerate(steps, start=1):
        errors = {s: joint_errors(p, gt[s]) for s, p in step.items()}
        result = evaluate_sequences(errors, activities)
        result['skeleton'] = skeleton
        key = name if layout == 'pstmo' else f'{name}_t{index}'
        out[key] = result
    return dict(out)


def json_ready(value):
    """``value`` with NaN replaced by None (strict JSON) and NumPy scalars
    converted."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value
