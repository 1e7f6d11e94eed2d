"""Pass 2 of offline lifting: one tracked person's 2D sequence through a
sequence lifter, in windows with the track's real past and future.

The lifter sees what its test dataset gives it (:class:`H36MSequenceDataset`
and MMPose's ``Human36mDataset`` through the config's test pipeline): a
window of F frames every ``seq_step`` frames, edge-padded only where the
track ends (:mod:`metapose_plugin.structures.sequence_windows`), 2D in
frame pixels with the frame size as ``camera_param`` ``w``, ``h``, and
normalised by the config's own codec.

- Sequence-to-sequence lifters (FinePOSE, MotionBERT): windows of F frames
  with stride F - ``overlap``, the last one aligned to the track's end;
  without overlap each frame takes the prediction of the first window that
  holds it (every frame once), with overlap the mean of its windows.
- Sequence-to-frame lifters (VideoPose3D, MPM): one window per frame,
  centred on it (or ending at it for causal configs).

Note:
    - T: frames of the track, F: frames of a window, F_t: target frames of
      a window (F or 1), K: joints (17, H36M order)
"""
from typing import Callable, Iterator, List, Tuple

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from torch import nn

from metapose_plugin.structures.pose_tracks import PoseTrack
from metapose_plugin.structures.sequence_windows import (frame_window, merge_window_predictions,
                                                         tiled_windows)

from .lifter_config import SequenceWindowSpec

#: one window: frame indices in the track (F,), pad mask (F,), target positions (F_t,)
Window = Tuple[np.ndarray, np.ndarray, np.ndarray]


