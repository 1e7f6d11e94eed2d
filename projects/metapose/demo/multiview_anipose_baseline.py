"""AniPose bundle adjustment on a multi-view MetaPose dataset, scored like the solver.

The reference's ``launch_anipose.py`` baseline (the README's "AniPose" row):
for every frame of a config's split, the views of its camera subset
(``camera_subset`` of the 4/3/2-camera configs, the reference's
``--cam_subset``) get AniPose cameras initialised from the calibration,
``aniposelib``'s iterative bundle adjustment refines them on the frame's 2D
mixture means (``--gt-2d``: the ground-truth reprojections, the reference's
``--gt_ht``), and the triangulated joints in view 0's camera frame are scored
by ``MultiViewMetaPoseMetric`` as the reference scores them (PMPJPE with its
alignment, NMPJPE and PCK@150 without the z-mirror). ``--random-init SEED``
replaces each camera's pose by random draws first (``--gt_init=false``).

A long run saves its progress to ``--out`` (atomically, every
``--save-every`` frames) and resumes from it when started again with the
same settings.

Usage::

    python projects/metapose/demo/multiview_anipose_baseline.py CONFIG [--split test] \\
        [--gt-2d] [--random-init SEED] [--frame-step N] [--out anipose.npz] \\
        [--cfg-options KEY=VALUE ...]
"""
import io
import json
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.utils import ProgressBar

from metapose_plugin.engine.fileio import write_atomically
from metapose_plugin.evaluation.metrics.multiview_metapose_metric import score_multiview_poses
from metapose_plugin.structures.multiview.anipose_baseline import anipose_bundle_adjust
from metapose_plugin.structures.multiview.multiview_geometry import (bbox_origin_size,
                                                                     mixture_means,
                                                                     points_from_bbox_units)
from metapose_plugin.utils.multiview_split import load_multiview_split, multiview_split_parser


def frame_points(frame: dict, gt_2d: bool = False) -> np.ndarray:
    """(V, K, 2) pixels AniPose adjusts on: the mixture means or the ground truth."""
    origin, size = bbox_origin_size(torch.from_numpy(np.asarray(frame['bboxes'])))
    units = (torch.from_numpy(frame['pose2d']) if gt_2d else
             mixture_means(torch.from_numpy(frame['mixtures'])))
    return points_from_bbox_units(units.double(), origin, size).numpy()


def run_anipose(frames: List[dict], gt_2d: bool = False, random_init: Optional[int] = None,
                out: Optional[str] = None, settings: str = '', save_every: int = 10) -> dict:
    """Bundle-adjust every frame (resuming from ``out`` when it holds ``settings``).

    Returns:
        dict: ``pose_cam0`` (N, K, 3) in view 0's adjusted camera frame, mm,
        ``params`` (N, V, 8) the adjusted AniPose cameras, ``error`` (N,)
        median reprojection error in pixels, ``done`` (N,).
    """
    views, joints = frames[0]['mixtures'].shape[:2]
    state = dict(settings=np.array(settings), done=np.zeros(len(frames), bool),
                 pose_cam0=np.zeros((len(frames), joints, 3)),
                 params=np.zeros((len(frames), views, 8)), error=np.zeros(len(frames)))
    if out and osp.exists(out):
        with np.load(out) as saved:
            if str(saved['settings']) == settings:
                state = {key: saved[key].copy() for key in state}
                print(f'{out}: resuming, {int(state["done"].sum())}/{len(frames)} frames done')
            else:
                print(f'{out}: saved for other settings; starting again')
    progress = ProgressBar(int((~state['done']).sum()))
    for index in np.flatnonzero(~state['done']):
        frame = frames[index]
        # cameras in mm, the ground truth's unit (the bundle adjustment's steps and
        # tolerances depend on the unit; the reference's test records are in mm)
        result = anipose_bundle_adjust(
            frame_points(frame, gt_2d), np.swapaxes(frame['cam_rotations'], 1, 2),
            frame['cam_centres'] * 1000.0, frame['cam_intrinsics'],
            None if random_init is None else np.random.default_rng([random_init, index]))
        state['pose_cam0'][index], state['params'][index] = result['pose_cam0'], result['params']
        state['error'][index], state['done'][index] = result['error'], True
        progress.update()
        if out and (state['done'].sum() % save_every == 0 or state['done'].all()):
            buffer = io.BytesIO()
            np.savez(buffer, **state)
            write_atomically(buffer.getvalue(), out)
    print()
    return state


def anipose_metrics(frames: List[dict], state: dict) -> Dict[str, float]:
    """The reference's AniPose scores (no z-mirror) plus the mean bundle-adjustment error."""
    identity = [np.eye(3)] * len(frames)
    metrics = score_multiview_poses(state['pose_cam0'], identity, frames, allow_mirror=False)
    return dict(metrics, ba_error_px=float(state['error'].mean()))


def main() -> None:
    parser = multiview_split_parser(__doc__.splitlines()[0])
    parser.add_argument('--gt-2d', action='store_true',
                        help='adjust on the ground-truth reprojections (reference --gt_ht)')
    parser.add_argument('--random-init', type=int, metavar='SEED',
                        help='random camera poses to start from (reference --gt_init=false)')
    parser.add_argument('--out', help='npz of the per-frame results (resumable)')
    parser.add_argument('--save-every', type=int, default=10)
    args = parser.parse_args()
    frames = load_multiview_split(args)
    settings = json.dumps(dict(config=osp.abspath(args.config), split=args.split,
                               options=args.cfg_options, gt_2d=args.gt_2d,
                               random_init=args.random_init, frame_step=args.frame_step,
                               frames=len(frames)), default=str)
    state = run_anipose(frames, args.gt_2d, args.random_init, args.out, settings,
                        args.save_every)
    for name, value in anipose_metrics(frames, state).items():
        print(f'anipose/{name}: {value:.3f}')


if __name__ == '__main__':
    main()
