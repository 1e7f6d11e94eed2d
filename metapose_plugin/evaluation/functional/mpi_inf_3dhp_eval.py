"""MPI-INF-3DHP PCK / AUC / MPJPE as the dataset's MATLAB scripts compute them.

A port of the evaluation of the official ``test_util`` scripts
(``mpii_evaluate_errors.m``, ``mpii_compute_3d_pck.m``; Mehta et al.,
"Monocular 3D Human Pose Estimation In The Wild Using Improved CNN
Supervision", 3DV 2017), written from SPEC_3DHP sections 4-6:

* only valid frames count; the ground truth is made root-relative (joint 14),
  the prediction is used as given (no centring, scaling or alignment);
* error: Euclidean distance per joint and frame, in mm;
* PCK: 100 x the fraction of errors ``< 150`` mm (strict) over the 14 joints
  0..13 in 8 groups; AUC: 100 x the mean over the 31 thresholds 0, 5, ..., 150
  of the same fraction; ``Total`` weights the groups by their sizes;
* MPJPE: per joint, the mean over frames; ``Average``: the mean of the 17
  per-joint values (root included);
* rows: one per sequence, one per activity (frames of all sequences pooled)
  and ``All`` (every valid frame).

The script prints no single headline. :func:`aggregate_sequences` adds the
aggregates papers use, each under its own key.

Note:
    N frames, K = 17 joints (3DHP order, root 14), H sampling steps.
"""
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from metapose_plugin.structures.mpi_inf_3dhp_joints import (MPI_INF_3DHP_JOINT_NAMES,
                                                            MPI_INF_3DHP_ROOT_INDEX)

#: PCK/AUC joint groups (``mpii_get_pck_auc_joint_groups``), 3DHP order.
PCK_JOINT_GROUPS: Tuple[Tuple[str, Tuple[int, ...]], ...] = (
    ('Head', (0, )), ('Neck', (1, )), ('Shou', (2, 5)), ('Elbow', (3, 6)),
    ('Wrist', (4, 7)), ('Hip', (8, 11)), ('Knee', (9, 12)),
    ('Ankle', (10, 13)))

#: Groups over MPM's 16 joints (``mpm16`` order of
#: :mod:`~metapose_plugin.structures.mpi_inf_3dhp_joints`): the
#: official groups without Neck (MPM drops it) and with Head = the
#: head_top/head mean. NOT the official protocol.
MPM16_PCK_JOINT_GROUPS: Tuple[Tuple[str, Tuple[int, ...]], ...] = (
    ('Head', (9, )), ('Shou', (13, 10)), ('Elbow', (14, 11)),
    ('Wrist', (15, 12)), ('Hip', (1, 4)), ('Knee', (2, 5)), ('Ankle', (3, 6)))

#: PCK threshold in mm (strict ``<``).
PCK_THRESHOLD_MM = 150.0

#: AUC thresholds in mm: 0, 5, ..., 150 (31 values).
AUC_THRESHOLDS_MM = np.arange(31, dtype=np.float64) * 5.0

#: Activity names by activity id 1..7 (``mpii_get_activity_name``).
ACTIVITY_NAMES: Tuple[str, ...] = ('Standing/Walking', 'Exercising',
                                   'Sitting', 'Reaching/Crouching',
                                   'On The Floor', 'Sports', 'Miscellaneous')

#: Valid-frame counts of the official README, used by P-STMO's spreadsheet to
#: weight the sequences. The data really hold 603/540/506/558/276/392.
README_VALID_FRAMES: Dict[str, int] = {
    'TS1': 603, 'TS2': 540, 'TS3': 505, 'TS4': 553, 'TS5': 276, 'TS6': 452
}

#: Scenes of the test set: green screen, studio without it, outdoor.
SCENES: Dict[str, Tuple[str, ...]] = {
    'GS': ('TS1', 'TS2'),
    'noGS': ('TS3', 'TS4'),
    'outdoor': ('TS5', 'TS6')
}

#: Per row metric -> the headline cell of the row.
_HEADLINE = (('mpjpe', 'mpjpe'), ('pck', 'Total'), ('auc', 'Total'))


