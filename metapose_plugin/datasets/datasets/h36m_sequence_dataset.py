import logging
import os.path as osp
from copy import deepcopy
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.logging import print_log
from mmpose.datasets.datasets import BaseMocapDataset
from mmpose.registry import DATASETS

from metapose_plugin.engine.fileio import load_pickle, npz_fields
from metapose_plugin.structures.h36m_actions import canonical_action_name
from metapose_plugin.structures.h36m_cameras import h36m_camera_param, world_to_camera
from metapose_plugin.structures.h36m_metainfo import H36M_METAINFO
from metapose_plugin.structures.sequence_windows import (frame_window_start, tiled_window_starts,
                                                         window_positions)

from .utils import join_data_root
from .h36m_annotations import H36M_CAMERAS, read_mmpose_npz
from .videopose3d_layout import NUM_JOINTS, pair_videopose3d_videos

SAMPLE_MODES = ('per_frame', 'chunks', 'test_chunks')
ANN_FORMATS = ('videopose3d', 'mmpose')


@DATASETS.register_module()
class H36MSequenceDataset(BaseMocapDataset):
    """Human3.6M 2D/3D sequences for sequence lifters, cut into windows.

    The data of VideoPose3D (Pavllo et al., CVPR 2019) and of the lifters
    that reuse its files (P-STMO, MixSTE, D3DP, FinePOSE, MPM), served with
    the data info keys of MMPose's ``Human36mDataset`` so that MMPose's
    ``VideoPoseLifting`` / ``MotionBERTLabel`` codecs and ``PoseLifter``
    work unchanged.

    Layouts (``ann_format``, or told by the file's fields):

    - ``'videopose3d'``: ``ann_file`` = ``data_3d_h36m.npz`` (world metres,
      32 joints reduced to 17), ``keypoint_2d_file`` =
      ``data_2d_h36m_<src>.npz`` (pixels, 4 cameras per action; cut to the
      mocap length). World -> camera with the shipped calibration
      (:mod:`.h36m_cameras`), or with ``camera_param_file`` when given.
    - ``'mmpose'``: ``ann_file`` = MMPose's ``h36m_<split>.npz`` (camera
      frame metres; ``part`` = ground-truth 2D), ``camera_param_file`` =
      its ``cameras.pkl`` (required), ``keypoint_2d_file`` = an optional
      2D detection ``.npy`` row-aligned with the npz (``part`` when None).
      A video is the records of one (subject, action, trial, camera) in
      frame order.

    Windows (F = ``seq_len`` frames, ``seq_step`` apart; T frames of a
    video; a window frame outside the video repeats its first or last frame
    and is flagged in ``pad_mask``; a video shorter than the window is
    padded, never dropped):

    - ``'per_frame'``: one window centred on every frame (target: the
      centre, index (F - 1) // 2), T windows per video and camera. MMPose's
      ``pad_video_seq=True``; MPM's ``-tds`` is ``seq_step``. With
      ``causal=True`` the window ends at its target frame (index F - 1), as
      MMPose's ``causal`` datasets.
    - ``'chunks'``: non-overlapping windows covering the video on a grid
      centred on it (offset ``(n F - T) // 2``, n = ceil(T / F)), every frame
      a target: VideoPose3D's / FinePOSE's sequence-to-sequence training.
    - ``'test_chunks'``: windows ``[i F, (i + 1) F)`` and a last one
      right-aligned to the video end (overlapping its predecessor; right
      padding when T < F), every frame a target: FinePOSE's evaluation.
      Metrics must count the overlap once (see ``H36MSequenceMetric``).

    With ``seq_step`` s > 1, ``chunks`` and ``test_chunks`` tile each of the
    s interleaved sub-sequences (frames ``p, p + s, ...``), so every frame is
    still a target once. The window rule is
    :mod:`metapose_plugin.structures.sequence_windows`, shared with the
    offline video path of ``MetaPose3DInferencer``.

    Each data info holds (F_t target frames: 1 in ``per_frame``, F else):
    ``keypoints`` (F, K, 2) pixels, ``keypoints_visible`` (F, K),
    ``keypoints_3d`` (F, K, 3) camera frame, metres, absolute (the root
    trajectory stays available), ``keypoints_3d_visible`` (F, K),
    ``lifting_target`` (F_t, K, 3) and ``lifting_target_visible`` (F_t, K)
    (those frames of ``keypoints_3d``), ``camera_param`` (MMPose's
    ``cameras.pkl`` convention: ``R``, ``T``, ``c``, ``f``, ``k``, ``p``,
    ``w``, ``h``, a fresh copy per sample), ``subject`` ('S9'), ``action``
    (canonical name), ``subaction`` (trial: 1 without suffix, n + 1 for
    ``'Walking n'`` / ``Walking_n``), ``camera_id`` (0..3), ``frame_ids``
    (F, ) 0-based positions in the video, ``target_frame_ids`` (F_t, ),
    ``pad_mask`` (F, ) and ``target_pad_mask`` (F_t, ) bool (True: edge
    padding, never to be scored), ``target_img_path`` (F_t image names in
    MMPose's naming, which MMPose's ``MPJPE`` metric parses),
    ``sample_mode``, ``num_keypoints``, ``id``, ``category_id``, and the
    pose metainfo (``flip_indices``, ...) added by ``BaseMocapDataset``.

    The whole videos stay in ``self.videos`` (a list of dicts: ``subject``,
    ``action``, ``subaction``, ``camera_id``, ``keypoints`` (T, K, 2),
    ``keypoints_visible``, ``keypoints_3d`` (T, K, 3) camera frame, metres,
    ``keypoints_3d_visible``, ``camera_param``, image name parts), sorted by
    subject number, action, trial and camera; a window is cut from them in
    :meth:`get_data_info` (:meth:`window` gives its frames), so the stored
    data list holds three integers per window.

    Bad input raises :class:`ValueError` naming the file, subject, action,
    camera and field: an unreadable (truncated, foreign) file, missing
    fields, a subject / action / camera that ``subjects`` / ``actions`` /
    ``cameras`` ask for and the files lack, one in one file and not the
    other, a 2D entry without cameras, a 2D sequence shorter than its 3D
    one, non-finite values, unknown action names, a subject without
    calibration. What the filters leave out is logged (videos and frames).

    Args:
        ann_file (str): 3D file (see the layouts), relative to
            ``data_root`` unless absolute.
        keypoint_2d_file (str, optional): 2D file (required for
            ``'videopose3d'``).
        ann_format (str, optional): ``'videopose3d'`` or ``'mmpose'``; from
            the file's fields when None.
        camera_param_file (str, optional): MMPose's ``cameras.pkl``.
        subjects (Sequence[str], optional): Subjects to keep; all when None.
        actions (Sequence[str], optional): Actions to keep (canonical names
            or the files' aliases); all when None.
        cameras (Sequence[int], optional): Camera indices 0..3 to keep; all
            when None.
        seq_len (int): F. Defaults to 27.
        seq_step (int): Frames between consecutive window frames.
            Defaults to 1.
        sample_mode (str): ``'per_frame'``, ``'chunks'`` or
            ``'test_chunks'``. Defaults to ``'per_frame'``.
        causal (bool): ``'per_frame'`` windows end at their target frame
            (causal lifters). Defaults to False.
        subset_frac (float): Keep this fraction of the windows, evenly
            spaced (MMPose draws a random contiguous block instead).
            Defaults to 1.
        data_root (str): Root of the relative paths. Defaults to ''.
        metainfo (dict, optional): Pose metainfo; MMPose's ``h36m`` when
            None.
        pipeline (Sequence): Transforms.
        test_mode (bool): See :class:`mmengine.dataset.BaseDataset`.
        lazy_init (bool): See :class:`mmengine.dataset.BaseDataset`.
        serialize_data (bool): See :class:`mmengine.dataset.BaseDataset`.
        max_refetch (int): See :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO: dict = H36M_METAINFO

    def __init__(self,
                 ann_file: str,
                 keypoint_2d_file: Optional[str] = None,
                 ann_format: Optional[str] = None,
                 camera_param_file: Optional[str] = None,
                 subjects: Optional[Sequence[str]] = None,
                 actions: Optional[Sequence[str]] = None,
                 cameras: Optional[Sequence[int]] = None,
                 seq_len: int = 27,
                 seq_step: int = 1,
                 sample_mode: str = 'per_frame',
                 causal: bool = False,
                 subset_frac: float = 1.0,
                 data_root: str = '',
                 metainfo: Optional[dict] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 serialize_data: bool = True,
                 max_refetch: int = 1000):
        if sample_mode not in SAMPLE_MODES:
            raise ValueError(f'sample_mode must be one of {SAMPLE_MODES}, got '
                             f'{sample_mode!r}')
        if causal and sample_mode != 'per_frame':
            raise ValueError(f"causal=True needs sample_mode='per_frame', got {sample_mode!r}")
        if ann_format is not None and ann_format not in ANN_FORMATS:
            raise ValueError(f'ann_format must be one of {ANN_FORMATS} or '
                             f'None, got {ann_format!r}')
        if int(seq_len) < 1 or int(seq_step) < 1:
            raise ValueError(f'seq_len and seq_step must be >= 1, got '
                             f'{seq_len} and {seq_step}')
        if not 0 < subset_frac <= 1:
            raise ValueError(f'subset_frac must be in (0, 1], got '
                             f'{subset_frac}')
        if cameras is not None:
            bad = [c for c in cameras if not 0 <= int(c) < len(H36M_CAMERAS)]
            if bad:
                raise ValueError(f'cameras {bad} are not camera indices '
                                 f'0..{len(H36M_CAMERAS) - 1}')
        self.ann_format = ann_format
        self.keypoint_2d_file = join_data_root(keypoint_2d_file, data_root)
        self.subjects = None if subjects is None else list(subjects)
        self.actions = None if actions is None else [
            canonical_action_name(a) for a in actions
        ]
        self.cameras = None if cameras is None else [int(c) for c in cameras]
        self.seq_step = int(seq_step)
        self.sample_mode = sample_mode
        self.camera_param = None
        camera_param_file = join_data_root(camera_param_file, data_root)
        if camera_param_file is not None:
            self._check_exists(camera_param_file, 'camera_param_file')
            self.camera_param = load_pickle(camera_param_file,
                                            "MMPose's Human3.6M cameras.pkl")
        # the base class would load it again and reset the name: read here
        self.camera_param_file = camera_param_file
        path = join_data_root(ann_file, data_root)
        self._check_exists(path, 'ann_file')
        super().__init__(
            ann_file=ann_file,
            seq_len=int(seq_len),
            causal=bool(causal),
            subset_frac=subset_frac,
            camera_param_file=None,
            metainfo=metainfo,
            data_root=data_root,
            pipeline=list(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            serialize_data=serialize_data,
            max_refetch=max_refetch)
        self.camera_param_file = camera_param_file

    @staticmethod
    def _check_exists(path: str, name: str) -> None:
        if not osp.isfile(path):
            raise ValueError(f'{name} {path!r} does not exist')

    # ------------------------------------------------------------------
    # reading: one record per (subject, action, trial, camera) video
    # ------------------------------------------------------------------
    def _load_ann_file(self, ann_file: str) -> None:
        """Read the files into ``self.videos`` (called by the base class)."""
        if self.ann_format is None:
            fields = set(npz_fields(
                ann_file, "a Human3.6M npz (VideoPose3D's data_3d_h36m.npz or MMPose's "
                'h36m_<split>.npz)'))
            if 'positions_3d' in fields:
                self.ann_format = 'videopose3d'
            elif 'imgname' in fields:
                self.ann_format = 'mmpose'
            else:
                raise ValueError(
                    f'{ann_file}: neither the VideoPose3D layout '
                    '(positions_3d) nor MMPose\'s (imgname, S, part); fields: '
                    f'{sorted(fields)}')
        if self.ann_format == 'videopose3d':
            self.videos = self._read_videopose3d(ann_file)
        else:
            self.videos = self._read_mmpose(ann_file)
        # one order for both layouts: subject number, action, trial, camera
        self.videos.sort(key=lambda v: (int(v['subject'][1:]), v['action'], v[
            'subaction'], v['camera_id']))
        if not self.videos:
            raise ValueError(f'{ann_file}: no video matches subjects='
                             f'{self.subjects}, actions={self.actions}, '
                             f'cameras={self.cameras}')

    def _camera(self, subject: str, camera_id: int, where: str) -> dict:
        if self.camera_param is None:
            return h36m_camera_param(subject, camera_id)
        key = (subject, H36M_CAMERAS[camera_id])
        if key not in self.camera_param:
            raise ValueError(f'{self.camera_param_file}: no camera {key} '
                             f'(needed by {where})')
        return self.camera_param[key]

    def _read_videopose3d(self, ann_file: str) -> List[dict]:
        if self.keypoint_2d_file is None:
            raise ValueError(f'{ann_file}: the VideoPose3D layout needs '
                             'keypoint_2d_file (data_2d_h36m_<src>.npz)')
        self._check_exists(self.keypoint_2d_file, 'keypoint_2d_file')
        videos = []
        for pair in pair_videopose3d_videos(ann_file, self.keypoint_2d_file,
                                            self.subjects, self.actions,
                                            self.cameras):
            subject, camera_id = pair['subject'], pair['camera_index']
            where = (f'{ann_file}: subject {subject!r} action '
                     f'{pair["action_key"]!r} camera {camera_id}')
            param = self._camera(subject, camera_id, where)
            joints = world_to_camera(pair['joints_world'], param)
            num, num_joints = joints.shape[:2]
            stem = (f'{subject}_{pair["action_key"].replace(" ", "_")}.'
                    f'{H36M_CAMERAS[camera_id]}')
            videos.append(
                dict(
                    subject=subject,
                    action=pair['action'],
                    action_word=pair['action_key'].split(' ')[0],
                    subaction=pair['subaction'],
                    camera_id=camera_id,
                    keypoints=pair['keypoints'],
                    keypoints_visible=np.ones((num, num_joints), np.float32),
                    keypoints_3d=joints.astype(np.float32),
                    keypoints_3d_visible=np.ones((num, num_joints),
                                                 np.float32),
                    camera_param=param,
                    img_stem=f'{subject}/{stem}/{stem}_',
                    img_frames=np.arange(1, num + 1)))
        return videos

    def _read_mmpose(self, ann_file: str) -> List[dict]:
        if self.camera_param is None:
            raise ValueError(f'{ann_file}: MMPose\'s layout needs '
                             'camera_param_file (cameras.pkl)')
        if self.keypoint_2d_file is not None:
            self._check_exists(self.keypoint_2d_file, 'keypoint_2d_file')
        columns = read_mmpose_npz(
            ann_file, self.camera_param_file, self.keypoint_2d_file,
            'gt' if self.keypoint_2d_file is None else 'cpn',
            NUM_JOINTS)
        for name, column, asked in (('subjects', 'subject', self.subjects),
                                    ('actions', 'action', self.actions),
                                    ('cameras', 'camera_id', self.cameras)):
            present = set(columns[column].tolist())
            absent = sorted(set(asked or ()) - present)
            if absent:
                raise ValueError(f'{ann_file}: {name} {absent} are missing '
                                 f'(present: {sorted(present)})')
        groups: Dict[Tuple, List[int]] = {}
        for index in range(len(columns['img_path'])):
            key = (str(columns['subject'][index]),
                   str(columns['action'][index]),
                   int(columns['subaction'][index]),
                   int(columns['camera_id'][index]))
            groups.setdefault(key, []).append(index)
        videos = []
        left_out = {'subjects': [0, 0], 'actions': [0, 0], 'cameras': [0, 0]}
        for (subject, action, subaction, camera_id), rows in sorted(
                groups.items()):
            # the first filter (subjects, actions, cameras) that drops the video
            dropped_by = next((name for name, value in (
                ('subjects', subject), ('actions', action), ('cameras', camera_id))
                if getattr(self, name) is not None and value not in getattr(self, name)), None)
            if dropped_by is not None:
                left_out[dropped_by][0] += 1
                left_out[dropped_by][1] += len(rows)
                continue
            rows = np.array(rows)[np.argsort(columns['frame_id'][rows],
                                             kind='stable')]
            where = (f'{ann_file}: subject {subject!r} action {action!r} '
                     f'subaction {subaction} camera {camera_id}')
            for field in ('keypoints', 'joints_3d'):
                values = columns[field][rows].reshape(len(rows), -1)
                bad = ~np.isfinite(values).all(1)
                if bad.any():
                    raise ValueError(
                        f'{where}: field {field!r} is not finite in '
                        f'{bad.sum()} frames (first: '
                        f'{np.flatnonzero(bad)[:5].tolist()})')
            param = self._camera(subject, camera_id, where)
            videos.append(
                dict(
                    subject=subject,
                    action=action,
                    action_word=action,
                    subaction=subaction,
                    camera_id=camera_id,
                    keypoints=columns['keypoints'][rows].astype(np.float32),
                    keypoints_visible=columns['keypoints_visible'][rows].
                    astype(np.float32),
                    keypoints_3d=columns['joints_3d'][rows].astype(
                        np.float32),
                    keypoints_3d_visible=columns['joints_3d_visible'][rows].
                    astype(np.float32),
                    camera_param=param,
                    img_stem=columns['img_path'][rows[0]].rsplit('_', 1)[0] +
                    '_',
                    img_frames=columns['frame_id'][rows]))
        parts = [f'{name}={getattr(self, name)} left out {count} videos ({frames} frames)'
                 for name, (count, frames) in left_out.items() if count]
        if parts:
            print_log(f'{ann_file}: kept {len(videos)} videos; ' + '; '.join(parts),
                      logger='current', level=logging.INFO)
        return videos

    # ------------------------------------------------------------------
    # windows
    # ------------------------------------------------------------------
    def get_sequence_indices(self) -> np.ndarray:
        """Window descriptors (N, 3): ``video, phase, start``.

        A window's frame j is ``phase + (start + j) * seq_step``, clipped
        to the video (``pad_mask`` where it was outside).
        """
        windows = []
        length, step = self.seq_len, self.seq_step
        for video, info in enumerate(self.videos):
            num = len(info['keypoints'])
            if self.sample_mode == 'per_frame':
                windows += [(video, ) + frame_window_start(t, length, step, self.causal)[:2]
                            for t in range(num)]
                continue
            for phase in range(min(step, num)):
                count = len(range(phase, num, step))
                if self.sample_mode == 'chunks':
                    chunks = -(-count // length)
                    offset = (chunks * length - count) // 2
                    starts = [i * length - offset for i in range(chunks)]
                else:
                    starts = tiled_window_starts(count, length)
                windows += [(video, phase, start) for start in starts]
        if self.subset_frac < 1:
            count = max(1, round(len(windows) * self.subset_frac))
            chosen = np.floor(np.arange(count) * len(windows) /
                              count).astype(np.int64)
            windows = [windows[i] for i in chosen]
        return np.array(windows, dtype=np.int64).reshape(-1, 3)

    def load_data_list(self) -> List[dict]:
        """One small record per window; arrays are cut in
        :meth:`get_data_info`."""
        data_list = [
            dict(video=int(video), phase=int(phase), start=int(start))
            for video, phase, start in self.sequence_indices
        ]
        frames = sum(len(v['keypoints']) for v in self.videos)
        print_log(
            f'{type(self).__name__}: {len(data_list)} {self.sample_mode} '
            f'windows of {self.seq_len} frames (step {self.seq_step}) from '
            f'{len(self.videos)} videos, {frames} frames ({self.ann_format} '
            f'layout: {self.ann_file}'
            f'{", " + self.keypoint_2d_file if self.keypoint_2d_file else ""}'
            ')',
            logger='current',
            level=logging.INFO)
        return data_list

    def window(self, video: int, phase: int,
               start: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Frame positions (F, ), pad mask (F, ) and target indices (F_t, )
        of a window descriptor."""
        num = len(self.videos[video]['keypoints'])
        frames, pad = window_positions(num, phase, start, self.seq_len, self.seq_step)
        if self.sample_mode == 'per_frame':
            targets = np.array([frame_window_start(0, self.seq_len, causal=self.causal)[2]])
        else:
            targets = np.arange(self.seq_len)
        return frames, pad, targets

    def get_data_info(self, idx: int) -> dict:
        """The window ``idx`` with the keys listed in the class docstring."""
        info = super().get_data_info(idx)
        index = info.pop('video')
        video = self.videos[index]
        frames, pad, targets = self.window(index, info.pop('phase'),
                                           info.pop('start'))
        keypoints_3d = video['keypoints_3d'][frames]
        visible_3d = video['keypoints_3d_visible'][frames]
        info.update(
            id=info['sample_idx'],
            category_id=1,
            num_keypoints=keypoints_3d.shape[1],
            subject=video['subject'],
            action=video['action'],
            action_word=video['action_word'],
            subaction=video['subaction'],
            camera_id=video['camera_id'],
            sample_mode=self.sample_mode,
            keypoints=video['keypoints'][frames],
            keypoints_visible=video['keypoints_visible'][frames],
            keypoints_3d=keypoints_3d,
            keypoints_3d_visible=visible_3d,
            lifting_target=keypoints_3d[targets],
            lifting_target_visible=visible_3d[targets],
            frame_ids=frames,
            target_frame_ids=frames[targets],
            pad_mask=pad,
            target_pad_mask=pad[targets],
            target_img_path=[
                f'{video["img_stem"]}{n:06d}.jpg'
                for n in video['img_frames'][frames[targets]]
            ],
            camera_param=deepcopy(video['camera_param']))
        return info
