"""Human3.6M as synchronised multi-view frames for multi-view MetaPose."""
import os.path as osp
from collections import defaultdict
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmpose.registry import DATASETS, MODELS

from metapose_plugin.structures.h36m_cameras import project_to_2d, world_to_camera
from metapose_plugin.structures.multiview.dlt_triangulation import projection_matrix
from metapose_plugin.structures.multiview.multiview_geometry import (bbox_origin_size,
                                                                     mixtures_to_bbox_units,
                                                                     normalized_bone_lengths,
                                                                     points_to_bbox_units)
from metapose_plugin.structures.multiview.multiview_inputs import (camera_to_bbox_units,
                                                                   check_views, square_bboxes)
from metapose_plugin.structures.multiview.multiview_packing import pack_solution, pack_task
from metapose_plugin.structures.multiview.record_camera import (perfect_monocular_estimate,
                                                                record_camera)
from metapose_plugin.structures.multiview.spherical_mixture_fit import mixture_from_keypoints

from .h36m_sequence_dataset import H36MSequenceDataset
from .multiview_record_frames import frame_from_record, is_opt_record
from .multiview_record_layout import FEATURES_FILE, RECORDS_FILE, iter_records
from .utils import content_key, join_data_root, load_or_build_cached
from .videopose3d_layout import read_npz_dict

#: Bumped when the cached frames change meaning (invalidates old caches).
CACHE_FORMAT = 2
#: ``mono3d_source`` choices per layout.
H36M_MONO3D_SOURCES = ('file', 'oracle_noisy_gt', 'gt_weak_projection')
RECORD_MONO3D_SOURCES = ('record', 'gt_weak_projection')