def sequence_row_name(sequence: str) -> str:
    """Row name of a sequence in the sequence-wise table (``TS3`` ->
    ``TestSeq3``), as the scripts write it."""
    if sequence.startswith('TS') and sequence[2:].isdigit():
        return f'TestSeq{sequence[2:]}'
    return sequence


def root_relative(poses: np.ndarray,
                  root_index: int = MPI_INF_3DHP_ROOT_INDEX) -> np.ndarray:
    """Subtract the root joint from every joint.

    Args:
        poses (np.ndarray): Poses in shape (N, K, 3), camera frame.
        root_index (int): Index of the root. Defaults to 14 (pelvis).

    Returns:
        np.ndarray: Root-relative poses (N, K, 3), same dtype; the root is 0.
    """
    return poses - poses[..., root_index:root_index + 1, :]


def joint_errors(pred: np.ndarray, gt_relative: np.ndarray) -> np.ndarray:
    """Per joint and frame Euclidean error, as the drivers compute it.

    A float32 prediction (P-STMO's ``.mat``) is evaluated as MATLAB does
    ``single - double``: the ground truth is rounded to float32 and
    ``sqrt((dx^2 + dy^2) + dz^2)`` is computed in float32. Any other dtype is
    evaluated in float64.

    Args:
        pred (np.ndarray): Predictions in shape (N, K, 3), mm, used as given.
        gt_relative (np.ndarray): Root-relative ground truth (N, K, 3), mm.

    Returns:
        np.ndarray: Errors in shape (N, K), float64, mm.
    """
    pred = np.asarray(pred)
    if pred.shape != np.shape(gt_relative) or pred.shape[-1] != 3:
        raise ValueError(f'prediction {pred.shape} and ground truth '
                         f'{np.shape(gt_relative)} must both be (N, K, 3)')
    dtype = np.float32 if pred.dtype == np.float32 else np.float64
    diff = pred.astype(dtype) - np.asarray(gt_relative).astype(dtype)
    squared = diff * diff
    error = np.sqrt((squared[..., 0] + squared[..., 1]) + squared[..., 2])
    return error.astype(np.float64)


def count_as_misses(errors: np.ndarray) -> Tuple[np.ndarray, int]:
    """Errors of non-finite predictions made infinite: a miss for PCK and for
    AUC at every threshold, and an infinite MPJPE for every row holding
    one, so that the three metrics count the same joints.

    Args:
        errors (np.ndarray): Errors (N, K), mm; NaN where the prediction was
            not finite.

    Returns:
        tuple: The errors with every non-finite value +inf, and how many.
    """
    bad = ~np.isfinite(errors)
    return np.where(bad, np.inf, errors), int(bad.sum())


def mpjpe_row(errors: np.ndarray) -> Tuple[List[float], float]:
    """MPJPE of one table row.

    Args:
        errors (np.ndarray): Errors of the row's frames, (N, K), mm.

    Returns:
        tuple: The per-joint means over frames (K floats; NaN without frames)
        and ``Average``, their mean over all K joints.
    """
    if len(errors) == 0:
        per_joint = np.full(errors.shape[1], np.nan)
    else:
        per_joint = errors.mean(axis=0)
    return [float(v) for v in per_joint], float(per_joint.mean())


def pck_auc_row(
    errors: np.ndarray,
    joint_groups: Sequence[Tuple[str, Sequence[int]]] = PCK_JOINT_GROUPS
) -> Tuple[Dict[str, float], Dict[str, float]]:
    """PCK and AUC per joint group of one table row, plus ``Total``.

    ``Total`` is the group values weighted by group size, which equals
    pooling over the joints of all groups (``mpii_compute_3d_pck``).

    Args:
        errors (np.ndarray): Errors of the row's frames, (N, K), mm.
        joint_groups (sequence): ``(name, joint indices)`` pairs. Defaults to
            the eight 3DHP groups over joints 0..13.

    Returns:
        tuple: ``pck`` and ``auc`` dicts, group name (and ``'Total'``) ->
        percent; NaN when the row has no frames.
    """
    num_frames = len(errors)
    pck, auc = OrderedDict(), OrderedDict()
    total_pck, total_curve, total_joints = 0.0, np.zeros(
        len(AUC_THRESHOLDS_MM)), 0
    with np.errstate(invalid='ignore', divide='ignore'):
        for name, joints in joint_groups:
            group = errors[:, list(joints)]
            count = len(joints) * num_frames
            # (31,) fraction of the group's errors below each threshold
            curve = (group[None] < AUC_THRESHOLDS_MM[:, None, None]).sum(
                axis=(1, 2)) / count
            pck[name] = 100.0 * float(
                (group < PCK_THRESHOLD_MM).sum() / count)
            auc[name] = 100.0 * float(curve.sum() / len(AUC_THRESHOLDS_MM))
            total_pck += pck[name] * len(joints)
            total_curve = total_curve + curve * len(joints)
            total_joints += len(joints)
        pck['Total'] = total_pck / total_joints
        auc['Total'] = 100.0 * float(
            (total_curve / total_joints).sum() / len(AUC_THRESHOLDS_MM))
    return dict(pck), dict(auc)


