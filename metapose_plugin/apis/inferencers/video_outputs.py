"""Outputs of a lifted video: per frame the people (data sample and JSON),
per track the 3D sequence (:func:`write_video_outputs`, the one place that
writes files from the tracks)."""
import io
import os.path as osp
from typing import List

import mmengine
import numpy as np
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from metapose_plugin.engine.fileio import write_atomically
from metapose_plugin.structures.pose_tracks import PoseTrack

from ..bvh_export import write_bvh


def frame_sample(tracks: List[PoseTrack], frame_id: int, metainfo: dict) -> PoseDataSample:
    """The lifted people of one frame, sorted by track id.

    Note:
        N: people in the frame, K: joints (17, H36M order).

    Args:
        tracks (list[PoseTrack]): Lifted tracks (``keypoints_3d`` set).
        frame_id (int): The frame.
        metainfo (dict): The sample's metainfo (``img_path``, ``ori_shape``).

    Returns:
        PoseDataSample: ``pred_instances`` with ``keypoints`` (N, K, 3)
        camera frame, metres, root-relative; ``keypoint_scores`` (N, K)
        ones (a sequence lifter gives no 3D confidence); ``keypoints_2d``
        (N, K, 2) frame pixels and ``keypoint_scores_2d`` (N, K), the 2D the
        3D came from; ``bboxes`` (N, 4) xyxy pixels; ``bbox_scores`` (N,);
        ``track_ids`` (N,); ``interpolated`` (N,) bool (the person was not
        detected in this frame: 2D interpolated).
    """
    rows = []
    for track in sorted(tracks, key=lambda t: t.track_id):
        offset = frame_id - int(track.frame_ids[0])
        if 0 <= offset < len(track):
            rows.append((track, offset))
    num_joints = tracks[0].keypoints.shape[1] if tracks else 17

    def stack(values, shape, dtype=np.float32):
        return np.asarray(values, dtype).reshape((len(rows), ) + shape)

    instances = InstanceData(
        keypoints=stack([t.keypoints_3d[i] for t, i in rows], (num_joints, 3)),
        keypoint_scores=np.ones((len(rows), num_joints), np.float32),
        keypoints_2d=stack([t.keypoints[i] for t, i in rows], (num_joints, 2)),
        keypoint_scores_2d=stack([t.scores[i] for t, i in rows], (num_joints, )),
        bboxes=stack([t.bboxes[i] for t, i in rows], (4, )),
        bbox_scores=stack([t.bbox_scores[i] for t, i in rows], ()),
        track_ids=stack([t.track_id for t, _ in rows], (), np.int64),
        interpolated=stack([t.interpolated[i] for t, i in rows], (), bool))
    return PoseDataSample(metainfo=metainfo, pred_instances=instances)


def to_json(pred: PoseDataSample) -> List[dict]:
    """The people of a frame as JSON-ready dicts: ``track_id``, ``bbox``
    ``[x1, y1, x2, y2]``, ``bbox_score``, ``keypoints_2d`` (17 x [x, y],
    frame pixels), ``keypoint_scores_2d``, ``keypoints_3d`` (17 x [x, y, z],
    root-relative camera frame, metres), ``keypoint_scores_3d`` and, from
    the offline path, ``interpolated`` (bool)."""
    people = pred.pred_instances
    records = []
    for i in range(len(people)):
        record = dict(track_id=int(people.track_ids[i]),
                      bbox=people.bboxes[i].tolist(),
                      bbox_score=float(people.bbox_scores[i]),
                      keypoints_2d=people.keypoints_2d[i].tolist(),
                      keypoint_scores_2d=people.keypoint_scores_2d[i].tolist(),
                      keypoints_3d=people.keypoints[i].tolist(),
                      keypoint_scores_3d=people.keypoint_scores[i].tolist())
        if 'interpolated' in people:
            record['interpolated'] = bool(people.interpolated[i])
        records.append(record)
    return records


def write_video_outputs(pred_out_dir: str, name: str, tracks: List[PoseTrack], num_frames: int,
                        fps: float, export_bvh: bool = False) -> List[str]:
    """Write the outputs of a lifted video; every file made from the lifted
    tracks is written here (a per-track writer gets each track's 3D here).

    - ``<stem>.json``: MMPose's video layout, a list of ``{'frame_id': int,
      'instances': [...]}`` per frame with the fields of :func:`to_json`.
    - ``<stem>_tracks.npz``: per track ``<id>`` the arrays
      ``track<id>/frame_ids`` (T,), ``track<id>/keypoints_3d`` (T, 17, 3)
      camera frame, metres, root-relative, ``track<id>/keypoints_2d`` (T,
      17, 2) pixels, ``track<id>/keypoint_scores_2d`` (T, 17),
      ``track<id>/interpolated`` (T,) bool; ``track_ids`` (n,) and ``fps``.
    - with ``export_bvh``, ``<stem>_track<id>.bvh`` per track
      (:func:`write_bvh`): the track's T frames at ``fps``, its
      root-relative 3D (root at the origin).

    Args:
        pred_out_dir (str): Output folder (created).
        name (str): The input's name; its stem names the files.
        tracks (list[PoseTrack]): Lifted tracks.
        num_frames (int): Frames of the video.
        fps (float): Its frame rate.
        export_bvh (bool): Also write one BVH per track. Defaults to False.

    Returns:
        list[str]: Paths of the files written.
    """
    stem = osp.join(pred_out_dir, osp.splitext(osp.basename(name))[0])
    records = [dict(frame_id=i, instances=to_json(frame_sample(tracks, i, {})))
               for i in range(num_frames)]
    mmengine.dump(records, stem + '.json', indent='  ')
    arrays = dict(track_ids=np.array([t.track_id for t in tracks], np.int64),
                  fps=np.float64(fps))
    for track in tracks:
        arrays.update({
            f'track{track.track_id}/frame_ids': track.frame_ids,
            f'track{track.track_id}/keypoints_3d': track.keypoints_3d,
            f'track{track.track_id}/keypoints_2d': track.keypoints,
            f'track{track.track_id}/keypoint_scores_2d': track.scores,
            f'track{track.track_id}/interpolated': track.interpolated})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomically(buffer.getvalue(), stem + '_tracks.npz')
    written = [stem + '.json', stem + '_tracks.npz']
    if export_bvh:
        written += [write_bvh(f'{stem}_track{track.track_id}.bvh', track.keypoints_3d, fps)
                    for track in tracks]
    return written
