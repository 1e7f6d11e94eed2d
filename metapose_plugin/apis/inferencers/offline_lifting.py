"""The offline path of :class:`MetaPose3DInferencer` for sequence lifters:
pass 1 over the whole input (or a 2D keypoint file), tracks, pass 2 per
track, outputs, then the results frame by frame."""
import operator
import os
from typing import Callable, Iterable, Iterator, List, Optional, Tuple, Union

import numpy as np
from mmengine.logging import print_log
from rich.progress import track as progress

from metapose_plugin.structures.pose_tracks import (Pose2DVideo, PoseTrack, build_tracks,
                                                    keypoint_boxes)

from .keypoint_files import is_keypoint_file, read_keypoint_file
from .lifter_inputs import NUM_H36M_JOINTS
from .person_tracker import PersonTracker
from .pose2d_pass import estimate_tracked_2d
from .video_outputs import frame_sample, to_json, write_video_outputs
from .video_test_cfg import video_test_cfg

#: one input frame: an image path or a BGR array (h, w, 3)
InputType = Union[str, np.ndarray]


class OfflineLiftingMixin:
    """The offline path, mixed into :class:`MetaPose3DInferencer`; it uses
    the inferencer's ``pose2d_model``, ``dataset_2d``, ``track_lifter``,
    ``model``, ``show_progress``, ``visualize``, ``_inputs_to_list``,
    ``_dispatch_kwargs``, ``video_info`` and ``_finalize_video_processing``.
    """

    def lift_offline(self,
                     inputs: Union[InputType, List[InputType]],
                     return_datasamples: bool = False,
                     batch_size: int = 1,
                     out_dir: Optional[str] = None,
                     **kwargs) -> Iterator[dict]:
        """Lift a whole input with a sequence lifter (what :meth:`__call__`
        does for one), then yield the results frame by frame.

        Args:
            inputs (str | list): Video, image folder, list of images /
                arrays, or a 2D keypoint file (``.json`` / ``.npz``,
                :mod:`.keypoint_files`).
            return_datasamples (bool): Yield data samples instead of dicts.
            batch_size (int): Windows per lifter call. Defaults to 1.
            out_dir (str, optional): ``vis_out_dir`` and ``pred_out_dir``
                below it, as MMPose's inferencers.
            **kwargs: Pass 1: ``bbox_thr``, ``nms_thr``,
                ``use_oks_tracking``, ``tracking_thr``, ``max_gap`` (longest
                interpolated gap in frames, default 5), ``min_track_length``
                (frames, default 1); 2D files: ``keypoint_format``
                (``'coco'`` default, ``'h36m'``), ``image_size`` (w, h),
                ``fps`` (also the frame rate of a folder or list of
                frames). Pass 2: ``overlap`` (frames shared by consecutive
                sequence-to-sequence windows, default 0), FinePOSE's
                ``num_hypotheses``, ``num_steps``. Outputs:
                ``pred_out_dir`` and ``export_bvh`` (one BVH per track,
                needs the frame rate; :func:`write_video_outputs`) and the
                visualisation options of :meth:`visualize`.

        Yields:
            dict: ``predictions`` (the frame's people, :func:`to_json`, or
            the data sample) and ``visualization``.
        """
        if out_dir is not None:
            kwargs.setdefault('vis_out_dir', f'{out_dir}/visualizations')
            kwargs.setdefault('pred_out_dir', f'{out_dir}/predictions')
        pass1, pass2, visualize_kwargs, output_kwargs = self._dispatch_kwargs(**kwargs)
        if pass1.pop('action', None) is not None:
            raise ValueError('MetaPose3DInferencer: action= is for MetaPose (image lifter); '
                             'sequence lifters lift video with action-agnostic prompts')
        if output_kwargs.get('export_bvh') and not output_kwargs.get('pred_out_dir'):
            raise ValueError('MetaPose3DInferencer: export_bvh needs pred_out_dir (the BVH '
                             'files go beside the JSON)')
        max_gap = pass1.pop('max_gap', 5)
        min_track_length = pass1.pop('min_track_length', 1)
        video, frames = self._tracked_2d(inputs, **pass1)
        tracks = self._tracks(video, max_gap, min_track_length)
        if output_kwargs.get('export_bvh') and not video.fps > 0:
            raise ValueError(f'MetaPose3DInferencer: export_bvh needs the frame rate of '
                             f'{video.name}: give fps=')
        overlap = pass2.pop('overlap', 0)
        with video_test_cfg(self.model, self.track_lifter.spec.seq2seq, **pass2):
            for track in (progress(tracks, description='Lifting tracks')
                          if self.show_progress else tracks):
                track.keypoints_3d = self.track_lifter.lift(track, video.image_size, batch_size,
                                                            overlap)
        if output_kwargs.get('pred_out_dir'):
            write_video_outputs(output_kwargs['pred_out_dir'], video.name, tracks,
                                len(video.frames), video.fps,
                                output_kwargs.get('export_bvh', False))
        width, height = video.image_size
        drawing = any(visualize_kwargs.get(k) for k in ('return_vis', 'show', 'vis_out_dir'))
        for frame_id, frame in enumerate(frames() if drawing else [None] * len(video.frames)):
            name = frame if isinstance(frame, str) else f'{frame_id:06d}.jpg'
            sample = frame_sample(tracks, frame_id, dict(img_path=name, ori_shape=(height, width)))
            drawn = self.visualize([frame], [sample], **visualize_kwargs) if drawing else []
            yield dict(predictions=[sample if return_datasamples else to_json(sample)],
                       visualization=drawn)
        if self._video_input:
            self._finalize_video_processing()

    def lift_sequence(self,
                      keypoints: np.ndarray,
                      image_size: Tuple[int, int],
                      scores: Optional[np.ndarray] = None,
                      batch_size: int = 1,
                      **kwargs) -> np.ndarray:
        """Lift one person's 2D sequence given as an array (no video, no
        files): pass 2 of :meth:`lift_offline` on a single track.

        Args:
            keypoints (np.ndarray): (T, K, 2) frame pixels, H36M joint order,
                consecutive frames at the rate the lifter was trained on.
            image_size (tuple[int, int]): Frame (w, h) in pixels.
            scores (np.ndarray, optional): (T, K) 2D scores. Defaults to ones.
            batch_size (int): Windows per lifter call. Defaults to 1.
            **kwargs: ``overlap``, FinePOSE's ``num_hypotheses`` and
                ``num_steps`` (as :meth:`lift_offline`).

        Returns:
            np.ndarray: (T, K, 3) float32, camera frame, metres,
            root-relative.

        Raises:
            ValueError: If the lifter is an image lifter or the arrays do not
                fit (naming the field).
        """
        if self.track_lifter is None:
            raise ValueError('MetaPose3DInferencer.lift_sequence needs a sequence lifter; '
                             f'{type(self.model).__name__} lifts images')
        keypoints = np.asarray(keypoints, np.float32)
        if keypoints.ndim != 3 or keypoints.shape[1:] != (NUM_H36M_JOINTS, 2) or not len(
                keypoints):
            raise ValueError(f'lift_sequence: keypoints must be (T, {NUM_H36M_JOINTS}, 2) H36M '
                             f'frame pixels, got {keypoints.shape}')
        if scores is None:
            scores = np.ones(keypoints.shape[:2], np.float32)
        elif np.shape(scores) != keypoints.shape[:2]:
            raise ValueError(f'lift_sequence: scores must be {keypoints.shape[:2]} (T, K), got '
                             f'{np.shape(scores)}')
        track = PoseTrack(track_id=0, frame_ids=np.arange(len(keypoints)), keypoints=keypoints,
                          scores=np.asarray(scores, np.float32), bboxes=keypoint_boxes(keypoints),
                          bbox_scores=np.ones(len(keypoints), np.float32),
                          interpolated=np.zeros(len(keypoints), bool))
        overlap = kwargs.pop('overlap', 0)
        with video_test_cfg(self.model, self.track_lifter.spec.seq2seq, **kwargs):
            return self.track_lifter.lift(track, tuple(image_size), batch_size, overlap)

    def _tracked_2d(self,
                    inputs: Union[InputType, List[InputType]],
                    bbox_thr: float = 0.3,
                    nms_thr: float = 0.3,
                    use_oks_tracking: bool = False,
                    tracking_thr: float = 0.3,
                    keypoint_format: Optional[str] = None,
                    image_size: Optional[Tuple[int, int]] = None,
                    fps: Optional[float] = None) -> Tuple[Pose2DVideo, Callable[[], Iterable]]:
        """Pass 1: the tracked 2D of the whole input, and a function giving
        its frames again for drawing (blank frames for a keypoint file)."""
        tracker = PersonTracker(use_oks_tracking, tracking_thr)
        if is_keypoint_file(inputs):
            video = read_keypoint_file(inputs, keypoint_format or 'coco', image_size, fps,
                                       tracker)
            width, height = video.image_size
            self._video_input = True
            self.video_info = dict(fps=video.fps, name=os.path.splitext(video.name)[0] + '.mp4',
                                   writer=None, width=width, height=height, predictions=[])
            blank = np.zeros((height, width, 3), np.uint8)
            return video, lambda: (blank for _ in video.frames)
        if keypoint_format is not None or image_size is not None:
            raise ValueError('keypoint_format / image_size describe 2D keypoint files; '
                             f'input {inputs!r} is not one (.json, .npz)')
        frames = self._inputs_to_list(inputs)
        if self._video_input:
            name, fps = self.video_info['name'], self.video_info['fps']
        else:
            name = os.path.basename(os.path.normpath(inputs)) if isinstance(inputs, str) \
                else 'frames'
            fps = float('nan') if fps is None else fps
        if self.show_progress:
            frames = progress(frames, description='2D', total=operator.length_hint(frames))
        pose2d_model = self.pose2d_model  # built on first use; sets dataset_2d
        video = estimate_tracked_2d(pose2d_model, frames, name, fps, self.dataset_2d, tracker,
                                    bbox_thr, nms_thr)
        return video, lambda: self._inputs_to_list(inputs)

    def _tracks(self, video: Pose2DVideo, max_gap: int, min_track_length: int) -> List[PoseTrack]:
        """The input's tracks (:func:`build_tracks`), dropped ones logged.

        Raises:
            ValueError: If no track is left (no person in the input).
        """
        tracks, dropped = build_tracks(video, max_gap, min_track_length)
        for track_id, first, length in dropped:
            print_log(f'{video.name}: track {track_id} from frame {first} dropped: {length} '
                      f'frames < min_track_length={min_track_length}', logger='current')
        if not tracks:
            raise ValueError(f'{video.name}: no person to lift in its {len(video.frames)} frames '
                             f'({len(dropped)} track pieces shorter than min_track_length='
                             f'{min_track_length} dropped); check the detector (bbox_thr) or '
                             'the 2D file')
        return tracks
