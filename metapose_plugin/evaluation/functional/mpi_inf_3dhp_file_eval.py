"""Evaluate a 3DHP predictions ``.mat`` against ``TSk/annot_data.mat`` as
the MATLAB drivers do (P-STMO's and FinePOSE's), without MATLAB."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional

import numpy as np

from metapose_plugin.datasets.datasets.mpi_inf_3dhp_mat_layout import (
    PREDICTION_LAYOUTS, find_test_sequences, load_annot_data,
    load_predictions)
from .finite_check import check_finite, check_nonfinite_mode
from .mpi_inf_3dhp_eval import count_as_misses, evaluate_sequences, joint_errors, root_relative


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
                             skeleton: Optional[str] = None,
                             nonfinite: str = 'error') -> Dict[str, dict]:
    """All tables of a predictions file.

    Args:
        gt_root (str): Folder with ``TS1..TSk/annot_data.mat``.
        pred_path (str): Predictions ``.mat`` in ``layout``.
        layout (str): ``'pstmo'`` (valid frames only, evaluated against
            ``univ_annot3``) or ``'finepose'`` (every frame, one slice per
            sampling step, against ``annot3``).
        skeleton (str, optional): ``'annot3'`` or ``'univ_annot3'`` to
            override the layout's reference skeleton.
        nonfinite (str): ``'error'``: a NaN or inf prediction of a valid
            frame raises an error naming the file, sequence, step and
            frames; ``'miss'``: such joints count as misses for PCK and AUC
            and make MPJPE infinite (:func:`count_as_misses`), and the
            result says how many (``nonfinite_joints``). Defaults to
            ``'error'``.

    Returns:
        dict: run name (:func:`run_name`, plus ``_t<h>`` per sampling step in
        the finepose layout) -> the output of
        :func:`~.mpi_inf_3dhp_eval.evaluate_sequences` plus ``skeleton``.
    """
    if layout not in PREDICTION_LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}; expected one of '
                         f'{sorted(PREDICTION_LAYOUTS)}')
    check_nonfinite_mode(nonfinite, 'evaluate_prediction_file')
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
        if nonfinite == 'error':
            for step, step_pred in enumerate(pred, start=1):
                check_finite(step_pred, pred_path, f'{sequence} (sampling step {step})',
                             np.flatnonzero(valid[sequence]),
                             hint='--nonfinite miss counts them as misses.')
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
        errors, misses = {}, 0
        for sequence, pred in step.items():
            errors[sequence], count = count_as_misses(joint_errors(pred, gt[sequence]))
            misses += count
        result = evaluate_sequences(errors, activities)
        result['skeleton'] = skeleton
        result['nonfinite_joints'] = misses
        key = name if layout == 'pstmo' else f'{name}_t{index}'
        out[key] = result
    return dict(out)


def json_ready(value):
    """``value`` with NaN and inf replaced by None (strict JSON) and NumPy
    scalars converted."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
