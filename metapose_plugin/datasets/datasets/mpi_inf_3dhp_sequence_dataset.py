import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.logging import print_log
from mmpose.registry import DATASETS

from metapose_plugin.structures.h36m_metainfo import H36M_METAINFO
from metapose_plugin.structures.mpi_inf_3dhp_joints import (JOINT_ORDERS, MPI_INF_3DHP_METAINFO,
                                                            joint_order_metainfo, to_joint_order)

from .utils import join_data_root
from .h36m_sequence_dataset import H36MSequenceDataset
from .mpi_inf_3dhp_mat_layout import load_annot_data
from .mpi_inf_3dhp_npz_layout import read_pstmo_npz

#: Image size (w, h) of the test sequences; every training view is
#: 2048 x 2048 (SPEC_3DHP sections 1 and 7).
TEST_IMAGE_SIZES: Dict[str, Tuple[int, int]] = {
    'TS1': (2048, 2048), 'TS2': (2048, 2048), 'TS3': (2048, 2048),
    'TS4': (2048, 2048), 'TS5': (1920, 1080), 'TS6': (1920, 1080)
}
TRAIN_IMAGE_SIZE = (2048, 2048)


@DATASETS.register_module()
class MPIINF3DHPSequenceDataset(H36MSequenceDataset):
    """MPI-INF-3DHP windows of 2D keypoints and 3D poses for sequence lifters.

    Reads P-STMO's npz layout (``data_train_3dhp.npz`` /
    ``data_test_3dhp.npz`` with ``univ_annot3``; FinePOSE's ``*_ori.npz``
    with ``annot3``; SPEC_3DHP section 7). A training file gives one video per
    (subject sequence, camera view), a test file one per ``TSk`` with its
    valid-frame mask. The windows are those of :class:`H36MSequenceDataset`
    (``seq_len``, ``seq_step``, ``sample_mode`` ``'per_frame'`` /
    ``'chunks'`` / ``'test_chunks'``, edge padding flagged in ``pad_mask``),
    whose window code this class reuses. With ``valid_targets_only``
    (default: in test mode) a ``per_frame`` window exists only for valid
    frames, as P-STMO evaluates (the window may hold invalid neighbours);
    FinePOSE's evaluation is ``test_chunks`` over every frame, the metric
    then skips invalid frames.

    Each data info holds (F window frames, F_t targets, K joints in
    ``joint_order``): ``keypoints`` (F, K, 2) image pixels,
    ``keypoints_visible`` (F, K), ``keypoints_3d`` (F, K, 3) camera frame,
    metres, absolute, ``keypoints_3d_visible`` (F, K), ``lifting_target``
    (F_t, K, 3) metres, absolute (the codec subtracts the root: 14 in the
    3DHP order, 0 in H36M's) and ``lifting_target_visible`` (F_t, K),
    ``camera_param = dict(w, h)``: the sequence's image size (TS5/TS6
    1920 x 1080, all else 2048 x 2048), so that MMPose's ``VideoPoseLifting``
    codec normalises 2D as ``X / w * 2 - [1, h / w]`` per sequence; metainfo
    ``sequence`` (``'TS1'`` / ``'S1 Seq1'``), ``camera_id`` (``'0'``...;
    ``''`` for test sequences), ``frame_ids`` (F,), ``pad_mask`` (F,),
    ``valid`` (F,), ``target_frame_ids``, ``target_pad_mask``,
    ``target_valid`` and ``target_activity`` (F_t,) (activity 1..7 read
    from ``annot_root``, else 0), ``sequence_num_frames``, ``skeleton``
    (``'univ_annot3'`` / ``'annot3'``), ``sample_mode``, and the pose
    metainfo (``flip_indices``...) of the joint order.

    Args:
        ann_file (str): The npz, relative to ``data_root`` unless absolute.
        sequences (Sequence[str], optional): Sequences to keep
            (``'S8 Seq1'``, ``'TS1'``...); all when None.
        seq_len (int): F. Defaults to 27.
        seq_step (int): Frames between window frames. Defaults to 1.
        sample_mode (str): See :class:`H36MSequenceDataset`. Defaults to
            ``'per_frame'``.
        valid_targets_only (bool, optional): ``per_frame`` windows only for
            valid frames. Defaults to ``test_mode``.
        joint_order (str): ``'mpi_inf_3dhp'`` (root 14, as P-STMO, FinePOSE,
            CA-PF), ``'h36m'`` (the SPEC_3DHP section 2 map, root 0, for
            models trained in Human3.6M order) or ``'mpm16'`` (MPM's 16
            joints, root 0: head_top averaged with head, no neck; K = 16).
            Defaults to ``'mpi_inf_3dhp'``.
        skeleton (str, optional): What the file holds, ``'univ_annot3'`` or
            ``'annot3'`` (the npz does not say): by default ``annot3`` for a
            name ending in ``_ori.npz``, else ``univ_annot3``.
        annot_root (str, optional): Folder with ``TSk/annot_data.mat``, for
            the activity labels of test frames; its valid masks must equal
            the npz's.
        test_image_sizes (dict, optional): Test sequence -> (w, h), added to
            :data:`TEST_IMAGE_SIZES`.
        subset_frac, data_root, metainfo, pipeline, test_mode, lazy_init,
            serialize_data, max_refetch: See :class:`H36MSequenceDataset`.
    """

    METAINFO: dict = MPI_INF_3DHP_METAINFO

    def __init__(self,
                 ann_file: str,
                 sequences: Optional[Sequence[str]] = None,
                 seq_len: int = 27,
                 seq_step: int = 1,
                 sample_mode: str = 'per_frame',
                 valid_targets_only: Optional[bool] = None,
                 joint_order: str = 'mpi_inf_3dhp',
                 skeleton: Optional[str] = None,
                 annot_root: Optional[str] = None,
                 test_image_sizes: Optional[Dict[str, Sequence[int]]] = None,
                 subset_frac: float = 1.0,
                 data_root: str = '',
                 metainfo: Optional[dict] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 serialize_data: bool = True,
                 max_refetch: int = 1000):
        if joint_order not in JOINT_ORDERS:
            raise ValueError(f'unknown joint_order {joint_order!r}; expected '
                             f'one of {sorted(JOINT_ORDERS)}')
        if skeleton is None:
            skeleton = 'annot3' if ann_file.endswith('_ori.npz') else \
                'univ_annot3'
        if skeleton not in ('univ_annot3', 'annot3'):
            raise ValueError(f'skeleton must be univ_annot3 or annot3, got '
                             f'{skeleton!r}')
        self.sequences = None if sequences is None else list(sequences)
        self.valid_targets_only = (test_mode if valid_targets_only is None
                                   else valid_targets_only)
        self.joint_order = joint_order
        self.skeleton = skeleton
        self.annot_root = join_data_root(annot_root, data_root)
        self.test_image_sizes = dict(TEST_IMAGE_SIZES)
        self.test_image_sizes.update(
            {k: tuple(v) for k, v in (test_image_sizes or {}).items()})
        if metainfo is None and joint_order == 'h36m':
            metainfo = dict(H36M_METAINFO)
        elif metainfo is None and joint_order == 'mpm16':
            metainfo = joint_order_metainfo('mpm16')
        super().__init__(
            ann_file=ann_file,
            seq_len=seq_len,
            seq_step=seq_step,
            sample_mode=sample_mode,
            subset_frac=subset_frac,
            data_root=data_root,
            metainfo=metainfo,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            serialize_data=serialize_data,
            max_refetch=max_refetch)

    def _activities(self, video: dict, ann_file: str) -> np.ndarray:
        num_frames = len(video['valid'])
        if not video['is_test'] or self.annot_root is None:
            return np.zeros(num_frames, dtype=np.int64)
        path = osp.join(self.annot_root, video['sequence'], 'annot_data.mat')
        annot = load_annot_data(path)
        if not np.array_equal(annot['valid'], video['valid']):
            raise ValueError(
                f'{path}: valid_frame ({int(annot["valid"].sum())} of '
                f'{len(annot["valid"])}) differs from the valid mask of '
                f'{video["sequence"]} in {ann_file} '
                f'({int(video["valid"].sum())} of {num_frames})')
        return annot['activity']

    def _load_ann_file(self, ann_file: str) -> None:
        """Read the npz into ``self.videos`` (called by the base class)."""
        self.ann_format = 'pstmo'
        self.videos = []
        videos = read_pstmo_npz(ann_file)
        if self.sequences is not None:
            present = {v['sequence'] for v in videos}
            absent = sorted(set(self.sequences) - present)
            if absent:
                raise ValueError(f'{ann_file}: sequences {absent} are not in '
                                 f'the file (present: {sorted(present)})')
            left_out = [v for v in videos if v['sequence'] not in self.sequences]
            if left_out:
                frames = sum(len(v['keypoints']) for v in left_out)
                print_log(f'{ann_file}: sequences={self.sequences} left out '
                          f'{len(left_out)} videos ({frames} frames)', logger='current')
            videos = [v for v in videos if v['sequence'] in self.sequences]
        for video in videos:
            name = video['sequence']
            if video['is_test']:
                size = self.test_image_sizes.get(name)
                if size is None:
                    raise ValueError(
                        f'{ann_file}: no image size for test sequence '
                        f'{name}; pass test_image_sizes={{{name!r}: (w, h)}}')
            else:
                size = TRAIN_IMAGE_SIZE
            num_frames, num_joints = video['keypoints'].shape[:2]
            ones = np.ones((num_frames, num_joints), np.float32)
            self.videos.append(
                dict(video,
                     keypoints=to_joint_order(video['keypoints'],
                                              self.joint_order).astype(
                                                  np.float32),
                     keypoints_3d=(to_joint_order(video['keypoints_3d'],
                                                  self.joint_order) /
                                   1000.0).astype(np.float32),
                     keypoints_visible=ones,
                     keypoints_3d_visible=ones,
                     activity=self._activities(video, ann_file),
                     image_size=tuple(int(v) for v in size)))
        self.ann_data = None

    def get_sequence_indices(self) -> List[Tuple[int, int, int]]:
        """The windows of :class:`H36MSequenceDataset`; with
        ``valid_targets_only``, ``per_frame`` windows of invalid frames are
        dropped."""
        windows = super().get_sequence_indices()
        if not (self.valid_targets_only and self.sample_mode == 'per_frame'):
            return windows
        kept = []
        for video, phase, start in windows:
            frames, _, targets = self.window(video, phase, start)
            if self.videos[video]['valid'][frames[targets]].all():
                kept.append((video, phase, start))
        return kept

    def get_data_info(self, idx: int) -> dict:
        """The window ``idx`` with the keys listed in the class docstring."""
        info = super(H36MSequenceDataset, self).get_data_info(idx)
        index = info.pop('video')
        video = self.videos[index]
        frames, pad, targets = self.window(index, info.pop('phase'),
                                           info.pop('start'))
        keypoints_3d = video['keypoints_3d'][frames]
        visible_3d = video['keypoints_3d_visible'][frames]
        w, h = video['image_size']
        info.update(
            id=info['sample_idx'],
            category_id=1,
            num_keypoints=keypoints_3d.shape[1],
            sequence=video['sequence'],
            camera_id=video['camera_id'],
            sample_mode=self.sample_mode,
            skeleton=self.skeleton,
            keypoints=video['keypoints'][frames],
            keypoints_visible=video['keypoints_visible'][frames],
            keypoints_3d=keypoints_3d,
            keypoints_3d_visible=visible_3d,
            lifting_target=keypoints_3d[targets],
            lifting_target_visible=visible_3d[targets],
            frame_ids=frames,
            pad_mask=pad,
            valid=video['valid'][frames],
            target_frame_ids=frames[targets],
            target_pad_mask=pad[targets],
            target_valid=video['valid'][frames[targets]],
            target_activity=video['activity'][frames[targets]],
            sequence_num_frames=len(video['valid']),
            camera_param=dict(w=w, h=h))
        return info
