"""Build multi-view MetaPose's records from Human3.6M in MMPose's layout.

The data builder the reference (Usman et al., CVPR 2022,
``google-research/metapose``) did not release, as its SPEC describes: the
cameras of a frame are grouped (:func:`synchronised_view_groups`), the
camera-frame ground truth becomes one world pose, each view's calibration
becomes the records' camera (:func:`record_camera`: distortion reordered to
k1, k2, p1, p2, k3) whose full projection of the world pose (``pose2d_repr``)
is checked against the annotated 2D, a square box is drawn around the
annotated 2D, a 2D heatmap model runs on the box and a 4-component spherical
mixture is fitted to each joint's heatmap in frame pixels
(:func:`fit_heatmap_mixture`), and a monocular 3D estimate per view is put
in the box's unit coordinates. The result is a list of ``pre`` records
(:mod:`.multiview_record_layout`), which ``H36MMultiViewDataset`` reads and
the reference's own scripts would read too.

Heatmap sources (called per view and frame with the image path, the box
``(x_min, y_min, x_max, y_max)`` and the annotated 2D): :class:`MMPoseHeatmaps`
(an MMPose top-down COCO heatmap model on the frame images) and
:class:`RenderedHeatmaps` (Gaussians rendered at the annotated 2D: no images
needed, for tests and dry runs). Monocular 3D: the per-camera file of any
lifter (``positions_3d_cam``, the layout of ``H36MMultiViewDataset``'s
``mono3d_file``), or a :data:`Mono3DLifter` run here on each camera's
sequence of the heatmaps' 2D (``pose2d_pred``), e.g. a sequence lifter of
this plugin through ``MetaPose3DInferencer.lift_sequence``
(``tools/dataset_converters/h36m_to_multiview_records.py --mono3d-lifter``).

Note:
    V views (4), K joints (17), M components, T frames of a sequence.
"""
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.utils import ProgressBar

from metapose_plugin.structures.multiview.multiview_geometry import bbox_origin_size, mixture_means
from metapose_plugin.structures.multiview.multiview_inputs import (H36M_FROM_COCO,
                                                                   camera_to_bbox_units,
                                                                   heatmap_pixel_ranges,
                                                                   square_bboxes)
from metapose_plugin.structures.multiview.record_camera import (project_record_camera,
                                                                record_camera)
from metapose_plugin.structures.multiview.spherical_mixture_fit import (fit_heatmap_mixture,
                                                                        mixture_from_keypoints)

from .h36m_multiview_dataset import per_view_rows, synchronised_view_groups
from .h36m_sequence_dataset import H36MSequenceDataset
from .multiview_record_layout import FieldSpec
from .videopose3d_layout import read_npz_dict

#: (image path, box (x_min, y_min, x_max, y_max) px, annotated 2D (K, 2) px)
#: -> mixtures (K, M, 4) ``(pi, mu_x, mu_y, variance)`` frame pixels.
HeatmapSource = Callable[[str, np.ndarray, np.ndarray], np.ndarray]
#: (one camera's 2D sequence (T, K, 2) frame pixels, frame (w, h) px)
#: -> (T, K, 3) monocular 3D in that camera's frame (any unit)
Mono3DLifter = Callable[[np.ndarray, Tuple[int, int]], np.ndarray]


def pre_record_fields(views: int = 4, joints: int = 17,
                      components: int = 4) -> Dict[str, FieldSpec]:
    """The feature spec of a ``pre`` record (the reference's field names and dtypes)."""
    return dict(
        pose3d=FieldSpec((joints, 3), 'float64'),
        cam_pose3d=FieldSpec((views, 3), 'float64'),
        cam_rot=FieldSpec((views, 3, 3), 'float64'),
        cam_intr=FieldSpec((views, 4), 'float64'),
        cam_kd=FieldSpec((views, 5), 'float64'),
        pose2d_gt=FieldSpec((views, joints, 2), 'float64'),
        pose2d_repr=FieldSpec((views, joints, 2), 'float64'),
        heatmaps=FieldSpec((views, joints, components, 4), 'float64'),
        pose2d_pred=FieldSpec((views, joints, 2), 'float64'),
        keys=FieldSpec((views, ), 'string'),
        bboxes=FieldSpec((views, 4), 'int32'),
        pose3d_epi_pred=FieldSpec((views, joints, 3), 'float32'))


