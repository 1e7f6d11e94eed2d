import logging
import os.path as osp
from copy import deepcopy
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import DATASETS

from metapose_plugin.structures.h36m_metainfo import H36M_METAINFO

from .utils import join_data_root
from .h36m_annotations import PICKLE_2D_FIELDS, read_capf_pickle, read_mmpose_npz, select_records

#: How ``PackPoseInputs`` routes this dataset's keys (docs/design.md).
INSTANCE_MAPPING_TABLE = dict(
    keypoints='keypoints',
    keypoints_visible='keypoints_visible',
    lifting_target='lifting_target',
    lifting_target_visible='lifting_target_visible',
    target_root='target_root')
LABEL_MAPPING_TABLE = dict(
    keypoint_labels='keypoint_labels',
    lifting_target_label='lifting_target_label')

_ANN_FORMATS = {'.pkl': 'pkl', '.npz': 'npz'}


@DATASETS.register_module()
class H36MImageDataset(BaseDataset):
    """Human3.6M frames with 2D keypoints and 3D targets for image lifters.

    One sample is one person in one camera frame: the image (cropped by the
    pipeline's :class:`LoadPersonCrop`), two views of the selected 2D
    keypoints and the 3D pose, as used by CA-PF (Zhao et al., NeurIPS 2023)
    and MetaPose.

    Two annotation layouts are read (``ann_format``, or the file suffix):

    - ``'pkl'``: CA-PF / H36M-Toolbox pickles (``h36m_train.pkl``,
      ``h36m_validation.pkl``): a list of dicts (SPEC section 6). 2D sources
      ``'gt'``, ``'cpn'`` and, when the file has ``joints_2d_hrnet``,
      ``'hrnet'``. The full-frame 2D is stored normalised; pixels are
      recovered with the nominal frame size of the camera (1000 x 1002 for
      cameras 0 and 3, 1000 x 1000 for cameras 1 and 2).
    - ``'npz'``: MMPose's layout (``imgname``, ``center``, ``scale``,
      ``part``, ``S``) plus ``cameras.pkl`` and, for ``'cpn'``, the 2D
      detection ``.npy``. On the sample, ``S`` is already camera-frame
      metres (equal to the pickle's ``joints_3d`` for the same frames) and
      ``part``/detections are frame pixels; the frame size comes from
      ``cameras.pkl``. ``subaction`` is 1 for a name without trial suffix and
      n + 1 for ``_n``.

    Records whose selected 2D keypoints, 3D joints or box are not finite are
    skipped at load time; their number and the first few indices are logged.
    Malformed files (missing fields, wrong shapes, unknown actions, 3D not in
    metres) raise :class:`ValueError` naming the file, record and field.

    Each data info (before the pipeline) holds: ``img_path``,
    ``img_precropped``, ``center`` (2,) and ``scale`` (2,) (frame pixels,
    pixels / 200), ``keypoints`` (1, K, 2) full-frame pixels (the crop
    transform maps them to crop pixels), ``keypoint_labels`` (1, K, 2)
    normalised full frame ``X / w * 2 - [1, h / w]``, ``keypoints_visible``
    (1, K), ``lifting_target`` and ``lifting_target_label`` (1, K, 3)
    camera-frame metres minus the root joint (joint 0 is exactly 0),
    ``lifting_target_visible`` (1, K), ``target_root`` (1, 3) camera-frame
    metres, the metainfo ``subject`` ('S9'), ``action`` (canonical name),
    ``subaction``, ``camera_id`` (0..3), ``frame_id``, ``frame_size`` (w, h),
    ``flip_indices``, and the mapping tables that make ``PackPoseInputs``
    produce the fields of docs/design.md.

    Args:
        ann_file (str): Annotation file (``.pkl`` or ``.npz``), relative to
            ``data_root`` unless absolute.
        ann_format (str, optional): ``'pkl'`` or ``'npz'``; from the file
            suffix when None.
        keypoint_2d_src (str): ``'gt'``, ``'cpn'`` (detections) or
            ``'hrnet'`` (pickles that carry it). Defaults to ``'cpn'``.
        keypoint_2d_det_file (str, optional): npz layout only: the 2D
            detection ``.npy`` (N, K, 2 or 3), row-aligned with the npz.
        camera_param_file (str, optional): npz layout only (required there):
            MMPose's ``cameras.pkl``.
        subjects (Sequence[str], optional): Keep these subjects
            (``['S9', 'S11']``); all when None.
        stride (int): Keep frames with ``(frame_id - 1) % stride == 0``.
            Defaults to 1.
        subset_frac (float): Keep this fraction of the remaining records,
            evenly spaced in file order. Defaults to 1.
        img_precropped (bool): The image files are already the
            ``input_size`` crops instead of full frames. Defaults to False.
        data_root (str): Root of ``ann_file``, the extra files and
            ``data_prefix``.
        data_prefix (dict): ``img``: image folder. Defaults to
            ``dict(img='')``.
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
                 ann_format: Optional[str] = None,
                 keypoint_2d_src: str = 'cpn',
                 keypoint_2d_det_file: Optional[str] = None,
                 camera_param_file: Optional[str] = None,
                 subjects: Optional[Sequence[str]] = None,
                 stride: int = 1,
                 subset_frac: float = 1.0,
                 img_precropped: bool = False,
                 data_root: str = '',
                 data_prefix: dict = dict(img=''),
                 metainfo: Optional[dict] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 serialize_data: bool = True,
                 max_refetch: int = 1000):
        if ann_format is None:
            suffix = osp.splitext(ann_file)[1]
            if suffix not in _ANN_FORMATS:
                raise ValueError(
                    f'{ann_file}: cannot tell the layout from the suffix '
                    f'{suffix!r}; pass ann_format=\'pkl\' or \'npz\'')
            ann_format = _ANN_FORMATS[suffix]
        if ann_format not in _ANN_FORMATS.values():
            raise ValueError(f'ann_format must be \'pkl\' or \'npz\', got '
                             f'{ann_format!r}')
        if keypoint_2d_src not in PICKLE_2D_FIELDS:
            raise ValueError(f'keypoint_2d_src must be one of '
                             f'{sorted(PICKLE_2D_FIELDS)}, got '
                             f'{keypoint_2d_src!r}')
        if ann_format == 'npz' and camera_param_file is None:
            raise ValueError(f'{ann_file}: the npz layout needs '
                             'camera_param_file (cameras.pkl)')
        if int(stride) < 1:
            raise ValueError(f'stride must be >= 1, got {stride}')
        if not 0 < subset_frac <= 1:
            raise ValueError(f'subset_frac must be in (0, 1], got '
                             f'{subset_frac}')
        self.ann_format = ann_format
        self.keypoint_2d_src = keypoint_2d_src
        self.keypoint_2d_det_file = join_data_root(keypoint_2d_det_file, data_root)
        self.camera_param_file = join_data_root(camera_param_file, data_root)
        self.subjects = None if subjects is None else list(subjects)
        self.stride = int(stride)
        self.subset_frac = float(subset_frac)
        self.img_precropped = img_precropped
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=list(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            serialize_data=serialize_data,
            max_refetch=max_refetch)

    @classmethod
    def _load_metainfo(cls, metainfo: Optional[dict] = None) -> dict:
        """Parse the pose metainfo (joint names, ``flip_indices``) as MMPose
        datasets do, MMPose's ``h36m`` one by default."""
        if metainfo is None:
            metainfo = deepcopy(cls.METAINFO)
        if not isinstance(metainfo, dict):
            raise TypeError(f'metainfo must be a dict, got {type(metainfo)}')
        return parse_pose_metainfo(metainfo)

    def _read_columns(self) -> Dict[str, np.ndarray]:
        num_keypoints = self.metainfo['num_keypoints']
        if self.ann_format == 'pkl':
            return read_capf_pickle(self.ann_file, self.keypoint_2d_src,
                                    num_keypoints)
        return read_mmpose_npz(self.ann_file, self.camera_param_file,
                               self.keypoint_2d_det_file,
                               self.keypoint_2d_src, num_keypoints)

    def _finite_mask(self, columns: Dict[str, np.ndarray]) -> np.ndarray:
        """True for records whose 2D, 3D and box values are all finite."""
        finite = np.ones(len(columns['img_path']), dtype=bool)
        for key in ('keypoints', 'joints_3d', 'center', 'scale'):
            values = columns[key].reshape(len(finite), -1)
            bad = ~np.isfinite(values).all(1)
            if bad.any():
                print_log(
                    f'{self.ann_file}: {bad.sum()} records have non-finite '
                    f'{key!r} (first: {np.flatnonzero(bad)[:5].tolist()}); '
                    'they are skipped',
                    logger='current',
                    level=logging.WARNING)
            finite &= ~bad
        return finite

    def _keep_mask(self, columns: Dict[str, np.ndarray]) -> np.ndarray:
        """The non-finite filter, subjects and stride, then the subset; the
        records each filter removes are logged."""
        keep = self._finite_mask(columns)
        removed = []
        if self.subjects is not None:
            present = set(columns['subject'].tolist())
            absent = sorted(set(self.subjects) - present)
            if absent:
                raise ValueError(f'{self.ann_file}: subjects {absent} are '
                                 f'not in the file (present: '
                                 f'{sorted(present)})')
            chosen = np.isin(columns['subject'], self.subjects)
            removed.append(f'subjects={self.subjects}: {(keep & ~chosen).sum()}')
            keep &= chosen
        if self.stride > 1:
            chosen = (columns['frame_id'] - 1) % self.stride == 0
            removed.append(f'stride={self.stride}: {(keep & ~chosen).sum()}')
            keep &= chosen
        if self.subset_frac < 1:
            kept = np.flatnonzero(keep)
            count = max(1, round(len(kept) * self.subset_frac))
            chosen = kept[np.floor(
                np.arange(count) * len(kept) / count).astype(np.int64)]
            removed.append(f'subset_frac={self.subset_frac}: {len(kept) - count}')
            keep = np.zeros_like(keep)
            keep[chosen] = True
        if removed:
            print_log(f'{self.ann_file}: records left out by ' + ', '.join(removed),
                      logger='current')
        return keep

    def load_data_list(self) -> List[dict]:
        """Read the annotation file and build one compact record per frame.

        Derived fields (root-relative target, tables) are added in
        :meth:`get_data_info`, so the stored list stays small.
        """
        columns = self._read_columns()
        total = len(columns['img_path'])
        columns = select_records(columns, self._keep_mask(columns))
        img_prefix = self.data_prefix.get('img', '')
        data_list = []
        for i, img_path in enumerate(columns['img_path']):
            data_list.append(
                dict(
                    img_path=osp.join(img_prefix, img_path),
                    subject=str(columns['subject'][i]),
                    action=str(columns['action'][i]),
                    subaction=int(columns['subaction'][i]),
                    camera_id=int(columns['camera_id'][i]),
                    frame_id=int(columns['frame_id'][i]),
                    frame_size=tuple(int(v) for v in columns['frame_size'][i]),
                    center=columns['center'][i].astype(np.float32),
                    scale=columns['scale'][i].astype(np.float32),
                    keypoints=columns['keypoints'][i].astype(np.float32),
                    keypoint_labels=columns['keypoint_labels'][i].astype(
                        np.float32),
                    keypoints_visible=columns['keypoints_visible'][i].astype(
                        np.float32),
                    joints_3d=columns['joints_3d'][i],
                    joints_3d_visible=columns['joints_3d_visible'][i].astype(
                        np.float32)))
        print_log(
            f'{type(self).__name__}: {len(data_list)} of {total} records '
            f'from {self.ann_file} ({self.ann_format} layout, 2D source '
            f'{self.keypoint_2d_src!r})',
            logger='current')
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """Data info of sample ``idx`` with the root-relative 3D target."""
        info = super().get_data_info(idx)
        joints_3d = info.pop('joints_3d')
        root = joints_3d[0].copy()
        target = joints_3d - root
        target[0] = 0.0
        target = target[None].astype(np.float32)
        info.update(
            id=info['sample_idx'],
            img_precropped=self.img_precropped,
            keypoints=info['keypoints'][None],
            keypoint_labels=info['keypoint_labels'][None],
            keypoints_visible=info['keypoints_visible'][None],
            lifting_target=target,
            lifting_target_label=target.copy(),
            lifting_target_visible=info.pop('joints_3d_visible')[None],
            target_root=root[None].astype(np.float32),
            # _metainfo: the public property deep-copies all metainfo per call
            flip_indices=list(self._metainfo['flip_indices']),
            instance_mapping_table=dict(INSTANCE_MAPPING_TABLE),
            label_mapping_table=dict(LABEL_MAPPING_TABLE))
        return info
