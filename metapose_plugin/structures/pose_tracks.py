"""Tracked people of a video as 2D sequences: per-frame detections grouped by
track id, short gaps filled by linear interpolation, long gaps split.

Note:
    - T: frames of a track, N: people in a frame, K: joints
    - 2D keypoints are frame pixels; scores are the 2D model's confidences
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np


@dataclass
class FramePeople:
    """The people of one frame.

    Attributes:
        track_ids (np.ndarray): (N,) int64.
        keypoints (np.ndarray): (N, K, 2) float32 frame pixels.
        scores (np.ndarray): (N, K) float32.
        bboxes (np.ndarray): (N, 4) float32 xyxy frame pixels.
        bbox_scores (np.ndarray): (N,) float32.
    """

    track_ids: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray
    bboxes: np.ndarray
    bbox_scores: np.ndarray

    def __len__(self) -> int:
        return len(self.track_ids)


@dataclass
class Pose2DVideo:
    """The tracked 2D of a whole input (a video, frames or a keypoint file).

    Attributes:
        name (str): Input file or folder name, for outputs and errors.
        image_size (tuple[int, int]): Frame (w, h) in pixels.
        fps (float): Frames per second.
        frames (list[FramePeople]): One entry per frame, T in all.
    """

    name: str
    image_size: tuple
    fps: float
    frames: List[FramePeople] = field(default_factory=list)


@dataclass
class PoseTrack:
    """One person over consecutive frames.

    Attributes:
        track_id (int): Id in the outputs.
        frame_ids (np.ndarray): (T,) int64 consecutive frame indices.
        keypoints (np.ndarray): (T, K, 2) float32 frame pixels.
        scores (np.ndarray): (T, K) float32.
        bboxes (np.ndarray): (T, 4) float32 xyxy frame pixels.
        bbox_scores (np.ndarray): (T,) float32.
        interpolated (np.ndarray): (T,) bool, True where the frame was
            filled by interpolation (the person was not detected).
        keypoints_3d (np.ndarray, optional): (T, K, 3) lifted joints, camera
            frame, metres, root-relative; None before lifting.
    """

    track_id: int
    frame_ids: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray
    bboxes: np.ndarray
    bbox_scores: np.ndarray
    interpolated: np.ndarray
    keypoints_3d: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.frame_ids)


def keypoint_boxes(keypoints: np.ndarray) -> np.ndarray:
    """xyxy extent (N, 4) of keypoints (N, K, 2): a box for people the 2D
    source gave no box for."""
    return np.concatenate([keypoints.min(axis=1), keypoints.max(axis=1)], axis=-1)


_FIELDS = ('keypoints', 'scores', 'bboxes', 'bbox_scores')


def group_by_track(frames: List[FramePeople]) -> Dict[int, dict]:
    """Per track id: ``frame_ids`` (n,) and the fields of
    :class:`FramePeople` stacked over the n frames the id appears in.

    Raises:
        ValueError: If an id appears twice in one frame.
    """
    tracks: Dict[int, dict] = {}
    for frame_id, people in enumerate(frames):
        ids = np.asarray(people.track_ids, np.int64)
        if len(np.unique(ids)) != len(ids):
            raise ValueError(f'frame {frame_id}: track ids {ids.tolist()} repeat')
        for row, track_id in enumerate(ids.tolist()):
            track = tracks.setdefault(track_id, dict(frame_ids=[], **{k: [] for k in _FIELDS}))
            track['frame_ids'].append(frame_id)
            for key in _FIELDS:
                track[key].append(np.asarray(getattr(people, key)[row], np.float32))
    return {track_id: {key: np.asarray(value) for key, value in track.items()}
            for track_id, track in sorted(tracks.items())}


def fill_and_split(frame_ids: np.ndarray, values: Dict[str, np.ndarray],
                   max_gap: int) -> List[dict]:
    """Fill the gaps of one track by linear interpolation, or split it there.

    Args:
        frame_ids (np.ndarray): (n,) increasing frame indices of the track.
        values (dict[str, np.ndarray]): Arrays (n, ...) per frame.
        max_gap (int): Longest run of missing frames that is interpolated;
            a longer one splits the track.

    Returns:
        list[dict]: Pieces in time order, each with ``frame_ids`` (T,)
        consecutive, the arrays of ``values`` (T, ...) with missing frames
        interpolated linearly between their two neighbours (per element),
        and ``interpolated`` (T,) bool.
    """
    frame_ids = np.asarray(frame_ids, np.int64)
    if max_gap < 0:
        raise ValueError(f'max_gap must be >= 0, got {max_gap}')
    if (np.diff(frame_ids) <= 0).any():
        raise ValueError('frame_ids must be strictly increasing')
    cuts = np.flatnonzero(np.diff(frame_ids) - 1 > max_gap) + 1
    pieces = []
    for rows in np.split(np.arange(len(frame_ids)), cuts):
        known = frame_ids[rows]
        full = np.arange(known[0], known[-1] + 1)
        piece = dict(frame_ids=full, interpolated=~np.isin(full, known))
        for key, value in values.items():
            piece[key] = _interpolate(full, known, np.asarray(value)[rows])
        pieces.append(piece)
    return pieces


def _interpolate(full: np.ndarray, known: np.ndarray, value: np.ndarray) -> np.ndarray:
    """``value`` (n, ...) at ``known`` frames, linearly interpolated at every
    frame of ``full`` (T,): (T, ...)."""
    flat = value.reshape(len(known), -1).astype(np.float64)
    out = np.stack([np.interp(full, known, column) for column in flat.T], axis=-1)
    return out.reshape((len(full), ) + value.shape[1:]).astype(value.dtype)


def build_tracks(video: Pose2DVideo, max_gap: int, min_length: int) -> tuple:
    """The tracks of a video: grouped by id (:func:`group_by_track`), gaps
    filled or split (:func:`fill_and_split`), pieces shorter than
    ``min_length`` frames dropped. A track keeps its input id; the pieces
    after its long gaps get new ids above every input id, in order of first
    frame. The tracks are sorted by first frame, then id.

    Returns:
        tuple[list[PoseTrack], list[tuple[int, int, int]]]: the tracks, and
        per dropped piece ``(input track id, first frame, length)``.
    """
    grouped = group_by_track(video.frames)
    kept, later, dropped = [], [], []
    for source_id, track in grouped.items():
        values = {key: track[key] for key in _FIELDS}
        for index, piece in enumerate(fill_and_split(track['frame_ids'], values, max_gap)):
            first, length = int(piece['frame_ids'][0]), len(piece['frame_ids'])
            if length < min_length:
                dropped.append((source_id, first, length))
            elif index == 0:
                kept.append((first, source_id, piece))
            else:
                later.append((first, source_id, piece))
    next_id = max(grouped, default=-1) + 1
    for offset, (first, _, piece) in enumerate(sorted(later, key=lambda item: item[:2])):
        kept.append((first, next_id + offset, piece))
    kept.sort(key=lambda item: item[:2])
    tracks = [PoseTrack(track_id=track_id, **piece) for _, track_id, piece in kept]
    return tracks, dropped