class RenderedHeatmaps:
    """Synthetic heatmaps: an isotropic Gaussian at each (noisy) annotated joint.

    Rendered on a ``size`` x ``size`` grid over the box, then fitted like a
    model's heatmaps. No images are read.

    Args:
        sigma (float): Gaussian std, pixels. Defaults to 4.
        noise (float): Std of the N(0, noise) pixels added to the joints.
            Defaults to 2.
        size (int): Heatmap side. Defaults to 48.
        num_components (int): M. Defaults to 4.
        seed (int): Seed of the noise. Defaults to 0.
    """

    def __init__(self, sigma: float = 4.0, noise: float = 2.0, size: int = 48,
                 num_components: int = 4, seed: int = 0):
        self.sigma, self.noise, self.size = sigma, noise, size
        self.num_components = num_components
        self.rng = np.random.default_rng(seed)

    def __call__(self, image_path: str, box: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
        """(K, M, 4) pixel mixtures fitted to the rendered heatmaps."""
        xs = np.linspace(box[0], box[2], self.size)
        ys = np.linspace(box[1], box[3], self.size)
        centres = keypoints + self.rng.normal(0, self.noise, keypoints.shape)
        # (K, H, W) Gaussians on the box's pixel grid
        maps = np.exp(-((ys[None, :, None] - centres[:, 1, None, None])**2 +
                        (xs[None, None, :] - centres[:, 0, None, None])**2) / (2 * self.sigma**2))
        return fit_heatmap_mixture(torch.from_numpy(maps + 1e-12), self.num_components, 5,
                                   (box[0], box[2]), (box[1], box[3])).double().numpy()


class MMPoseHeatmaps:
    """An MMPose top-down heatmap model (COCO keypoints) on the frame images.

    The model runs on the box of each view; its 17 COCO heatmaps are fitted
    (:func:`fit_heatmap_mixture`, in frame pixels through the crop's centre
    and scale) and the H36M joints COCO has (:data:`H36M_FROM_COCO`) take
    them; pelvis, spine, thorax and head (midpoints of COCO joints in
    MMPose's conversion) get mixtures at the converted keypoints
    (:func:`mixture_from_keypoints`, std ``sigma / score``).

    Args:
        config (str | Config): MMPose config (path, model alias or
            :class:`Config`) of a COCO top-down heatmap model.
        checkpoint (str, optional): Its weights.
        device (str): Defaults to ``'cpu'``.
        sigma (float): Std (pixels) of the converted joints' mixtures.
            Defaults to 5.
        num_components (int): M. Defaults to 4.
    """

    def __init__(self, config: Union[str, Config], checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 sigma: float = 5.0, num_components: int = 4):
        from mmpose.apis import init_model
        self.model = init_model(config, checkpoint, device=device, cfg_options=dict(
            model=dict(test_cfg=dict(output_heatmaps=True))))
        name = self.model.dataset_meta.get('dataset_name')
        if name not in ('coco', 'coco_wholebody'):
            raise ValueError(f'{config}: the model predicts {name!r} keypoints; the builder '
                             'needs a COCO (or COCO-WholeBody) top-down heatmap model')
        self.sigma, self.num_components = sigma, num_components

    def __call__(self, image_path: str, box: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
        """(17, M, 4) H36M pixel mixtures of the person in ``box``."""
        from mmpose.apis import convert_keypoint_definition, inference_topdown
        if not osp.isfile(image_path):
            raise FileNotFoundError(f'{image_path}: image missing (MMPose layout: '
                                    '<image root>/<imgname>)')
        (sample, ) = inference_topdown(self.model, image_path, np.asarray(box)[None], 'xyxy')
        heatmaps = torch.as_tensor(np.asarray(sample.pred_fields.heatmaps))[:17].clamp(min=0)
        x_range, y_range = heatmap_pixel_ranges(sample.metainfo['input_center'],
                                                sample.metainfo['input_scale'],
                                                heatmaps.shape[:0:-1])
        coco = fit_heatmap_mixture(heatmaps + 1e-12, self.num_components, 5,
                                   torch.as_tensor(x_range), torch.as_tensor(y_range)).double()
        points = np.concatenate([np.asarray(sample.pred_instances.keypoints)[:, :17],
                                 np.asarray(sample.pred_instances.keypoint_scores)[:, :17, None]],
                                axis=-1)
        h36m = convert_keypoint_definition(points.astype(np.float32), 'coco', 'h36m')[0]
        mixtures = mixture_from_keypoints(torch.from_numpy(h36m[:, :2]).double(),
                                          torch.from_numpy(h36m[:, 2]).double(), self.sigma,
                                          self.num_components)
        for joint, coco_joint in H36M_FROM_COCO.items():
            mixtures[joint] = coco[coco_joint]
        return mixtures.numpy()


def build_h36m_records(ann_file: str,
                       camera_param_file: str,
                       heatmaps: HeatmapSource,
                       mono3d: Union[str, Mono3DLifter],
                       image_root: str = '',
                       subjects: Optional[Sequence[str]] = None,
                       frame_step: int = 1,
                       bbox_margin: float = 0.2,
                       max_reprojection_px: float = 2.0,
                       progress: bool = True) -> List[Dict[str, np.ndarray]]:
    """``pre`` records of every synchronised 4-camera frame of an MMPose H36M file.

    Args:
        ann_file (str): MMPose's ``h36m_<split>.npz`` (``imgname``,
            ``center``, ``scale``, ``part``, ``S``).
        camera_param_file (str): MMPose's ``cameras.pkl``.
        heatmaps (HeatmapSource): :class:`MMPoseHeatmaps` or
            :class:`RenderedHeatmaps`.
        mono3d (str | Mono3DLifter): An npz ``positions_3d_cam``
            ``{subject: {'<action> <subaction>': [4 x (T, 17, 3)]}}``: any
            lifter's camera-frame estimates (any unit), rows as in the
            source video; or a lifter called per sequence and camera on the
            kept frames' ``pose2d_pred`` (a sequence lifter sees them at
            the rate of ``frame_step``: keep 1 unless it was trained so).
        image_root (str): Folder the ``imgname`` paths are relative to.
        subjects (Sequence[str], optional): Subjects; all when None.
        frame_step (int): Keep every n-th frame. Defaults to 1.
        bbox_margin (float): Square box margin. Defaults to 0.2.
        max_reprojection_px (float): Largest allowed distance between the
            full projection of the ground truth and the annotated 2D.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        list[dict]: Records with the fields of :func:`pre_record_fields`;
        lengths in mm, ``keys`` ``'s%07d_f%07d_c%02d'`` (sequence number in
        sorted (subject, action, subaction) order from 1, frame id, camera).

    Raises:
        ValueError: naming the sequence, camera and frame when the
            projection check fails, or a file's field is missing, or the
            lifter's output does not fit.
    """
    cameras = (0, 1, 2, 3)
    reader = H36MSequenceDataset(ann_file=ann_file, ann_format='mmpose',
                                 camera_param_file=camera_param_file, subjects=subjects,
                                 cameras=list(cameras), seq_len=1, lazy_init=True)
    mono_table = (None if callable(mono3d) else
                  read_npz_dict(mono3d, 'positions_3d_cam', 'a monocular 3D npz'))
    groups = list(synchronised_view_groups(reader.videos, cameras, ann_file))
    bar = ProgressBar(sum(len(views[0]['frames'][::frame_step]) for _, views, _, _ in groups)
                      ) if progress else None
    records = []
    for sequence, ((subject, action, subaction), views, index, where) in enumerate(groups, 1):
        rows = np.arange(0, len(views[0]['frames']), frame_step)
        calib = [record_camera(view['camera_param']) for view in views]
        rot, centre, intr, dist = (np.stack([c[i] for c in calib]) for i in range(4))
        centre_mm = centre * 1000.0
        frames = []
        for t in rows:
            world_mm = views[0]['world'][t] * 1000.0
            annotated = np.stack([view['keypoints'][t] for view in views])
            repr2d, _ = project_record_camera(np.broadcast_to(world_mm, (4, 17, 3)), rot,
                                              centre_mm, intr, dist)
            error = np.linalg.norm(repr2d - annotated, axis=-1).max(-1)
            if (error > max_reprojection_px).any():
                camera = int(np.argmax(error))
                raise ValueError(
                    f'{where} camera {camera} frame {int(views[0]["frames"][t])}: the '
                    f'projection of the ground truth is {error[camera]:.1f} px from field '
                    f'part (> {max_reprojection_px}); wrong cameras.pkl for this subject?')
            bboxes = square_bboxes(annotated, bbox_margin)
            int_boxes = np.concatenate([np.floor(bboxes[:, 0::2]), np.ceil(bboxes[:, 1::2])],
                                       axis=-1)[:, [0, 2, 1, 3]].astype(np.int32)
            mixtures = np.stack([
                heatmaps(osp.join(image_root, f'{view["img_stem"]}{view["frames"][t]:06d}.jpg'),
                         box[[2, 0, 3, 1]].astype(np.float64), points)
                for view, box, points in zip(views, int_boxes, annotated)])
            frame_id = int(views[0]['frames'][t])
            frames.append(dict(
                pose3d=world_mm, cam_pose3d=centre_mm, cam_rot=rot, cam_intr=intr,
                cam_kd=dist, pose2d_gt=annotated, pose2d_repr=repr2d, heatmaps=mixtures,
                pose2d_pred=mixture_means(torch.from_numpy(mixtures)).numpy(),
                bboxes=int_boxes,
                keys=np.array([b's%07d_f%07d_c%02d' % (sequence, frame_id, c) for c in cameras])))
            if bar is not None:
                bar.update()
        if mono_table is None:
            mono = lift_views(mono3d, np.stack([f['pose2d_pred'] for f in frames], 1), views,
                              where)
        else:
            mono = per_view_rows(mono_table, mono3d, 'positions_3d_cam', subject,
                                 f'{action} {subaction}', cameras, index, (17, 3))[rows]
        for frame, mono_views in zip(frames, mono):
            origin, size = (v.numpy() for v in bbox_origin_size(
                torch.from_numpy(frame['bboxes'])))
            frame['pose3d_epi_pred'] = camera_to_bbox_units(mono_views, frame['pose2d_pred'],
                                                            origin, size)
            records.append(frame)
    return records


def lift_views(lifter: Mono3DLifter, pose2d: np.ndarray, views: List[dict],
               where: str) -> np.ndarray:
    """Each camera's 2D sequence through ``lifter``.

    Args:
        lifter (Mono3DLifter): The monocular lifter.
        pose2d (np.ndarray): (V, T, K, 2) frame pixels.
        views (list[dict]): The V views (``camera_param`` with ``w``, ``h``).
        where (str): The sequence, for errors.

    Returns:
        np.ndarray: (T, V, K, 3) camera frames.

    Raises:
        ValueError: If the lifter returns another shape than (T, K, 3).
    """
    lifted = []
    for camera, (sequence, view) in enumerate(zip(pose2d, views)):
        size = (int(view['camera_param']['w']), int(view['camera_param']['h']))
        poses = np.asarray(lifter(sequence, size))
        if poses.shape != sequence.shape[:2] + (3, ):
            raise ValueError(f'{where} camera {camera}: the monocular lifter returned '
                             f'{poses.shape}, expected {sequence.shape[:2] + (3, )} (T, K, 3)')
        lifted.append(poses)
    return np.stack(lifted, 1)