class TrackLifter:
    """Lift tracks with a sequence lifter in the windows of its test data.

    Args:
        model (nn.Module): The lifter (``test_step``), in eval mode.
        pipeline (Callable): The config's test pipeline (codec,
            ``PackPoseInputs``).
        spec (SequenceWindowSpec): The test dataset's windows.
        dataset_meta (dict): The lifter's metainfo (``flip_indices`` ...),
            given to the pipeline as a dataset would.
        nominal_intrinsics (bool): Give the codec nominal intrinsics (see
            :meth:`window_data`); for codecs that normalise them (MPM's).
            Defaults to False.
    """

    def __init__(self, model: nn.Module, pipeline: Callable, spec: SequenceWindowSpec,
                 dataset_meta: dict, nominal_intrinsics: bool = False) -> None:
        self.model = model
        self.pipeline = pipeline
        self.spec = spec
        self.dataset_meta = dataset_meta
        self.nominal_intrinsics = nominal_intrinsics

    def windows(self, num_frames: int, overlap: int = 0) -> List[Window]:
        """The windows lifting a track of ``num_frames`` frames.

        Args:
            num_frames (int): T.
            overlap (int): Frames shared by consecutive windows of a
                sequence-to-sequence lifter (0 <= overlap < F). Defaults to 0.

        Returns:
            list[Window]: Frame indices (F,), pad mask (F,), target positions.
        """
        spec = self.spec
        if not spec.seq2seq:
            if overlap:
                raise ValueError(f'overlap={overlap}: only sequence-to-sequence lifters '
                                 '(FinePOSE, MotionBERT) share frames between windows; this '
                                 'one lifts one window per frame')
            return [(frames, pad, np.array([target])) for frames, pad, target in (
                frame_window(t, num_frames, spec.seq_len, spec.seq_step, spec.causal)
                for t in range(num_frames))]
        if not 0 <= overlap < spec.seq_len:
            raise ValueError(f'overlap must be in [0, F={spec.seq_len}), got {overlap}')
        return [(frames, pad, np.arange(spec.seq_len)) for frames, pad in tiled_windows(
            num_frames, spec.seq_len, spec.seq_step, stride=spec.seq_len - overlap)]

    def window_data(self, track: PoseTrack, window: Window, image_size: Tuple[int, int]) -> dict:
        """The window as a data sample of the test pipeline, plus metainfo
        ``track_id`` and ``frame_ids`` (F,) (video frame indices, the seed
        of FinePOSE's per-sample noise).

        The data info has the keys of the test datasets' windows: 2D
        ``keypoints`` (F, K, 2) frame pixels, ``keypoints_visible`` (F, K)
        ones (as the datasets' 2D files), zero 3D targets (F_t, K, 3) (no
        ground truth), ``factor`` zeros (F,) (MotionBERT's codec then uses
        its default), ``camera_param`` ``{'w', 'h'}`` of the frame, and with
        ``nominal_intrinsics`` ``f`` = (w, w) and ``c`` = (w / 2, h / 2)
        pixels, (2, 1) each: a camera the video does not tell, which only
        MPM's refine stage would read (refused on video).
        """
        frames, _, targets = window
        width, height = image_size
        camera = dict(w=width, h=height)
        if self.nominal_intrinsics:
            camera.update(f=np.array([[width], [width]], np.float32),
                          c=np.array([[width / 2], [height / 2]], np.float32))
        keypoints = track.keypoints[frames].astype(np.float32)
        num_targets, num_joints = len(targets), keypoints.shape[1]
        info = dict(
            keypoints=keypoints,
            keypoints_visible=np.ones(keypoints.shape[:2], np.float32),
            lifting_target=np.zeros((num_targets, num_joints, 3), np.float32),
            lifting_target_visible=np.ones((num_targets, num_joints), np.float32),
            factor=np.zeros(len(frames), np.float32),
            camera_param=camera)
        info.update(self.dataset_meta)
        data = self.pipeline(info)
        data['data_samples'].set_metainfo(
            dict(track_id=track.track_id, frame_ids=track.frame_ids[frames]))
        return data

    def predict_windows(self, track: PoseTrack, windows: List[Window],
                        image_size: Tuple[int, int], batch_size: int) -> Iterator[np.ndarray]:
        """Yield each window's prediction (F_t, K, 3), running the lifter on
        ``batch_size`` windows at a time.

        Raises:
            ValueError: If the lifter returns another number of frames than
                the config's test windows target.
        """
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        for first in range(0, len(windows), batch_size):
            batch = windows[first:first + batch_size]
            with torch.no_grad():
                outputs = self.model.test_step(
                    pseudo_collate([self.window_data(track, w, image_size) for w in batch]))
            for window, output in zip(batch, outputs):
                keypoints = np.asarray(output.pred_instances.keypoints, np.float32)
                keypoints = keypoints.reshape(-1, *keypoints.shape[-2:])
                if len(keypoints) != len(window[2]):
                    raise ValueError(
                        f'the lifter returned {len(keypoints)} frames per window, but its '
                        f'test dataset targets {len(window[2])} (sequence-to-'
                        f'{"sequence" if self.spec.seq2seq else "frame"} windows: '
                        'test_dataloader.dataset sample_mode / multiple_target); make the '
                        'config and the model agree')
                yield keypoints

    def lift(self, track: PoseTrack, image_size: Tuple[int, int], batch_size: int = 1,
             overlap: int = 0) -> np.ndarray:
        """Lift one track.

        Args:
            track (PoseTrack): T frames of 2D.
            image_size (tuple[int, int]): Frame (w, h) in pixels.
            batch_size (int): Windows per lifter call. Defaults to 1.
            overlap (int): See :meth:`windows`. Defaults to 0.

        Returns:
            np.ndarray: (T, K, 3) float32, the lifter's frame (camera frame,
            metres for our lifters), root-relative: joint 0 subtracted.
        """
        windows = self.windows(len(track), overlap)
        predictions = list(self.predict_windows(track, windows, image_size, batch_size))
        if self.spec.seq2seq:
            poses, _ = merge_window_predictions(
                len(track), [w[0] for w in windows], [w[1] for w in windows], predictions,
                average=overlap > 0)
        else:
            poses = np.concatenate(predictions)
        return poses - poses[:, :1]
