"""Windows of a pose sequence: which frames a sequence lifter sees.

One rule for the test dataset (:class:`H36MSequenceDataset`) and the offline
video path of :class:`MetaPose3DInferencer`, so that a lifter sees a video
track exactly as it saw its test data: a window of F frames taken every
``seq_step`` frames; a window position before the first or after the last
frame repeats that frame (edge padding) and is flagged.

Note:
    - T: frames of the sequence (a video or a tracked person), F: frames of a
      window, s: ``seq_step``, K: joints
"""
from typing import List, Optional, Tuple

import numpy as np


def window_positions(num_frames: int, phase: int, start: int, seq_len: int,
                     seq_step: int = 1) -> Tuple[np.ndarray, np.ndarray]:
    """Frames of one window: window position j is frame ``phase + (start +
    j) * seq_step``, clipped to the sequence.

    Args:
        num_frames (int): T.
        phase (int): First frame of the interleaved sub-sequence (0..s-1).
        start (int): Index of the window's first position in that
            sub-sequence (may be negative: left padding).
        seq_len (int): F.
        seq_step (int): s. Defaults to 1.

    Returns:
        tuple[np.ndarray, np.ndarray]: frame indices (F,) int64 in [0, T)
        and the pad mask (F,) bool, True where the position was outside
        the sequence (the index is then that of the first or last frame).
    """
    raw = phase + (start + np.arange(seq_len)) * seq_step
    pad = (raw < 0) | (raw >= num_frames)
    return np.clip(raw, 0, num_frames - 1).astype(np.int64), pad


def frame_window_start(frame: int, seq_len: int, seq_step: int = 1,
                       causal: bool = False) -> Tuple[int, int, int]:
    """The window that lifts one frame (sequence-to-frame lifters): centred
    on it (position ``(F - 1) // 2``), or ending at it when ``causal``.

    Args:
        frame (int): The lifted frame t.
        seq_len (int): F.
        seq_step (int): s. Defaults to 1.
        causal (bool): The window ends at t. Defaults to False.

    Returns:
        tuple[int, int, int]: ``phase``, ``start`` (for
        :func:`window_positions`) and the target position of t in the window.
    """
    target = seq_len - 1 if causal else (seq_len - 1) // 2
    return frame % seq_step, frame // seq_step - target, target


def frame_window(frame: int, num_frames: int, seq_len: int, seq_step: int = 1,
                 causal: bool = False) -> Tuple[np.ndarray, np.ndarray, int]:
    """Frames (F,), pad mask (F,) and target position of the window lifting
    ``frame`` (see :func:`frame_window_start`): frames ``t - c s .. t + (F -
    1 - c) s`` with c = ``(F - 1) // 2``, or ``t - (F - 1) s .. t`` when
    ``causal``."""
    phase, start, target = frame_window_start(frame, seq_len, seq_step, causal)
    frames, pad = window_positions(num_frames, phase, start, seq_len, seq_step)
    return frames, pad, target


def tiled_window_starts(count: int, seq_len: int, stride: Optional[int] = None) -> List[int]:
    """Starts of the windows tiling a (sub-)sequence of ``count`` frames:
    every ``stride`` frames (default F) while a whole window fits, then one
    window aligned to the end (right padding only when ``count`` < F).

    With ``stride`` = F this is FinePOSE's evaluation tiling: every frame in
    one window, except the frames the last window shares with its
    predecessor.
    """
    stride = seq_len if stride is None else stride
    if not 1 <= stride <= seq_len:
        raise ValueError(f'stride must be in [1, seq_len={seq_len}], got {stride}')
    last = max(count - seq_len, 0)
    return list(range(0, last, stride)) + [last]


def tiled_windows(num_frames: int, seq_len: int, seq_step: int = 1,
                  stride: Optional[int] = None) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Windows covering every frame (sequence-to-sequence lifters): each of
    the s interleaved sub-sequences (frames ``p, p + s, ...``) tiled by
    :func:`tiled_window_starts`.

    Args:
        num_frames (int): T.
        seq_len (int): F.
        seq_step (int): s. Defaults to 1.
        stride (int, optional): Window stride in sub-sequence frames;
            defaults to F (no overlap but the last window's).

    Returns:
        list[tuple[np.ndarray, np.ndarray]]: per window the frame indices
        (F,) and pad mask (F,), phase by phase, in time order.
    """
    windows = []
    for phase in range(min(seq_step, num_frames)):
        count = len(range(phase, num_frames, seq_step))
        for start in tiled_window_starts(count, seq_len, stride):
            windows.append(window_positions(num_frames, phase, start, seq_len, seq_step))
    return windows


def merge_window_predictions(num_frames: int, frames: List[np.ndarray], pads: List[np.ndarray],
                             predictions: List[np.ndarray],
                             average: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Put the per-window predictions of sequence-to-sequence windows back on
    the sequence's frames; padded positions are dropped.

    Args:
        num_frames (int): T.
        frames (list[np.ndarray]): Per window the frame indices (F,).
        pads (list[np.ndarray]): Per window the pad mask (F,).
        predictions (list[np.ndarray]): Per window the prediction (F, K, C).
        average (bool): Average a frame over every window that has it;
            False: the first window (in list order) that has it wins.

    Returns:
        tuple[np.ndarray, np.ndarray]: (T, K, C) float32 and the number of
        windows merged into each frame (T,) int64 (1 everywhere unless
        ``average``).

    Raises:
        ValueError: If a frame is in no window.
    """
    total = None
    count = np.zeros(num_frames, np.int64)
    for index, pad, prediction in zip(frames, pads, predictions):
        if total is None:
            total = np.zeros((num_frames, ) + prediction.shape[1:], np.float64)
        keep = ~pad if average else ~pad & (count[index] == 0)
        total[index[keep]] += prediction[keep]
        count[index[keep]] += 1
    if total is None or (count == 0).any():
        missing = np.flatnonzero(count == 0)
        raise ValueError(f'frames {missing[:10].tolist()} of {num_frames} are in no window')
    return (total / count.reshape((-1, ) + (1, ) * (total.ndim - 1))).astype(np.float32), count
