"""The window rule shared by the sequence dataset and the offline video path:
frames, edge padding, causal windows, tiling, merging predictions back."""
import numpy as np
import pytest

from metapose_plugin.structures.sequence_windows import (frame_window, merge_window_predictions,
                                                         tiled_window_starts, tiled_windows,
                                                         window_positions)


def test_centred_window_is_edge_padded_at_the_start():
    frames, pad, target = frame_window(2, num_frames=10, seq_len=7)
    assert frames.tolist() == [0, 0, 1, 2, 3, 4, 5]
    assert pad.tolist() == [True, False, False, False, False, False, False]
    assert target == 3 and frames[target] == 2


def test_centred_window_is_edge_padded_at_the_end():
    frames, pad, target = frame_window(8, num_frames=10, seq_len=7)
    assert frames.tolist() == [5, 6, 7, 8, 9, 9, 9]
    assert pad.tolist() == [False] * 5 + [True, True]
    assert frames[target] == 8


def test_strided_window_keeps_the_frame_phase():
    frames, pad, target = frame_window(5, num_frames=8, seq_len=5, seq_step=2)
    assert frames.tolist() == [1, 3, 5, 7, 7]
    assert pad.tolist() == [False, False, False, False, True]
    assert frames[target] == 5


def test_causal_window_ends_at_the_frame():
    frames, pad, target = frame_window(1, num_frames=10, seq_len=4, causal=True)
    assert frames.tolist() == [0, 0, 0, 1]
    assert pad.tolist() == [True, True, False, False]
    assert target == 3
    frames, pad, _ = frame_window(6, num_frames=10, seq_len=4, causal=True)
    assert frames.tolist() == [3, 4, 5, 6] and not pad.any()


def test_window_positions_clip_both_ends():
    frames, pad = window_positions(3, phase=0, start=-1, seq_len=6)
    assert frames.tolist() == [0, 0, 1, 2, 2, 2]
    assert pad.tolist() == [True, False, False, False, True, True]


def test_tiling_starts():
    assert tiled_window_starts(10, 4) == [0, 4, 6]
    assert tiled_window_starts(12, 4) == [0, 4, 8]
    assert tiled_window_starts(10, 4, stride=2) == [0, 2, 4, 6]
    assert tiled_window_starts(3, 4) == [0]
    with pytest.raises(ValueError, match='stride'):
        tiled_window_starts(10, 4, stride=5)


def test_tiled_windows_cover_each_phase():
    windows = tiled_windows(7, seq_len=2, seq_step=2)
    assert [w.tolist() for w, _ in windows] == [[0, 2], [4, 6], [1, 3], [3, 5]]
    assert not any(pad.any() for _, pad in windows)
    (frames, pad), = tiled_windows(3, seq_len=5)
    assert frames.tolist() == [0, 1, 2, 2, 2] and pad.tolist() == [False] * 3 + [True] * 2


def test_merge_first_window_wins_and_pads_are_dropped():
    windows = tiled_windows(5, seq_len=3)  # starts 0 and 2: frame 2 in both
    predictions = [np.full((3, 1, 1), 1.0), np.full((3, 1, 1), 3.0)]
    merged, count = merge_window_predictions(5, [f for f, _ in windows],
                                             [p for _, p in windows], predictions, False)
    assert merged[:, 0, 0].tolist() == [1, 1, 1, 3, 3]
    assert count.tolist() == [1] * 5
    averaged, count = merge_window_predictions(5, [f for f, _ in windows],
                                               [p for _, p in windows], predictions, True)
    assert averaged[:, 0, 0].tolist() == [1, 1, 2, 3, 3]
    assert count.tolist() == [1, 1, 2, 1, 1]
    (frames, pad), = tiled_windows(2, seq_len=4)
    padded, _ = merge_window_predictions(2, [frames], [pad],
                                         [np.arange(4.0).reshape(4, 1, 1)], True)
    assert padded[:, 0, 0].tolist() == [0, 1]  # positions 2, 3 repeat frame 1: dropped


def test_merge_refuses_uncovered_frames():
    with pytest.raises(ValueError, match=r'frames \[3\] of 4 are in no window'):
        merge_window_predictions(4, [np.array([0, 1, 2])], [np.zeros(3, bool)],
                                 [np.zeros((3, 1, 1))], False)
