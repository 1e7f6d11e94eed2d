"""Multi-view MetaPose demo: synchronised views -> one 3D pose per frame (JSON + plot).

Input: a folder with one file per view, ``view_0.npz``, ``view_1.npz``, ...
(view 0 is the canonical frame), each holding ``keypoints`` (T, 17, 2) pixels
in H36M joint order and optionally ``scores`` (T, 17) and ``mono3d``
(T, 17, 3), a monocular 3D estimate of the view in its camera frame (any
lifter, any unit). Without ``mono3d`` the initialisation is the 2D pose at
zero depth, which stage 1 must then lift alone (weaker).

Per frame it builds square bboxes, per-view joint mixtures from the keypoints
(:func:`mixture_from_keypoints`), runs the stage-1 solver (all frames in one
batch) and, with ``--checkpoint`` and ``--config``, the trained stage 2.
It writes ``<out>/multiview_metapose.json`` (per frame: ``pose`` (17, 3) in
view 0's weak frame, bbox units of view 0; per view ``rotation``, ``scale``,
``shift``; ``objective``, the stage-1 negative log-likelihood) and
``<out>/pose3d_frame<i>.png`` (a 3D plot of the first frame).

Usage::

    python projects/metapose/demo/multiview_demo.py VIEWS_DIR --out-dir OUT \
        [--config CFG --checkpoint CKPT] [--device cpu]

Bad input (fewer than 2 views, different frame counts, NaN keypoints, bad
mixtures) stops with a message naming the view, frame and field.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re

import numpy as np
import torch

from metapose_plugin.datasets.datasets.multiview_inputs import (camera_to_bbox_units,
                                                                check_views, square_bboxes)
from metapose_plugin.models.pose_estimators.multiview_metapose_s1_solver import \
    MultiViewMetaPoseS1Solver
from metapose_plugin.models.utils.multiview_geometry import (H36M_BONES, bbox_origin_size,
                                                             mixtures_to_bbox_units)
from metapose_plugin.models.utils.multiview_packing import (pack_solution, pack_task,
                                                            unpack_solution)
from metapose_plugin.models.utils.spherical_mixture_fit import mixture_from_keypoints


def read_views(folder: str):
    """The ``view_<i>.npz`` files of ``folder`` in view order, checked."""
    paths = sorted(glob.glob(osp.join(folder, 'view_*.npz')),
                   key=lambda p: int(re.findall(r'view_(\d+)\.npz$', p)[0]))
    views = []
    for path in paths:
        with np.load(path) as data:
            if 'keypoints' not in data:
                raise ValueError(f'{path}: field keypoints is missing')
            view = {k: np.asarray(data[k], dtype=np.float64) for k in data.files}
        if view['keypoints'].ndim != 3 or view['keypoints'].shape[1:] != (17, 2):
            raise ValueError(f'{path}: field keypoints has shape {view["keypoints"].shape}, '
                             'expected (T, 17, 2)')
        views.append(view)
    check_views([v['keypoints'] for v in views], folder)
    return views


def prepare(views, sigma: float):
    """Per-view bbox-unit mixtures (B, V, K, 4, 4) and monocular 3D (B, V, K, 3)."""
    keypoints = np.stack([v['keypoints'] for v in views], axis=1)
    frames = len(keypoints)
    scores = np.stack([v.get('scores', np.ones((frames, 17))) for v in views], axis=1)
    bboxes = square_bboxes(keypoints)
    origin, size = (t.numpy() for t in bbox_origin_size(torch.from_numpy(bboxes)))
    mixtures_px = mixture_from_keypoints(torch.from_numpy(keypoints), torch.from_numpy(scores),
                                         sigma)
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
        from mmengine.runner import load_checkpoint
        from mmpose.registry import MODELS
        cfg = Config.fromfile(config)
        model = MODELS.build(cfg.model).to(device)
        load_checkpoint(model, checkpoint, map_location=device)
        x_init = pack_solution(*(out[k][0] for k in ('pose', 'rot', 'scale', 'shift')))
        solved = model.solve(x_init.to(model.dtype), pack_task(mixtures).to(model.dtype))
        sol = unpack_solution(solved['x_opt'], mixtures.shape[1], 17)
        result = dict(pose=sol.pose, rot=sol.rot, scale=sol.scale, shift=sol.shift,
                      objective=solved['vals'])
    return {k: v.detach().cpu().double().numpy() for k, v in result.items()}


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
    parser.add_argument('views_dir', help='folder with view_<i>.npz files')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--config', help='stage-2 config (with --checkpoint)')
    parser.add_argument('--checkpoint', help='trained stage-2 checkpoint')
    parser.add_argument('--sigma', type=float, default=5.0,
                        help='pixel std of a confident keypoint (default 5)')
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()
    if bool(args.config) != bool(args.checkpoint):
        parser.error('--config and --checkpoint go together')
    try:
        views = read_views(args.views_dir)
    except ValueError as err:
        parser.error(str(err))
    mixtures, mono = prepare(views, args.sigma)
    result = solve(mixtures, mono, args.config, args.checkpoint, args.device)
    os.makedirs(args.out_dir, exist_ok=True)
    frames = [dict(frame=t, pose=result['pose'][t].round(6).tolist(),
                   objective=float(result['objective'][t]),
                   views=[dict(rotation=result['rot'][t, v].round(6).tolist(),
                               scale=float(result['scale'][t, v]),
                               shift=result['shift'][t, v].round(6).tolist())
                          for v in range(len(views))]) for t in range(len(result['pose']))]
    with open(osp.join(args.out_dir, 'multiview_metapose.json'), 'w') as file:
        json.dump(dict(units='bbox units of view 0', joints='h36m-17', frames=frames), file)
    plot(result['pose'][0], osp.join(args.out_dir, 'pose3d_frame0.png'))
    print(f'{len(frames)} frames, {len(views)} views -> {args.out_dir}')


if __name__ == '__main__':
    main()