def table_row(
    errors: np.ndarray,
    joint_groups: Sequence[Tuple[str, Sequence[int]]] = PCK_JOINT_GROUPS
) -> dict:
    """All cells of one row: ``mpjpe_per_joint`` (K), ``mpjpe`` (Average),
    ``pck`` and ``auc`` (group -> percent), the layout of ``results.json``.

    Args:
        errors (np.ndarray): Errors of the row's frames, (N, K), mm.
        joint_groups (sequence): PCK/AUC groups, see :func:`pck_auc_row`.
    """
    errors = np.asarray(errors, dtype=np.float64)
    needed = max(max(joints) for _, joints in joint_groups) + 1
    if errors.ndim != 2 or errors.shape[1] < needed:
        raise ValueError(f'errors have shape {errors.shape}, expected '
                         f'(N, K) with K >= {needed} joints')
    per_joint, average = mpjpe_row(errors)
    pck, auc = pck_auc_row(errors, joint_groups)
    return dict(mpjpe_per_joint=per_joint, mpjpe=average, pck=pck, auc=auc)


def evaluate_sequences(
    errors: Mapping[str, np.ndarray],
    activities: Mapping[str, np.ndarray],
    joint_groups: Sequence[Tuple[str, Sequence[int]]] = PCK_JOINT_GROUPS
) -> dict:
    """The sequence-wise and activity-wise tables of the script, and the
    aggregates.

    Args:
        errors (Mapping[str, np.ndarray]): Sequence name (``'TS1'``) -> the
            errors of its valid frames in frame order, (N, K), mm.
        activities (Mapping[str, np.ndarray]): Sequence name -> activity id
            (1..7) of the same frames, (N,). Ids outside 1..7 are counted in
            ``All`` only.
        joint_groups (sequence): PCK/AUC groups; the official eight by
            default.

    Returns:
        dict: ``sequencewise`` (``'TestSeq1'``... -> row), ``activitywise``
        (the seven activity names and ``'All'`` -> row; an activity without
        frames gives NaN), ``n_valid`` (frames per sequence, in order) and
        ``derived`` (:func:`aggregate_sequences`); rows as :func:`table_row`.
    """
    sequencewise = OrderedDict()
    for sequence, seq_errors in errors.items():
        if np.shape(activities[sequence]) != (len(seq_errors), ):
            raise ValueError(
                f'sequence {sequence}: {len(seq_errors)} frames of errors but '
                f'activity labels of shape {np.shape(activities[sequence])}')
        sequencewise[sequence_row_name(sequence)] = table_row(
            seq_errors, joint_groups)
    all_errors = np.concatenate([np.asarray(e) for e in errors.values()])
    all_activities = np.concatenate(
        [np.asarray(activities[s]).astype(np.int64) for s in errors])
    activitywise = OrderedDict()
    for activity_id, name in enumerate(ACTIVITY_NAMES, start=1):
        activitywise[name] = table_row(
            all_errors[all_activities == activity_id], joint_groups)
    activitywise['All'] = table_row(all_errors, joint_groups)
    n_valid = [int(len(e)) for e in errors.values()]
    return dict(
        sequencewise=dict(sequencewise),
        activitywise=dict(activitywise),
        n_valid=n_valid,
        derived=aggregate_sequences(
            dict(zip(errors, sequencewise.values())), n_valid,
            activitywise['All']))


