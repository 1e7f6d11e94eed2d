"""Multi-view MetaPose demo: synchronised views -> one 3D pose per frame (JSON + plot).

Input: a folder with one entry per view (view 0 is the canonical frame),
either

* synchronised media, ``view_0.mp4``, ``view_1.mp4``, ... (any video cv2
  reads) or ``view_0/``, ``view_1/``, ... (folders of frames, sorted by
  name): an MMPose detector (``--det-model``, default MMPose's person
  detector; ``whole_image`` for frames that show one person) and a COCO
  top-down heatmap model (``--pose2d``) run on every view; the person with
  the largest box is kept per frame, and each joint's mixture is fitted to
  its heatmap (:func:`fit_heatmap_mixture`, weighted EM, in frame pixels);
  pelvis, spine, thorax and head, which COCO lacks, get mixtures from their
  converted keypoints. With ``--lifter`` (an MMPose sequence lifter config,
  e.g. ``configs/video_pose_lift/...``) and ``--lifter-weights``, MMPose's
  ``Pose3DInferencer`` lifts every view for the monocular estimates; or
* keypoint files ``view_0.npz``, ... holding ``keypoints`` (T, 17, 2) pixels
  in H36M joint order and optionally ``scores`` (T, 17) and ``mono3d``
  (T, 17, 3), a monocular 3D estimate of the view in its camera frame (any
  lifter, any unit); mixtures then come from the keypoints
  (:func:`mixture_from_keypoints`).

**A monocular estimate is needed** (``mono3d`` in the keypoint files, or
``--lifter`` for media): without one the initialisation is the 2D pose at
zero depth, from which stage 1 does not move the depth (every joint stays at
the same depth: a flat, wrong pose). A result whose joints all share one
depth is refused (non-zero exit status, the reason on stderr); when only some
frames are flat, the demo warns and marks them in the JSON
(``degenerate``). The stage-1 solver runs on all frames in one batch and,
with ``--checkpoint`` and ``--config``, the trained stage 2 after it.
It writes ``<out>/multiview_metapose.json`` (per frame: ``pose`` (17, 3) in
view 0's weak frame, bbox units of view 0; per view ``rotation``, ``scale``,
``shift``; ``objective``, the stage-1 negative log-likelihood) and
``<out>/pose3d_frame<i>.png`` (a 3D plot of the first frame).

Usage::

    python projects/metapose/demo/multiview_demo.py VIEWS_DIR --out-dir OUT \
        [--pose2d CFG_OR_ALIAS --pose2d-weights CKPT --det-model DET]
        [--lifter CFG --lifter-weights CKPT] [--max-frames N]
        [--config CFG --checkpoint CKPT] [--device cpu]

Bad input (fewer than 2 views, different frame counts, NaN keypoints, bad
mixtures, an unreadable keypoint file or video, a checkpoint that does not
fit the stage-2 config) stops with a message naming the file, view, frame
and field.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import sys

import numpy as np
import torch

from metapose_plugin.apis.inferencers.lifter_inputs import to_h36m
from metapose_plugin.engine.fileio import load_npz, open_video
from metapose_plugin.engine.runner import (check_state_dict_keys, checkpoint_state_dict,
                                           read_checkpoint)
from metapose_plugin.models.pose_estimators.multiview_metapose_s1_solver import \
    MultiViewMetaPoseS1Solver
from metapose_plugin.structures.multiview.multiview_geometry import (H36M_BONES, bbox_origin_size,
                                                                     mixtures_to_bbox_units)
from metapose_plugin.structures.multiview.multiview_inputs import (H36M_FROM_COCO,
                                                                   camera_to_bbox_units,
                                                                   check_views,
                                                                   heatmap_pixel_ranges,
                                                                   square_bboxes)
from metapose_plugin.structures.multiview.multiview_packing import (pack_solution, pack_task,
                                                                    unpack_solution)
from metapose_plugin.structures.multiview.spherical_mixture_fit import (fit_heatmap_mixture,
                                                                        mixture_from_keypoints)

VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv')


def read_views(folder: str):
    """The ``view_<i>.npz`` files of ``folder`` in view order, checked."""
    paths = sorted(glob.glob(osp.join(folder, 'view_*.npz')),
                   key=lambda p: int(re.findall(r'view_(\d+)\.npz$', p)[0]))
    views = []
    for path in paths:
        data = load_npz(path, 'a keypoint npz (keypoints, optional scores and mono3d)')
        if 'keypoints' not in data:
            raise ValueError(f'{path}: field keypoints is missing')
        view = {k: np.asarray(v, dtype=np.float64) for k, v in data.items()}
        if view['keypoints'].ndim != 3 or view['keypoints'].shape[1:] != (17, 2):
            raise ValueError(f'{path}: field keypoints has shape {view["keypoints"].shape}, '
                             'expected (T, 17, 2)')
        views.append(view)
    check_views([v['keypoints'] for v in views], folder)
    return views


def media_views(folder: str) -> list:
    """``view_<i>`` videos or frame folders of ``folder`` in view order."""
    found = {}
    for path in glob.glob(osp.join(folder, 'view_*')):
        match = re.fullmatch(r'view_(\d+)(\.\w+)?', osp.basename(path))
        if match and (osp.isdir(path) or (match.group(2) or '').lower() in VIDEO_SUFFIXES):
            found[int(match.group(1))] = path
    return [found[i] for i in sorted(found)]


def _largest_person(samples, path: str, frame: int):
    """The data sample (one person) with the largest box of one frame."""
    if not samples:
        raise ValueError(f'{path}: frame {frame}: field bboxes is empty (no person detected)')
    areas = [float(np.prod(np.diff(s.pred_instances.bboxes[0].reshape(2, 2), axis=0)))
             for s in samples]
    return samples[int(np.argmax(areas))]


def detect_view(inferencer, path: str, sigma: float, max_frames: int) -> dict:
    """2D keypoints, scores and heatmap mixtures (H36M order) of one view.

    Returns:
        dict: ``keypoints`` (T, 17, 2) and ``scores`` (T, 17) frame pixels,
        ``mixtures`` (T, 17, 4, 4) ``(pi, mu_x, mu_y, variance)`` pixels.
    """
    dataset_2d = inferencer.model.dataset_meta['dataset_name']
    if dataset_2d not in ('coco', 'coco_wholebody'):
        raise ValueError(f'{path}: the 2D model predicts {dataset_2d!r} keypoints; the heatmap '
                         'mixtures need a COCO (or COCO-WholeBody) top-down heatmap model')
    keypoints, scores, mixtures = [], [], []
    results = inferencer(path, merge_results=False, draw_heatmap=True, return_datasamples=True)
    for frame, result in enumerate(results):
        if frame == max_frames:
            break
        person = _largest_person(result['predictions'], path, frame)
        heatmaps = getattr(person.get('pred_fields'), 'heatmaps', None)
        if heatmaps is None:
            raise ValueError(f'{path}: frame {frame}: the 2D model returned no heatmaps '
                             '(pred_fields.heatmaps); use a top-down heatmap model')
        heatmaps = torch.as_tensor(np.asarray(heatmaps))[:17].clamp(min=0)
        x_range, y_range = heatmap_pixel_ranges(person.metainfo['input_center'],
                                                person.metainfo['input_scale'],
                                                heatmaps.shape[:0:-1])
        coco_mix = fit_heatmap_mixture(heatmaps + 1e-12, 4, 5, torch.as_tensor(x_range),
                                       torch.as_tensor(y_range)).double()
        kpt, score = to_h36m(np.asarray(person.pred_instances.keypoints)[:, :17],
                             np.asarray(person.pred_instances.keypoint_scores)[:, :17],
                             dataset_2d)
        mix = mixture_from_keypoints(torch.from_numpy(kpt[0]).double(),
                                     torch.from_numpy(score[0]).double(), sigma)
        for h36m, coco in H36M_FROM_COCO.items():
            mix[h36m] = coco_mix[coco]
        keypoints.append(kpt[0])
        scores.append(score[0])
        mixtures.append(mix.numpy())
    return dict(keypoints=np.stack(keypoints).astype(np.float64),
                scores=np.stack(scores).astype(np.float64), mixtures=np.stack(mixtures))


def lift_view(lifter, path: str, frames: int) -> np.ndarray:
    """Camera-frame monocular 3D (T, 17, 3) of one view by MMPose's
    ``Pose3DInferencer`` (largest person per frame)."""
    poses = []
    for frame, result in enumerate(lifter(path, return_datasamples=True,
                                          disable_rebase_keypoint=True)):
        if frame == frames:
            break
        sample = result['predictions'][0]
        display = np.asarray(sample.pred_instances.keypoints, dtype=np.float64)
        areas = np.prod(np.diff(np.asarray(sample.pred_instances.bboxes).reshape(-1, 2, 2),
                                axis=1)[:, 0], axis=-1) if 'bboxes' in sample.pred_instances \
            else np.zeros(len(display))
        pose = display[int(np.argmax(areas))]
        # MMPose's display frame (-x, z, -y) back to the camera frame (x, y, z)
        poses.append(np.stack([-pose[:, 0], -pose[:, 2], pose[:, 1]], axis=-1))
    return np.stack(poses)


def read_media_views(folder: str, args) -> list:
    """Run the 2D model (and the lifter) on every view of ``folder``."""
    from mmpose.apis.inferencers import Pose2DInferencer, Pose3DInferencer
    paths = media_views(folder)
    for path in paths:
        if not osp.isdir(path):
            open_video(path)  # an unreadable video is an error naming it
    inferencer = Pose2DInferencer(args.pose2d, args.pose2d_weights, device=args.device,
                                  det_model=args.det_model, det_weights=args.det_weights)
    views = [detect_view(inferencer, path, args.sigma, args.max_frames) for path in paths]
    check_views([v['keypoints'] for v in views], folder, [v['mixtures'] for v in views])
    if args.lifter:
        lifter = Pose3DInferencer(args.lifter, args.lifter_weights, pose2d_model=args.pose2d,
                                  pose2d_weights=args.pose2d_weights, device=args.device,
                                  det_model=args.det_model, det_weights=args.det_weights)
        for view, path in zip(views, paths):
            view['mono3d'] = lift_view(lifter, path, len(view['keypoints']))
    return views


def prepare(views, sigma: float):
    """Per-view bbox-unit mixtures (B, V, K, 4, 4) and monocular 3D (B, V, K, 3).

    A view's ``mixtures`` (T, K, 4, 4) pixels (fitted to heatmaps) are used
    as given; otherwise mixtures come from its keypoints and ``scores``.
    """
    keypoints = np.stack([v['keypoints'] for v in views], axis=1)
    frames = len(keypoints)
    bboxes = square_bboxes(keypoints)
    origin, size = (t.numpy() for t in bbox_origin_size(torch.from_numpy(bboxes)))
    mixtures_px = torch.stack([
        torch.from_numpy(v['mixtures']) if 'mixtures' in v else mixture_from_keypoints(
            torch.from_numpy(v['keypoints']),
            torch.from_numpy(v.get('scores', np.ones((frames, 17)))), sigma) for v in views
    ], dim=1)
    check_views([keypoints[:, v] for v in range(len(views))], 'inputs',
                [mixtures_px[:, v].numpy() for v in range(len(views))])
    mixtures = mixtures_to_bbox_units(mixtures_px, torch.from_numpy(origin),
                                      torch.from_numpy(size))
    mono = []
    for index, view in enumerate(views):
        est = view.get('mono3d')
        if est is None:
            est = np.concatenate([keypoints[:, index], np.zeros((frames, 17, 1))], axis=-1)
        elif est.shape != (frames, 17, 3) or not np.isfinite(est).all():
            raise ValueError(f'view {index}: field mono3d must be finite (T={frames}, 17, 3), '
                             f'got shape {est.shape}')
        mono.append(camera_to_bbox_units(est, keypoints[:, index], origin[:, index],
                                         size[:, index]))
    return mixtures, torch.from_numpy(np.stack(mono, axis=1))


def solve(mixtures, mono, config=None, checkpoint=None, device='cpu'):
    """Stage 1 (and stage 2 when a trained model is given) -> pose, rot, scale, shift."""
    solver = MultiViewMetaPoseS1Solver().to(device)
    out = solver(mono.to(device), mixtures.to(device))
    result = {k: out[k][-1] for k in ('pose', 'rot', 'scale', 'shift')}
    result['objective'] = out['loss'][-1]
    if checkpoint:
        from mmengine.config import Config
        from mmengine.runner.checkpoint import _load_checkpoint_to_model
        from mmpose.registry import MODELS
        cfg = Config.fromfile(config)
        model = MODELS.build(cfg.model).to(device)
        state = read_checkpoint(checkpoint, map_location=device)
        check_state_dict_keys(model, checkpoint_state_dict(state), checkpoint)
        _load_checkpoint_to_model(model, state)
        x_init = pack_solution(*(out[k][0] for k in ('pose', 'rot', 'scale', 'shift')))
        solved = model.solve(x_init.to(model.dtype), pack_task(mixtures).to(model.dtype))
        sol = unpack_solution(solved['x_opt'], mixtures.shape[1], 17)
        result = dict(pose=sol.pose, rot=sol.rot, scale=sol.scale, shift=sol.shift,
                      objective=solved['vals'])
    return {k: v.detach().cpu().double().numpy() for k, v in result.items()}


def flat_frames(poses: np.ndarray, rel_tol: float = 1e-6) -> np.ndarray:
    """Frames whose joints all share one depth (a degenerate solution).

    Args:
        poses (np.ndarray): (T, K, 3) in view 0's weak frame.
        rel_tol (float): Depth spread, relative to the 2D spread, below which
            a frame is flat.

    Returns:
        np.ndarray: (T,) bool.
    """
    depth = np.ptp(poses[..., 2], axis=-1)
    extent = np.ptp(poses[..., :2], axis=-2).max(axis=-1)
    return depth <= rel_tol * np.maximum(extent, 1e-12)


def plot(pose: np.ndarray, path: str) -> None:
    """Save a 3D skeleton plot (view 0's frame, y down as in images)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(4, 4))
    axes = fig.add_subplot(projection='3d')
    for a, b in H36M_BONES:
        axes.plot(*[[pose[a, i], pose[b, i]] for i in (0, 2)], [-pose[a, 1], -pose[b, 1]])
    axes.scatter(pose[:, 0], pose[:, 2], -pose[:, 1], s=8)
    axes.set_xlabel('x')
    axes.set_ylabel('z')
    axes.set_zlabel('-y')
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('views_dir',
                        help='folder with view_<i> videos or frame folders, or view_<i>.npz files')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--config', help='stage-2 config (with --checkpoint)')
    parser.add_argument('--checkpoint', help='trained stage-2 checkpoint')
    parser.add_argument('--sigma', type=float, default=5.0,
                        help='pixel std of a confident keypoint (default 5)')
    parser.add_argument('--pose2d', default='td-hm_hrnet-w32_8xb64-210e_coco-256x192',
                        help='media input: MMPose COCO top-down heatmap model (config or alias)')
    parser.add_argument('--pose2d-weights', help='its checkpoint (default: MMPose\'s)')
    parser.add_argument('--det-model', help='MMDetection config, alias or whole_image '
                        '(default: MMPose\'s person detector)')
    parser.add_argument('--det-weights', help='its checkpoint')
    parser.add_argument('--lifter', help='media input: MMPose sequence lifter config for the '
                        'per-view monocular 3D (default: none, zero-depth initialisation)')
    parser.add_argument('--lifter-weights', help='its checkpoint')
    parser.add_argument('--max-frames', type=int, default=-1,
                        help='media input: read at most this many frames per view (-1: all)')
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()
    if bool(args.config) != bool(args.checkpoint):
        parser.error('--config and --checkpoint go together')
    try:
        views = (read_media_views(args.views_dir, args) if media_views(args.views_dir) else
                 read_views(args.views_dir))
    except ValueError as err:
        parser.error(str(err))
    mixtures, mono = prepare(views, args.sigma)
    result = solve(mixtures, mono, args.config, args.checkpoint, args.device)
    flat = flat_frames(result['pose'])
    reason = ('every joint at the same depth: ' + (
        'no view has a monocular 3D estimate (mono3d in view_<i>.npz, or --lifter for '
        'media), and stage 1 does not lift a zero-depth initialisation'
        if all('mono3d' not in v for v in views) else 'the solver did not recover depth'))
    if flat.all():
        sys.exit(f'multiview_demo: refused, the solution is degenerate ({reason})')
    if flat.any():
        print(f'WARNING: frames {np.flatnonzero(flat).tolist()} are degenerate ({reason}); '
              'marked "degenerate" in the JSON', file=sys.stderr)
    os.makedirs(args.out_dir, exist_ok=True)
    frames = [dict(frame=t, pose=result['pose'][t].round(6).tolist(),
                   objective=float(result['objective'][t]),
                   views=[dict(rotation=result['rot'][t, v].round(6).tolist(),
                               scale=float(result['scale'][t, v]),
                               shift=result['shift'][t, v].round(6).tolist())
                          for v in range(len(views))],
                   **(dict(degenerate=reason) if flat[t] else {}))
              for t in range(len(result['pose']))]
    with open(osp.join(args.out_dir, 'multiview_metapose.json'), 'w') as file:
        json.dump(dict(units='bbox units of view 0', joints='h36m-17', frames=frames), file)
    plot(result['pose'][0], osp.join(args.out_dir, 'pose3d_frame0.png'))
    print(f'{len(frames)} frames, {len(views)} views -> {args.out_dir}')


if __name__ == '__main__':
    main()