@DATASETS.register_module()
class H36MMultiViewDataset(BaseDataset):
    """One sample per synchronised frame: V views of a subset, stage 1 solved.

    Reads Human3.6M with the readers of :class:`H36MSequenceDataset`: the
    VideoPose3D layout (``data_3d_h36m.npz`` world 3D +
    ``data_2d_h36m_<src>.npz`` per-camera 2D, shipped calibration) or MMPose's
    (``h36m_<split>.npz`` + ``cameras.pkl`` [+ detection ``.npy``]), or the
    reference's own records (``ann_format='metapose_records'``: a folder of
    ``features.json`` + ``dataset.tfrec``, the released ``pre`` and ``opt``
    splits or ``tools/dataset_converters/h36m_to_multiview_records.py``'s
    output; :mod:`.multiview_record_frames`). From H36M it keeps the
    frames all cameras of ``camera_subset`` share, groups them **in that
    order** (view 0 is the canonical frame), and
    builds the reference's per-frame record: square bboxes around the 2D
    detections, per-view joint mixtures from the detections
    (:func:`mixture_from_keypoints`), per-view monocular 3D in bbox units,
    ground-truth 2D reprojections (``project_to_2d``), then runs the stage-1
    solver on all frames in batches and packs stage 2's ``x_init`` (its
    report 0) and ``x_best`` (its result).

    Monocular 3D (``mono3d_source``):

    * ``'file'``: ``mono3d_file``, an npz with ``positions_3d_cam``
      ``{subject: {'<action> <subaction>': [4 x (T, 17, 3)]}}`` camera-frame
      estimates of any lifter (any unit, scale and shift are fitted to the
      2D), indexed by camera 0..3 and by row of the source video (canonical
      action name, ``subaction`` as the dataset's field: 1 for a VideoPose3D
      key without suffix, n + 1 for ``'<Action> n'``);
    * ``'oracle_noisy_gt'``: an **oracle stand-in** (as the reference fixture's): the
      ground truth in each camera frame with per-view depth scaling in
      U(0.8, 1.2) and Gaussian noise (``mono3d_noise`` metres); only for
      tests and the synthetic sample;
    * ``'gt_weak_projection'``: the reference's ``fake_gt_init``, a perfect
      estimate (the weak projection of the ground truth,
      :func:`perfect_monocular_estimate`): the "GT + IR" row (uses 3D);
    * ``'record'``: the records' ``pose3d_epi_pred`` (records only, and
      their default).

    An ``opt`` record carries the reference's stage-1 solution, which is
    used as it is (``stage1`` is not run; ``camera_subset`` must be the
    records' ``cam_subset``).

    Data info per frame (V views, K = 17 joints, M components):
    ``mono3d`` (V, K, 3) and ``mixtures`` (V, K, M, 4) bbox units,
    ``pose2d`` (V, K, 2) ground-truth 2D reprojections in bbox units,
    ``keypoints_2d`` (V, K, 2) detections (records: mixture means) in pixels, ``bboxes`` (V, 4)
    [y_min, y_max, x_min, x_max] pixels, ``projections`` (V, 3, 4) pixel
    projection matrices (world metres), ``cam0_rotation`` (3, 3) view 0's
    MMPose ``R`` (``X_cam0 = (X_world - T) @ R``), ``cam_rotations`` (V, 3, 3)
    and ``cam_centres`` (V, 3) every view's ``R`` and ``T`` (world metres),
    ``cam_intrinsics`` (V, 4) fx, fy, cx, cy and ``cam_distortion`` (V, 5)
    k1, k2, p1, p2, k3 (the records' camera model, :mod:`record_camera`),
    ``pose3d`` (K, 3) world mm,
    ``pose3d_cam0`` (K, 3) view 0's camera frame mm, ``x_init``, ``x_best``
    (3K + 10V,) and ``task`` (V*K*M*4 [+16],) float64 for stage 2,
    ``s1_pose`` / ``init_pose`` (K, 3) and ``s1_rot0`` / ``init_rot0`` (3, 3)
    the stage-1 result and its initialisation; ``subject``, ``action``,
    ``subaction`` (H36M) or ``sequence`` and ``keys`` (records), ``frame``
    (the source's frame id), ``camera_subset``, ``num_views``.

    Args:
        data_root (str): Folder of the files.
        ann_file (str): ``data_3d_h36m.npz``, MMPose's ``h36m_<split>.npz``
            or a record folder.
        keypoint_2d_file (str, optional): ``data_2d_h36m_<src>.npz``
            (detections) or MMPose's detection ``.npy`` (ground-truth
            ``part`` when None in MMPose's layout).
        ann_format (str, optional): ``'videopose3d'``, ``'mmpose'`` or
            ``'metapose_records'``; detected from the file when None (a
            folder with ``features.json`` is a record folder).
        camera_param_file (str, optional): MMPose's ``cameras.pkl`` (needed
            by its layout; the shipped calibration otherwise).
        subjects (Sequence[str]): Subjects, e.g. ``['S9', 'S11']`` (H36M
            layouts; records name no subject: leave empty).
        actions (Sequence[str], optional): Canonical actions; all when None.
        camera_subset (Sequence[int]): Camera indices 0..3 in view order.
        frame_step (int): Keep every n-th frame. Defaults to 1.
        keypoint_sigma (float): Std (pixels) of a confident detection's
            mixture. Defaults to 5.
        mixture_file (str, optional): npz with ``mixtures`` ``{subject:
            {'<action> <subaction>': [4 x (T, 17, M, 4)]}}`` full-frame pixel
            mixtures
            ``(pi, mu_x, mu_y, variance)``, e.g. an MMPose heatmap model's
            heatmaps fitted by :func:`fit_heatmap_mixture` with the crop's
            pixel ranges. Replaces the mixtures from detections.
        num_components (int): M. Defaults to 4.
        bbox_margin (float): Square bbox margin. Defaults to 0.2.
        mono3d_source (str, optional): ``'file'``, ``'oracle_noisy_gt'``,
            ``'gt_weak_projection'`` or ``'record'``. Defaults to None:
            ``'file'`` for H36M, ``'record'`` for records.
        mono3d_file (str, optional): For ``'file'``.
        mono3d_noise (float): Noise (metres) of ``'oracle_noisy_gt'``. Defaults to 0.05.
        stage1 (dict): Config of :class:`MultiViewMetaPoseS1Solver`.
        stage1_batch (int): Frames per stage-1 batch. Defaults to 512.
        use_bone_lengths (bool): Append normalised ground-truth bone lengths
            to the task (the BL ablation, uses 3D). Defaults to False.
        seed (int): Seed of ``'oracle_noisy_gt'``. Defaults to 0.
        cache_file (str, optional): Cache of the built frames (stage 1
            included): read when it was built from the same settings and
            input files (content hash), else rebuilt and written atomically
            by rank 0. Defaults to None (no cache).
    """

    def __init__(self,
                 ann_file: str,
                 subjects: Sequence[str] = (),
                 keypoint_2d_file: Optional[str] = None,
                 ann_format: Optional[str] = None,
                 camera_param_file: Optional[str] = None,
                 data_root: str = '',
                 actions: Optional[Sequence[str]] = None,
                 camera_subset: Sequence[int] = (0, 1, 2, 3),
                 frame_step: int = 1,
                 keypoint_sigma: float = 5.0,
                 mixture_file: Optional[str] = None,
                 num_components: int = 4,
                 bbox_margin: float = 0.2,
                 mono3d_source: Optional[str] = None,
                 mono3d_file: Optional[str] = None,
                 mono3d_noise: float = 0.05,
                 stage1: Optional[dict] = None,
                 stage1_batch: int = 512,
                 use_bone_lengths: bool = False,
                 seed: int = 0,
                 cache_file: Optional[str] = None,
                 **kwargs):
        path = join_data_root(ann_file, data_root)
        if ann_format is None and osp.isfile(osp.join(path, FEATURES_FILE)):
            ann_format = 'metapose_records'
        records = ann_format == 'metapose_records'
        allowed = RECORD_MONO3D_SOURCES if records else H36M_MONO3D_SOURCES
        mono3d_source = mono3d_source or allowed[0]
        if mono3d_source not in allowed:
            raise ValueError(f'mono3d_source must be one of {allowed} for '
                             f'{"records" if records else "Human3.6M"}, got {mono3d_source!r}')
        if records and (keypoint_2d_file or mixture_file or camera_param_file or subjects):
            raise ValueError(f'{ann_file}: a record folder carries its 2D, mixtures and '
                             'cameras; keypoint_2d_file, mixture_file, camera_param_file and '
                             'subjects apply to Human3.6M layouts only')
        if not records and not subjects:
            raise ValueError('subjects: name at least one Human3.6M subject')
        if mono3d_source == 'file' and not mono3d_file:
            raise ValueError("mono3d_source='file' needs mono3d_file")
        if len(camera_subset) < 2 or len(set(camera_subset)) != len(camera_subset):
            raise ValueError(f'camera_subset {camera_subset}: need >= 2 distinct cameras')
        self.keypoint_2d_file = keypoint_2d_file
        self.ann_format, self.camera_param_file = ann_format, camera_param_file
        self.subjects, self.actions = list(subjects), actions
        self.camera_subset = tuple(int(c) for c in camera_subset)
        self.frame_step = frame_step
        self.keypoint_sigma, self.num_components = keypoint_sigma, num_components
        self.mixture_file = mixture_file
        self.bbox_margin = bbox_margin
        self.mono3d_source, self.mono3d_file = mono3d_source, mono3d_file
        self.mono3d_noise = mono3d_noise
        self.stage1_cfg = stage1 or dict(type='MultiViewMetaPoseS1Solver')
        self.stage1_batch = stage1_batch
        self.use_bone_lengths = use_bone_lengths
        self.seed = seed
        self.cache_file = cache_file
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    def _settings(self) -> dict:
        return dict(ann_file=self.ann_file, keypoint_2d_file=self.keypoint_2d_file,
                    ann_format=self.ann_format, camera_param_file=self.camera_param_file,
                    subjects=self.subjects, actions=self.actions,
                    camera_subset=self.camera_subset, frame_step=self.frame_step,
                    keypoint_sigma=self.keypoint_sigma, num_components=self.num_components,
                    mixture_file=self.mixture_file,
                    bbox_margin=self.bbox_margin, mono3d_source=self.mono3d_source,
                    mono3d_file=self.mono3d_file, mono3d_noise=self.mono3d_noise,
                    stage1=self.stage1_cfg, use_bone_lengths=self.use_bone_lengths,
                    seed=self.seed)

    def load_data_list(self) -> List[dict]:
        """Frames from the cache file, or built (see :meth:`build_frames`) and cached.

        The cache is keyed by a hash of the settings and of the input files'
        contents (:func:`content_key`); rank 0 writes it atomically while the
        other ranks wait (:func:`load_or_build_cached`).
        """
        if not self.cache_file:
            return self.build_frames()
        inputs = ([osp.join(self.ann_file, FEATURES_FILE), osp.join(self.ann_file, RECORDS_FILE)]
                  if self.ann_format == 'metapose_records' else [self.ann_file])
        files = inputs + [
            join_data_root(name, self.data_root)
            for name in (self.keypoint_2d_file, self.camera_param_file, self.mono3d_file,
                         self.mixture_file)]
        key = content_key(dict(self._settings(), cache_format=CACHE_FORMAT), files)
        return load_or_build_cached(join_data_root(self.cache_file, self.data_root), key,
                                    self.build_frames)

    def build_frames(self) -> List[dict]:
        """Group cameras per frame, build per-view inputs, solve stage 1."""
        if self.ann_format == 'metapose_records':
            return self._record_frames()
        reader = H36MSequenceDataset(
            ann_file=self.ann_file,
            keypoint_2d_file=join_data_root(self.keypoint_2d_file, self.data_root),
            ann_format=self.ann_format,
            camera_param_file=join_data_root(self.camera_param_file, self.data_root),
            subjects=self.subjects, actions=self.actions, cameras=list(self.camera_subset),
            seq_len=1, lazy_init=True)
        mono_file = (read_npz_dict(join_data_root(self.mono3d_file, self.data_root),
                                   'positions_3d_cam', 'a monocular 3D npz')
                     if self.mono3d_source == 'file' else None)
        mixture_table = (read_npz_dict(join_data_root(self.mixture_file, self.data_root),
                                       'mixtures', 'a heatmap mixture npz')
                         if self.mixture_file else None)
        rng = np.random.default_rng(self.seed)
        frames = []
        for (subject, action, subaction), views, index, where in synchronised_view_groups(
                reader.videos, self.camera_subset, self.ann_file):
            key = f'{action} {subaction}'
            mono = None if mono_file is None else per_view_rows(
                mono_file, self.mono3d_file, 'positions_3d_cam', subject, key, self.camera_subset,
                index, (17, 3))
            mixtures = None
            if mixture_table is not None:
                mixtures = per_view_rows(mixture_table, self.mixture_file, 'mixtures', subject,
                                         key, self.camera_subset, index,
                                         (17, self.num_components, 4))
                check_views([v['keypoints'] for v in views], f'{self.mixture_file}: {where}',
                            [mixtures[:, v] for v in range(len(views))])
            frames.extend(self._sequence_frames(subject, action, subaction, views, mono,
                                                mixtures, rng))
        self._solve_stage1(frames)
        return frames

    def _record_frames(self) -> List[dict]:
        """Frames of a record folder; stage 1 solved unless the records carry it."""
        frames, unsolved = [], []
        for index, record in enumerate(iter_records(self.ann_file)):
            if index % self.frame_step:
                continue
            where = f'{self.ann_file}: record {index}'
            frame = frame_from_record(record, self.camera_subset, where)
            if self.mono3d_source == 'gt_weak_projection':
                if is_opt_record(record):
                    raise ValueError(f'{where}: an opt record holds a solved stage 1; '
                                     "mono3d_source='gt_weak_projection' needs pre records")
                frame['mono3d'] = self._perfect_mono3d(frame)
            frames.append(frame)
            if 'x_init' not in frame:
                unsolved.append(frame)
        if not frames:
            raise ValueError(f'{self.ann_file}: no records')
        self._solve_stage1(unsolved)
        for frame in frames:
            if 'task' not in frame:  # an opt record's solution: the task from its mixtures
                bones = (normalized_bone_lengths(torch.from_numpy(frame['pose3d'])[None])
                         if self.use_bone_lengths else None)
                frame['task'] = pack_task(torch.from_numpy(frame['mixtures'])[None],
                                          bones)[0].numpy()
        return frames

    @staticmethod
    def _perfect_mono3d(frame: dict) -> np.ndarray:
        """(V, K, 3) the reference's ``fake_gt_init`` for a frame's views."""
        origin, size = (t.numpy() for t in bbox_origin_size(torch.from_numpy(frame['bboxes'])))
        views = len(frame['bboxes'])
        return perfect_monocular_estimate(
            np.broadcast_to(frame['pose3d'] / 1000.0, (views, ) + frame['pose3d'].shape),
            np.swapaxes(frame['cam_rotations'], 1, 2), frame['cam_centres'],
            frame['cam_intrinsics'], frame['cam_distortion'], origin, size)

    def _sequence_frames(self, subject: str, action: str, subaction: int, views: List[dict],
                         mono: Optional[np.ndarray], mixtures_px: Optional[np.ndarray],
                         rng: np.random.Generator) -> List[dict]:
        cams = [v['camera_param'] for v in views]
        index = np.arange(0, len(views[0]['frames']), self.frame_step)
        world = views[0]['world'][index]
        keypoints = np.stack([v['keypoints'][index] for v in views], axis=1)
        cam_frame = np.stack([world_to_camera(world, c) for c in cams], axis=1)
        repr2d = np.stack([project_to_2d(cam_frame[:, i], c) for i, c in enumerate(cams)], axis=1)
        bboxes = square_bboxes(keypoints, self.bbox_margin)
        origin, size = (t.numpy() for t in bbox_origin_size(torch.from_numpy(bboxes)))
        record_cams = [record_camera(c) for c in cams]
        intrinsics = np.stack([c[2] for c in record_cams])
        distortion = np.stack([c[3] for c in record_cams])
        if self.mono3d_source == 'gt_weak_projection':
            mono_units = perfect_monocular_estimate(
                world[:, None], np.stack([c[0] for c in record_cams]),
                np.stack([c[1] for c in record_cams]), intrinsics, distortion, origin, size)
        else:
            mono = self._oracle_noisy_gt(cam_frame, rng) if mono is None else mono[index]
            mono_units = camera_to_bbox_units(mono, keypoints, origin, size)
        if mixtures_px is None:
            mixtures_px = mixture_from_keypoints(
                torch.from_numpy(keypoints), torch.ones(keypoints.shape[:-1], dtype=torch.float64),
                self.keypoint_sigma, self.num_components)
        else:
            mixtures_px = torch.from_numpy(mixtures_px[index])
        mixtures = mixtures_to_bbox_units(mixtures_px, torch.from_numpy(origin),
                                          torch.from_numpy(size)).numpy()
        pose2d = points_to_bbox_units(torch.from_numpy(repr2d), torch.from_numpy(origin),
                                      torch.from_numpy(size)).numpy()
        projections = np.stack([projection_matrix(c) for c in cams])
        rotations = np.stack([np.asarray(c['R'], dtype=np.float64) for c in cams])
        centres = np.stack([np.asarray(c['T'], dtype=np.float64).reshape(3) for c in cams])
        frames = []
        for t, frame in enumerate(index):
            frames.append(
                dict(subject=subject, action=action, subaction=int(subaction),
                     frame=int(views[0]['frames'][frame]), camera_subset=self.camera_subset,
                     num_views=len(views), mono3d=mono_units[t], mixtures=mixtures[t],
                     pose2d=pose2d[t], keypoints_2d=keypoints[t], bboxes=bboxes[t],
                     projections=projections, cam0_rotation=np.asarray(cams[0]['R']),
                     cam_rotations=rotations, cam_centres=centres,
                     cam_intrinsics=intrinsics, cam_distortion=distortion,
                     pose3d=world[t] * 1000.0,
                     pose3d_cam0=cam_frame[t, 0] * 1000.0))
        return frames

    def _oracle_noisy_gt(self, cam_frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        frames, views = cam_frame.shape[:2]
        centred = cam_frame - cam_frame.mean(-2, keepdims=True)
        depth_scale = rng.uniform(0.8, 1.2, size=(frames, views, 1))
        noisy = centred.copy()
        noisy[..., 2] *= depth_scale
        return noisy + rng.normal(0, self.mono3d_noise, size=noisy.shape)

    def _solve_stage1(self, frames: List[dict]) -> None:
        solver = MODELS.build(self.stage1_cfg)
        for start in range(0, len(frames), self.stage1_batch):
            chunk = frames[start:start + self.stage1_batch]
            mono = torch.from_numpy(np.stack([f['mono3d'] for f in chunk]))
            mixtures = torch.from_numpy(np.stack([f['mixtures'] for f in chunk]))
            bones = None
            gt = torch.from_numpy(np.stack([f['pose3d'] for f in chunk]))
            if getattr(solver, 'bone_lambda', 0) > 0:
                bones = normalized_bone_lengths(gt).float()
            out = solver(mono, mixtures, bones)
            first = [out[k][0] for k in ('pose', 'rot', 'scale', 'shift')]
            last = [out[k][-1] for k in ('pose', 'rot', 'scale', 'shift')]
            x_init, x_best = pack_solution(*first).double(), pack_solution(*last).double()
            task = pack_task(mixtures, normalized_bone_lengths(gt) if self.use_bone_lengths
                             else None)
            for i, frame in enumerate(chunk):
                frame.update(x_init=x_init[i].numpy(), x_best=x_best[i].numpy(),
                             task=task[i].numpy(), init_pose=first[0][i].numpy(),
                             init_rot0=first[1][i, 0].numpy(), s1_pose=last[0][i].numpy(),
                             s1_rot0=last[1][i, 0].numpy())


def synchronised_view_groups(videos: List[dict], camera_subset: Sequence[int], source: str
                             ) -> Iterator[Tuple[Tuple[str, str, int], List[dict],
                                                 List[np.ndarray], str]]:
    """Group the camera videos of :class:`H36MSequenceDataset` by sequence and synchronise them.

    Yields, per (subject, action, subaction) in sorted order: that key, the
    views of ``camera_subset`` in order (:func:`synchronise_views`), each
    view's rows of the common frames, and a description for messages.

    Raises:
        ValueError: naming ``source`` and the sequence when a camera of the
            subset is missing or the views share no frame.
    """
    groups = defaultdict(dict)
    for video in videos:
        groups[(video['subject'], video['action'], video['subaction'])][
            video['camera_id']] = video
    for (subject, action, subaction), by_camera in sorted(groups.items()):
        where = f'{source}: subject {subject!r} action {action!r} subaction {subaction}'
        missing = [c for c in camera_subset if c not in by_camera]
        if missing:
            raise ValueError(f'{where}: cameras {missing} of camera_subset are missing')
        views, index = synchronise_views([by_camera[c] for c in camera_subset], where)
        yield (subject, action, subaction), views, index, where


def synchronise_views(videos: List[dict], where: str) -> Tuple[List[dict], List[np.ndarray]]:
    """Cut the views to their common frames (by frame id); check them.

    Returns the views (``keypoints`` (T, K, 2) px, ``world`` (T, K, 3) m,
    ``frames`` (T,) ids, ``camera_param``, ``img_stem`` (MMPose's image
    name without the frame number, when the source has one)) and per view
    the row index of each common frame in its source video.
    """
    ids = [np.asarray(v['img_frames']) for v in videos]
    common = ids[0]
    for other in ids[1:]:
        common = np.intersect1d(common, other)
    if not len(common):
        raise ValueError(f'{where}: the views share no frame')
    index = [np.searchsorted(i, common) if np.all(np.diff(i) > 0) else
             np.array([int(np.flatnonzero(i == f)[0]) for f in common]) for i in ids]
    check_views([v['keypoints'][i] for v, i in zip(videos, index)], where)
    views = []
    for video, rows in zip(videos, index):
        param = video['camera_param']
        rot = np.asarray(param['R'], dtype=np.float64)
        centre = np.asarray(param['T'], dtype=np.float64).reshape(1, 3)
        # camera frame (MMPose: X_cam = R^T (X_world - T)) -> world metres
        world = video['keypoints_3d'][rows].astype(np.float64) @ rot.T + centre
        views.append(dict(keypoints=video['keypoints'][rows].astype(np.float64), world=world,
                          frames=common, camera_param=param, img_stem=video.get('img_stem')))
    return views, index


def per_view_rows(table: dict, path: str, field: str, subject: str, key: str,
                  cameras: Sequence[int], index: List[np.ndarray], shape: tuple) -> np.ndarray:
    """(T, V, *shape) from ``table[subject][key][camera]`` at each view's rows.

    ``table`` is a per-camera file's content (``positions_3d_cam`` or
    ``mixtures``, see :class:`H36MMultiViewDataset`); errors name ``path``,
    the field, subject, sequence and camera.
    """
    where = f'{path}: {field}[{subject!r}][{key!r}]'
    try:
        per_camera = table[subject][key]
    except KeyError:
        raise ValueError(f'{where} is missing') from None
    views = []
    for camera, rows in zip(cameras, index):
        if camera >= len(per_camera):
            raise ValueError(f'{where} has no camera {camera}')
        est = np.asarray(per_camera[camera], dtype=np.float64)
        if est.shape[1:] != shape or len(est) <= rows.max():
            raise ValueError(f'{where} camera {camera}: shape {est.shape}, expected '
                             f'(> {rows.max()}, {", ".join(map(str, shape))})')
        views.append(est[rows])
    return np.stack(views, axis=1)
