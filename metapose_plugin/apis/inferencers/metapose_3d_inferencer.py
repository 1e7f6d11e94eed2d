"""Video / image / 2D keypoint file to 3D skeletons with any lifter of the
plugin: image-context lifters frame by frame, sequence lifters offline."""
import mimetypes
import operator
import os
import warnings
from collections import defaultdict
from contextlib import nullcontext
from datetime import datetime
from typing import Callable, Iterable, Iterator, List, Optional, Tuple, Union

import mmcv
import mmengine
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.infer.infer import ModelType
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from mmpose.apis.inferencers import Pose2DInferencer
from mmpose.apis.inferencers.base_mmpose_inferencer import BaseMMPoseInferencer
from mmpose.registry import INFERENCERS
from mmpose.structures import PoseDataSample

from metapose_plugin.engine.fileio import open_video
from metapose_plugin.engine.runner import (check_state_dict_keys, checkpoint_state_dict,
                                           read_checkpoint)
from metapose_plugin.visualization import MetaPose3dLocalVisualizer

from ..bvh_export import track_keypoints, write_bvh
from ..model_zoo import resolve_pose_models
from .feature_reuse import HRNetFeatureCapture, feature_reuse_blocker, lift_from_features
from .keypoint_files import is_keypoint_file
from .lifter_config import (check_video_lifter, codec_needs_intrinsics, is_image_lifter,
                            sequence_window_spec)
from .lifter_inputs import build_lifter_sample, crop_image, crop_warp_matrix, to_h36m
from .offline_lifting import InputType, OfflineLiftingMixin
from .person_tracker import PersonTracker
from .pose2d_pass import frame_people
from .sequence_lifting import TrackLifter
from .video_outputs import to_json

LIFTER_INPUT_SIZE = (192, 256)  # crop (W, H), docs/design.md


class _Frames:
    """An iterator that tells rich's progress bar how many frames to expect
    (``operator.length_hint``)."""

    def __init__(self, iterator: Iterator, length: int) -> None:
        self._iterator = iterator
        self._length = length

    def __iter__(self) -> Iterator:
        return self._iterator

    def __length_hint__(self) -> int:
        return self._length


#: options of the offline path (sequence lifters) that image lifters refuse
SEQUENCE_OPTIONS = ('max_gap', 'min_track_length', 'keypoint_format', 'image_size', 'fps',
                    'overlap', 'num_hypotheses', 'num_steps')