def _weighted_mean(values: Sequence[float],
                   weights: Optional[Sequence[float]] = None) -> float:
    values = np.asarray(values, dtype=np.float64)
    if weights is None:
        return float(values.mean())
    weights = np.asarray(weights, dtype=np.float64)
    return float((values * weights).sum() / weights.sum())


def aggregate_sequences(rows: Mapping[str, dict], n_valid: Sequence[int],
                        all_row: dict) -> dict:
    """Headline aggregates of MPJPE (Average), PCK and AUC (Total).

    Args:
        rows (Mapping[str, dict]): Sequence name (``'TS1'``) -> its row.
        n_valid (Sequence[int]): Valid frames per sequence, same order.
        all_row (dict): The activity-wise ``All`` row (every valid frame).

    Returns:
        dict: metric (``mpjpe``, ``pck``, ``auc``) -> ``all_row`` (pooled over
        frames), ``frame_weighted_seq_mean`` (sequences weighted by their
        valid frames; equals ``all_row`` up to rounding),
        ``unweighted_seq_mean`` and, when every sequence is one of TS1..TS6,
        ``readme_weighted_seq_mean`` (weights 603/540/505/553/276/452 of the
        official README, as P-STMO's and CA-PF's published numbers) and
        ``readme_weighted_scene_mean`` (scene -> value, over the scenes whose
        two sequences are present).
    """
    derived = OrderedDict()
    readme = all(s in README_VALID_FRAMES for s in rows)
    for metric, cell in _HEADLINE:

        def value(row: dict) -> float:
            return row[metric] if metric == cell else row[metric][cell]

        seq_values = [value(row) for row in rows.values()]
        entry = OrderedDict(
            all_row=value(all_row),
            frame_weighted_seq_mean=_weighted_mean(seq_values, n_valid),
            unweighted_seq_mean=_weighted_mean(seq_values))
        if readme:
            entry['readme_weighted_seq_mean'] = _weighted_mean(
                seq_values, [README_VALID_FRAMES[s] for s in rows])
            entry['readme_weighted_scene_mean'] = {
                scene: _weighted_mean(
                    [value(rows[s]) for s in members],
                    [README_VALID_FRAMES[s] for s in members])
                for scene, members in SCENES.items()
                if all(s in rows for s in members)
            }
        derived[metric] = dict(entry)
    return dict(derived)


def format_tables(result: dict,
                  joint_names: Sequence[str] = MPI_INF_3DHP_JOINT_NAMES
                  ) -> str:
    """The sequence-wise and activity-wise tables as text, in the layout of
    the script's CSVs (MPJPE block, then PCK, then AUC), plus the aggregates.

    Args:
        result (dict): Output of :func:`evaluate_sequences`.
        joint_names (Sequence[str]): Names of the K joints (MPJPE columns).
    """
    lines = []
    for title in ('sequencewise', 'activitywise'):
        rows = result[title]
        width = max(len(r) for r in rows) + 2
        lines.append(f'== {title} ==')
        lines.append(f'{"MPJPE (mm)":<{width}}' + ''.join(
            f'{n[:9]:>10}' for n in joint_names) +
                     f'{"Average":>10}')
        for name, row in rows.items():
            lines.append(f'{name:<{width}}' + ''.join(
                f'{v:>10.2f}' for v in row['mpjpe_per_joint']) +
                         f'{row["mpjpe"]:>10.2f}')
        groups = list(next(iter(rows.values()))['pck'])
        for block in ('pck', 'auc'):
            lines.append(f'{block.upper():<{width}}' +
                         ''.join(f'{g:>10}' for g in groups))
            for name, row in rows.items():
                lines.append(f'{name:<{width}}' + ''.join(
                    f'{row[block][g]:>10.2f}' for g in groups))
    lines.append('== aggregates (MPJPE Average, PCK/AUC Total) ==')
    for metric, entry in result['derived'].items():
        for key, value in entry.items():
            if isinstance(value, dict):
                value = ', '.join(f'{k} {v:.4f}' for k, v in value.items())
            else:
                value = f'{value:.4f}'
            lines.append(f'{metric:<6}{key:<28}{value}')
    return '\n'.join(lines)
