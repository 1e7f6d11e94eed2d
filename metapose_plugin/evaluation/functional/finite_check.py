"""Refuse non-finite predictions before they become a number.

A NaN or inf in a prediction (a diverged model, NaN in its input) silently
turns a mean into NaN, or a PCK into a lower but finite value. Every metric
of the plugin checks its predictions with :func:`check_finite` and raises an
error naming the sample; the PCK-based 3DHP metric can instead count such
joints as misses (``nonfinite='miss'``), consistently for PCK, AUC and MPJPE.
"""
from typing import Sequence

import numpy as np

#: What a metric does with a non-finite prediction: raise, or (PCK-based
#: metrics) count the joint as a miss.
NONFINITE_MODES = ('error', 'miss')


def check_nonfinite_mode(mode: str, metric: str) -> str:
    """``mode`` if it is one of :data:`NONFINITE_MODES`, else an error."""
    if mode not in NONFINITE_MODES:
        raise ValueError(f'{metric}: nonfinite must be one of {NONFINITE_MODES}, got {mode!r}')
    return mode


def check_finite(prediction: np.ndarray, metric: str, sample: str,
                 frame_ids: Sequence[int] = None, hint: str = '') -> None:
    """Raise if ``prediction`` holds NaN or inf.

    Args:
        prediction (np.ndarray): Poses in shape (..., K, C); the leading axes
            are frames (or hypotheses and frames).
        metric (str): The metric's name, for the message.
        sample (str): Which sample it is (index, subject, action, camera or
            sequence), for the message.
        frame_ids (Sequence[int], optional): Ids of the F frames of the
            third-last axis, to name the first bad frames.
        hint (str): Appended to the message (e.g. how to count misses).

    Raises:
        ValueError: Naming the sample, the first bad frames and the joints.
    """
    prediction = np.asarray(prediction)
    bad = ~np.isfinite(prediction)
    if not bad.any():
        return
    per_joint = bad.reshape(-1, *prediction.shape[-2:]).any(axis=(0, 2))
    where = f'joints {np.flatnonzero(per_joint).tolist()}'
    if frame_ids is not None and prediction.ndim >= 3:
        frames = bad.reshape(-1, len(frame_ids), *prediction.shape[-2:]).any(axis=(0, 2, 3))
        where = (f'frames {np.asarray(frame_ids)[frames][:5].tolist()}'
                 f'{" ..." if frames.sum() > 5 else ""}, ' + where)
    raise ValueError(f'{metric}: the prediction of {sample} is not finite (NaN or inf) at '
                     f'{where}: a diverged model or NaN in its input; no metric is computed '
                     f'from it.{" " + hint if hint else ""}')