@INFERENCERS.register_module(name='metapose-3d')
@INFERENCERS.register_module()
class MetaPose3DInferencer(OfflineLiftingMixin, BaseMMPoseInferencer):
    """Video, image, image folder or 2D keypoint file to per-person 3D
    skeletons with any lifter of the plugin.

    **Image-context lifters** (MetaPose, CA-PF: :class:`ContextPoseLifter`),
    frame by frame: person boxes (MMDetection, or the whole image), top-down
    2D keypoints (any MMPose top-down model whose keypoints convert to H36M,
    through a composed :class:`Pose2DInferencer`), track ids (IoU or OKS, as
    :class:`Pose3DInferencer`), then the lifter on each person's 192x256
    crop, the same crop as the 2D model's input (box centre and scale of
    the 2D data sample, MMPose's top-down affine).

    Feature reuse: when the 2D model is a 256x192 top-down HRNet identical
    to the lifter's image encoder (architecture, weights, input
    normalisation, flip test when the lifter flips), forward hooks on the 2D
    backbone record the lifter's four maps (:class:`HRNetFeatureCapture`)
    and the lifter skips its own HRNet (:attr:`feature_reuse`).

    Text: MetaPose prompts are action-agnostic unless ``action=`` names an
    H36M action (e.g. ``'Walking'``) when calling the inferencer.

    **Sequence lifters** (FinePOSE, MPM's lifter, MMPose's VideoPose3D and
    MotionBERT on our sequence data), offline: pass 1 runs detection, 2D
    and tracking over the whole input (or reads a 2D keypoint file,
    :mod:`.keypoint_files`); each track's gaps of up to ``max_gap`` frames
    are interpolated and marked, longer gaps split it, tracks shorter than
    ``min_track_length`` are dropped (logged). Pass 2 lifts each track in
    the windows of the config's test dataset with the track's real past and
    future (:class:`TrackLifter`): sequence-to-sequence lifters lift each
    frame in one window (or average ``overlap``-ping windows),
    sequence-to-frame lifters run one window per frame, ``batch_size``
    windows per call. FinePOSE uses action-agnostic prompts, P-Agg and
    noise seeded per track and frame (:func:`video_test_cfg`);
    ``num_hypotheses`` and ``num_steps`` are per call. Results are yielded
    frame by frame after both passes (:class:`OfflineLiftingMixin`).

    Outputs per frame: a data sample whose ``pred_instances`` hold, for N
    people sorted by track id, ``keypoints`` (N, 17, 3) root-relative camera
    frame metres (H36M joints), ``keypoint_scores`` (N, 17), ``keypoints_2d``
    (N, 17, 2) frame pixels and ``keypoint_scores_2d`` (N, 17) (the 2D
    model's joints converted to H36M), ``bboxes`` (N, 4) xyxy pixels,
    ``bbox_scores`` (N,), ``track_ids`` (N,), and from the offline path
    ``interpolated`` (N,); the JSON has the same fields per person
    (:func:`to_json`; offline also a per-track npz, :func:`write_video_outputs`).
    The video shows the 2D skeleton and one 3D panel per person
    (:class:`MetaPose3dLocalVisualizer`).

    BVH: with ``export_bvh=True`` (and ``pred_out_dir``) a video also gives
    one ``<video>_track<id>.bvh`` per track beside its JSON
    (:func:`write_bvh`): image lifters over every frame of the video,
    sequence lifters (also from a 2D file) over the track's own frames
    (:func:`write_video_outputs`).

    Args:
        pose3d (str | dict | Config): Lifter config (path or config), or a
            model zoo alias (``'capf-w32_h36m'`` or ``'zoo://...'``:
            downloaded, converted and cached on first use, see
            ``model-index.yml``).
        pose3d_weights (str, optional): Lifter checkpoint. Defaults to None
            (the alias' weights; random weights, with a warning, for a
            config).
        pose2d (str | dict | Config, optional): 2D model: MMPose alias
            (``'human'``), config name, path or config, or a zoo alias.
            Defaults to None: the 2D model the zoo alias' lifter was trained
            with (same HRNet features), else ``'human'``. A sequence lifter
            builds it on its first video or frames (2D keypoint files need
            none).
        pose2d_weights (str, optional): 2D checkpoint. Defaults to None.
        device (str, optional): Device, e.g. ``'cuda:0'``. Defaults to None
            (CUDA if available).
        scope (str): Registry scope. Defaults to ``'mmpose'``.
        det_model (str, optional): MMDetection config path or alias, or
            ``'whole_image'`` (one box per frame). Defaults to None
            (MMPose's default person detector).
        det_weights (str, optional): Detector checkpoint. Defaults to None.
        det_cat_ids (int | tuple[int]): Detector classes kept as people.
            Defaults to 0 (COCO person).
        reuse_features (bool): Allow feature reuse when exact (image
            lifters). Defaults to True.
        show_progress (bool): Progress bars. Defaults to False.

    Attributes:
        image_lifter (bool): Whether the lifter is an image-context one.
        feature_reuse (bool): Whether the lifter reuses the 2D features.
        feature_reuse_reason (str): Why (or why not).
        track_lifter (TrackLifter): Pass 2 of sequence lifters, else None.
    """

    preprocess_kwargs: set = {
        'bbox_thr', 'nms_thr', 'use_oks_tracking', 'tracking_thr', 'action', 'max_gap',
        'min_track_length', 'keypoint_format', 'image_size', 'fps'
    }
    forward_kwargs: set = {'overlap', 'num_hypotheses', 'num_steps'}
    visualize_kwargs: set = {
        'return_vis', 'show', 'wait_time', 'draw_bbox', 'radius', 'thickness', 'kpt_thr',
        'num_instances', 'vis_out_dir'
    }
    postprocess_kwargs: set = {'pred_out_dir', 'export_bvh'}

    def __init__(self,
                 pose3d: Union[ModelType, str],
                 pose3d_weights: Optional[str] = None,
                 pose2d: Optional[Union[ModelType, str]] = None,
                 pose2d_weights: Optional[str] = None,
                 device: Optional[str] = None,
                 scope: str = 'mmpose',
                 det_model: Optional[Union[ModelType, str]] = None,
                 det_weights: Optional[str] = None,
                 det_cat_ids: Union[int, Tuple[int, ...]] = 0,
                 reuse_features: bool = True,
                 show_progress: bool = False) -> None:
        pose3d, pose3d_weights, pose2d, pose2d_weights = resolve_pose_models(
            pose3d, pose3d_weights, pose2d, pose2d_weights)
        init_default_scope(scope)
        super().__init__(
            model=pose3d, weights=pose3d_weights, device=device, scope=scope,
            show_progress=show_progress)
        self.model = revert_sync_batchnorm(self.model)
        self.visualizer.set_dataset_meta(self.model.dataset_meta)
        self._video_input = False
        self._export_bvh = False
        self._buffer = defaultdict(list)
        self._tracker = PersonTracker()  # replaced per call (preprocess)
        self.track_lifter = None if self.image_lifter else self._init_track_lifter()
        self._pose2d_args = (pose2d, pose2d_weights, device, scope, det_model, det_weights,
                             det_cat_ids)
        self._pose2d_model = self._init_pose2d() if self.image_lifter else None
        self.feature_reuse, self.feature_reuse_reason = self._init_feature_reuse(reuse_features)

    @property
    def pose2d_model(self) -> Pose2DInferencer:
        """The composed top-down 2D inferencer: built with the image lifters,
        on first use with the sequence lifters (a 2D keypoint file needs
        none)."""
        if self._pose2d_model is None:
            self._pose2d_model = self._init_pose2d()
        return self._pose2d_model

    def _init_track_lifter(self) -> TrackLifter:
        """Pass 2 of a sequence lifter, in the windows of its test dataset."""
        name = self.cfg.filename or 'the pose3d config'
        lifted = self.model.dataset_meta.get('dataset_name')
        if lifted != 'h36m':
            raise ValueError(f'{name} lifts {lifted!r} joints; the offline path converts 2D '
                             'to the 17 H36M joints and needs an h36m lifter')
        check_video_lifter(self.cfg, name)
        return TrackLifter(self.model, self.pipeline, sequence_window_spec(self.cfg, name),
                           self.model.dataset_meta, codec_needs_intrinsics(self.cfg))

    def _init_pose2d(self) -> Pose2DInferencer:
        """The composed top-down 2D inferencer of the constructor's 2D
        arguments; its keypoints must convert to H36M (checked now, naming
        the dataset)."""
        inferencer = Pose2DInferencer(*self._pose2d_args)
        if inferencer.cfg.get('data_mode') != 'topdown':
            raise ValueError('MetaPose3DInferencer: the 2D model must be top-down (data_mode '
                             f"'topdown'), got {inferencer.cfg.get('data_mode')!r}")
        self.dataset_2d = inferencer.model.dataset_meta['dataset_name']
        num_keypoints_2d = inferencer.model.dataset_meta['num_keypoints']
        to_h36m(np.zeros((1, num_keypoints_2d, 2)), np.zeros((1, num_keypoints_2d)),
                self.dataset_2d)
        return inferencer

    def _init_feature_reuse(self, reuse_features: bool) -> Tuple[bool, str]:
        """Whether (and why) an image lifter reuses the 2D model's HRNet maps."""
        if not self.image_lifter:
            return False, 'a sequence lifter has no image encoder'
        self.pose2d_input_size, self.use_udp = _topdown_affine(self.pose2d_model.cfg)
        blocker = (feature_reuse_blocker(self.pose2d_model.model, self.pose2d_input_size,
                                         self.model)
                   if reuse_features else 'disabled by reuse_features=False')
        if blocker is None:
            return True, 'the 2D HRNet equals the lifter image encoder'
        return False, blocker

    def __call__(self, inputs: Union[InputType, List[InputType]],
                 show_progress: Optional[bool] = None, **kwargs) -> Iterator[dict]:
        """Yield the results frame by frame (MMPose's inferencer call).

        Args:
            inputs (str | np.ndarray | list): Video, image, image folder,
                BGR array, list of images / arrays, or (sequence lifters) a
                2D keypoint file ``.json`` / ``.npz``.
            show_progress (bool, optional): Progress bars for this call;
                None keeps the constructor's choice.
            **kwargs: ``action``, ``bbox_thr``, ``nms_thr``,
                ``use_oks_tracking``, ``tracking_thr`` (preprocess),
                ``vis_out_dir``, ``show``, ``num_instances``, ``kpt_thr``,
                ``draw_bbox``, ``radius``, ``thickness``, ``wait_time``,
                ``return_vis`` (visualize), ``pred_out_dir``, ``export_bvh``
                (postprocess), ``return_datasamples``, ``out_dir``; sequence
                lifters also take the options of :meth:`lift_offline`.

        Yields:
            dict: ``predictions`` and ``visualization`` of one frame.
        """
        previous = self.show_progress
        if show_progress is not None:
            self.show_progress = show_progress
        try:
            if self.image_lifter:
                refused = sorted(set(kwargs) & set(SEQUENCE_OPTIONS))
                if refused:
                    raise ValueError(f'MetaPose3DInferencer: {refused} apply to sequence '
                                     'lifters; this image lifter lifts frame by frame')
                if is_keypoint_file(inputs):
                    raise ValueError(f'MetaPose3DInferencer: {inputs!r}: 2D keypoint files need '
                                     'a sequence lifter; an image lifter needs the frames')
                yield from super().__call__(inputs, **kwargs)
            else:
                yield from self.lift_offline(inputs, **kwargs)
        finally:
            self.show_progress = previous

    def _init_model(self, cfg: Config, weights: Optional[str],
                    device: str = 'cpu') -> torch.nn.Module:
        """MMPose's model set-up, after checking that the config is a lifter
        this inferencer runs (raises naming the config otherwise), with the
        lifter checkpoint read and checked first: an unreadable file, or one
        whose keys or shapes do not fit the model (another method's
        checkpoint), is an error naming the file
        (:mod:`metapose_plugin.engine.runner.checkpoint_loading`)."""
        self.image_lifter = is_image_lifter(cfg, cfg.filename or 'the pose3d config')
        checkpoint = None if weights is None else read_checkpoint(weights)
        with warnings.catch_warnings():
            # the weights are loaded below, not by MMEngine
            warnings.filterwarnings('ignore', message='Checkpoint is not loaded')
            model = super()._init_model(cfg, None, device)
        if checkpoint is not None:
            check_state_dict_keys(model, checkpoint_state_dict(checkpoint), weights)
            self._load_weights_to_model(model, checkpoint, cfg)
        return model

    def _init_visualizer(self, cfg: Config) -> MetaPose3dLocalVisualizer:
        """Always the fixed 3D visualizer, whatever the lifter config has
        (training configs carry MMPose's 2D one)."""
        return MetaPose3dLocalVisualizer(
            name=f'{type(self).__name__}-{datetime.now().timestamp()}')

    def _init_pipeline(self, cfg: Config) -> Optional[Callable]:
        """Sequence lifters: the config's test pipeline (its codec normalises
        the 2D windows). Image lifters: none, their inputs are built from the
        2D results (:func:`build_lifter_sample`); the training pipeline's SPEC
        crop differs from the 2D model's top-down crop."""
        return None if self.image_lifter else Compose(cfg.test_dataloader.dataset.pipeline)

    def _inputs_to_list(self, inputs: Union[InputType, List[InputType]]) -> Iterable:
        """A video (frames), an image, a folder of images (sorted), an array
        or a list of images/arrays; clear errors for anything else."""
        self._video_input = False
        if isinstance(inputs, np.ndarray):
            return [inputs]
        if not isinstance(inputs, str):
            return list(inputs)
        if not os.path.exists(inputs):
            raise FileNotFoundError(f'MetaPose3DInferencer: input {inputs!r} does not exist')
        if os.path.isdir(inputs):
            images = sorted(
                os.path.join(inputs, name) for name in os.listdir(inputs)
                if (mimetypes.guess_type(name)[0] or '').startswith('image/'))
            if not images:
                raise ValueError(f'MetaPose3DInferencer: folder {inputs!r} has no image files')
            return images
        kind = (mimetypes.guess_type(inputs)[0] or '').split('/')[0]
        if kind == 'image':
            return [inputs]
        if kind != 'video':
            raise ValueError(f'MetaPose3DInferencer: input {inputs!r} is neither a video, an '
                             'image nor a folder of images')
        video = open_video(inputs)
        self._video_input = True
        self.video_info = dict(fps=video.fps, name=os.path.basename(inputs), writer=None,
                               width=video.width, height=video.height, predictions=[])
        return video

    def preprocess(self, inputs: Iterable, batch_size: int = 1, action: Optional[str] = None,
                   use_oks_tracking: bool = False, tracking_thr: float = 0.3,
                   **kwargs) -> _Frames:
        """Select the prompt mode and a fresh tracker (OKS or IoU, match
        threshold ``tracking_thr``), then yield ``(lifter batch, [frame])``
        per frame (see :meth:`preprocess_single`)."""
        self._set_text_action(action)
        self._tracker = PersonTracker(use_oks_tracking, tracking_thr)
        frames = super().preprocess(inputs, batch_size=batch_size, action=action, **kwargs)
        return _Frames(frames, operator.length_hint(inputs))

    def _set_text_action(self, action: Optional[str]) -> None:
        """Check ``action``; the lifter samples carry it in their metainfo,
        and the text encoder uses action-agnostic prompts for None."""
        encoder = getattr(self.model, 'text_encoder', None)
        if encoder is None:
            if action is not None:
                raise ValueError(f'MetaPose3DInferencer: action={action!r} given, but the '
                                 'lifter has no text encoder (CA-PF); only MetaPose uses it')
            return
        if action is not None:
            try:
                encoder.builder.description(action)
            except KeyError as err:
                raise ValueError(f'MetaPose3DInferencer: unknown action {action!r}: '
                                 f'{err.args[0]}') from err

    def preprocess_single(self,
                          input: InputType,
                          index: int,
                          bbox_thr: float = 0.3,
                          nms_thr: float = 0.3,
                          bboxes: Optional[list] = None,
                          action: Optional[str] = None) -> List[dict]:
        """Detect, estimate 2D, track and build the lifter inputs of a frame.

        Args:
            input (str | np.ndarray): Image path or BGR frame (h, w, 3).
            index (int): Frame index.
            bbox_thr (float): Detection score threshold. Defaults to 0.3.
            nms_thr (float): Detection NMS IoU threshold. Defaults to 0.3.
            bboxes (list, optional): Unused: required by the base class's
                call; the 2D inferencer always detects.
            action (str, optional): Action of the prompts, or None.

        Returns:
            list[dict]: Per person ``data_samples`` (lifter sample) and,
            without feature reuse, ``inputs`` (3, 256, 192) uint8 BGR crop.
        """
        frame, name = self._read_frame(input, index)
        capture = (HRNetFeatureCapture(self.pose2d_model.model.backbone)
                   if self.feature_reuse else nullcontext())
        with capture:
            results_2d = next(self.pose2d_model(
                frame, bbox_thr=bbox_thr, nms_thr=nms_thr, merge_results=False,
                return_datasamples=True))['predictions']
        if self.feature_reuse:
            self._buffer['features'] = capture.captures
        if not self._video_input:
            self._tracker.reset()
        self._tracker.assign(results_2d)
        people = frame_people(results_2d, self.dataset_2d)

        height, width = frame.shape[:2]
        metainfo = dict(img_path=name, ori_shape=(height, width),
                        flip_indices=self.model.dataset_meta['flip_indices'])
        data_infos = []
        for result, keypoints in zip(results_2d, people.keypoints):
            matrix = crop_warp_matrix(result.metainfo['input_center'],
                                      result.metainfo['input_scale'], LIFTER_INPUT_SIZE,
                                      self.use_udp)
            info = dict(data_samples=build_lifter_sample(
                keypoints, matrix, (width, height), LIFTER_INPUT_SIZE, metainfo, action))
            if not self.feature_reuse:
                info['inputs'] = crop_image(frame, matrix, LIFTER_INPUT_SIZE)
            data_infos.append(info)
        self._buffer['people'] = dict(
            keypoints_2d=people.keypoints, keypoint_scores_2d=people.scores,
            bboxes=people.bboxes, bbox_scores=people.bbox_scores, track_ids=people.track_ids)
        self._buffer['frame_meta'] = dict(img_path=name, ori_shape=(height, width))
        return data_infos

    def _read_frame(self, input: InputType, index: int) -> Tuple[np.ndarray, str]:
        """The BGR frame and the name used for its outputs."""
        if isinstance(input, np.ndarray):
            return input, f'{index:06d}.jpg'
        frame = mmcv.imread(input)
        if frame is None:
            raise ValueError(f'MetaPose3DInferencer: cannot decode image {input!r}')
        return frame, input

    @torch.no_grad()
    def forward(self, inputs: dict) -> List[PoseDataSample]:
        """Lift every person of the frame.

        Returns:
            list[PoseDataSample]: One sample for the frame, with the fields
            listed in the class docstring.
        """
        if self.feature_reuse:
            lifted = lift_from_features(self.model, self._buffer['features'],
                                        inputs['data_samples'])
        else:
            lifted = self.model.test_step(inputs)
        people = dict(self._buffer['people'])
        people['keypoints'] = np.concatenate(
            [np.asarray(s.pred_instances.keypoints) for s in lifted]).astype(np.float32)
        people['keypoint_scores'] = np.concatenate(
            [np.asarray(s.pred_instances.keypoint_scores) for s in lifted]).astype(np.float32)
        order = np.argsort(people['track_ids'], kind='stable')
        sample = PoseDataSample(metainfo=self._buffer['frame_meta'])
        sample.pred_instances = InstanceData(**{k: v[order] for k, v in people.items()})
        return [sample]

    def visualize(self,
                  inputs: list,
                  preds: List[PoseDataSample],
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0,
                  draw_bbox: bool = False,
                  radius: int = 3,
                  thickness: int = 1,
                  kpt_thr: float = 0.3,
                  num_instances: int = 1,
                  vis_out_dir: str = '',
                  window_name: str = '') -> List[np.ndarray]:
        """Draw the H36M 2D skeletons on the frame beside the 3D panels.

        Args:
            inputs (list): The frame (path or BGR array).
            preds (list[PoseDataSample]): Output of :meth:`forward`.
            return_vis (bool): Return the drawn RGB images.
            show (bool): Show them in a window.
            wait_time (float): Window wait time (s).
            draw_bbox (bool): Draw the person boxes.
            radius (int): Keypoint radius (pixels).
            thickness (int): Link thickness (pixels).
            kpt_thr (float): Hide joints with a lower 2D score.
            num_instances (int): 3D panels per frame, the first people by
                track id, blank panels when fewer (fixed video size); -1:
                one per person. Defaults to 1.
            vis_out_dir (str): Folder (or file) for the video / images.
            window_name (str): Window title.

        Returns:
            list[np.ndarray]: Drawn RGB images if ``return_vis``, else [].
        """
        if not (return_vis or show or vis_out_dir):
            return []
        self.visualizer.radius = radius
        self.visualizer.line_width = thickness
        results = []
        for single_input, pred in zip(inputs, preds):
            image = (mmcv.imread(single_input, channel_order='rgb')
                     if isinstance(single_input, str) else mmcv.bgr2rgb(single_input))
            people = pred.pred_instances
            det_sample = PoseDataSample(pred_instances=InstanceData(
                keypoints=people.keypoints_2d, keypoint_scores=people.keypoint_scores_2d,
                bboxes=people.bboxes))
            pose_sample = PoseDataSample(pred_instances=InstanceData(
                keypoints=camera_to_display(people.keypoints),
                keypoint_scores=people.keypoint_scores))
            drawn = self.visualizer.add_datasample(
                window_name or os.path.basename(pred.img_path), image, data_sample=pose_sample,
                det_data_sample=det_sample, draw_gt=False, draw_bbox=draw_bbox, show=show,
                wait_time=1e-5 if self._video_input else wait_time, dataset_2d='h36m',
                dataset_3d='h36m', kpt_thr=kpt_thr, num_instances=num_instances)
            results.append(drawn)
            if vis_out_dir:
                self.save_visualization(drawn, vis_out_dir,
                                        img_name=os.path.basename(pred.img_path))
        return results if return_vis else []

    def postprocess(self,
                    preds: List[PoseDataSample],
                    visualization: List[np.ndarray],
                    return_datasamples: bool = False,
                    pred_out_dir: str = '',
                    export_bvh: bool = False) -> dict:
        """Pack the results; write predictions as JSON (and, for a video
        with ``export_bvh``, one BVH per track at its end, see
        :meth:`_finalize_video_processing`).

        Each person becomes ``{'track_id': int, 'bbox': [x1, y1, x2, y2],
        'bbox_score': float, 'keypoints_2d': 17 x [x, y] (frame pixels),
        'keypoint_scores_2d': 17 floats, 'keypoints_3d': 17 x [x, y, z]
        (root-relative camera frame, metres), 'keypoint_scores_3d': 17
        floats}``. A video gives one file ``<video>.json``, a list of
        ``{'frame_id', 'instances'}``; an image gives ``<image>.json``.

        Returns:
            dict: ``predictions`` (per frame: a list of such dicts, or the
            data sample with ``return_datasamples``) and ``visualization``.
        """
        if export_bvh and not (pred_out_dir and self._video_input):
            raise ValueError('MetaPose3DInferencer: export_bvh needs a video input and '
                             'pred_out_dir (the BVH files go beside the JSON)')
        self._export_bvh = export_bvh
        result = dict(visualization=visualization, predictions=[])
        for pred in preds:
            people = to_json(pred)
            result['predictions'].append(pred if return_datasamples else people)
            if not pred_out_dir:
                continue
            if self._video_input:
                self.video_info['predictions'].append(people)
            else:
                name = os.path.splitext(os.path.basename(pred.img_path))[0] + '.json'
                mmengine.dump(people, os.path.join(pred_out_dir, name), indent='  ')
        return result

    def _finalize_video_processing(self, pred_out_dir: str = '') -> None:
        """Close the video, write its JSON and, with ``export_bvh``, one
        ``<video>_track<id>.bvh`` per track: every frame of the video, the
        track's root-relative 3D (the image lifters give no root: the BVH
        root stays at the origin), frames without the person interpolated."""
        super()._finalize_video_processing(pred_out_dir)
        if not (self._export_bvh and pred_out_dir):
            return
        stem = os.path.splitext(self.video_info['name'])[0]
        for track_id, keypoints in track_keypoints(self.video_info['predictions']).items():
            write_bvh(os.path.join(pred_out_dir, f'{stem}_track{track_id}.bvh'), keypoints,
                      self.video_info['fps'])


def _topdown_affine(cfg: Config) -> Tuple[Tuple[int, int], bool]:
    """Input size (W, H) and ``use_udp`` of a top-down test pipeline."""
    for transform in cfg.test_dataloader.dataset.pipeline:
        if transform['type'] in ('TopdownAffine', 'mmpose.TopdownAffine'):
            return tuple(transform['input_size']), bool(transform.get('use_udp', False))
    raise ValueError('MetaPose3DInferencer: the 2D model test pipeline has no TopdownAffine')


def camera_to_display(keypoints: np.ndarray) -> np.ndarray:
    """Camera-frame joints (x right, y down, z forward) to the 3D panel's
    axes (x, depth, up) as :class:`Pose3DInferencer` shows them: (-x, z, -y),
    lowest joint at height 0. Shape (N, K, 3), metres."""
    display = np.stack([-keypoints[..., 0], keypoints[..., 2], -keypoints[..., 1]], axis=-1)
    display[..., 2] -= display[..., 2].min(axis=-1, keepdims=True)
    return display
