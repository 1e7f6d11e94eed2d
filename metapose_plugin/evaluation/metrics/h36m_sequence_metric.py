from typing import Dict, List, Optional, Sequence

import numpy as np
from mmpose.registry import METRICS

from ..functional.finite_check import check_finite
from .h36m_metric import H36MMetric, pose_errors_mm

#: Metainfo every data sample must carry (``H36MSequenceDataset`` keys;
#: list them in ``PackPoseInputs.meta_keys``).
REQUIRED_META = ('subject', 'action', 'subaction', 'camera_id',
                 'target_frame_ids')


def _frames(value, name: str, index: int) -> np.ndarray:
    """A prediction / target as (N, K, 3) float64 frames."""
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    array = np.asarray(value, dtype=np.float64)
    if array.ndim < 2 or array.shape[-1] != 3:
        raise ValueError(f'H36MSequenceMetric: sample {index} {name} has '
                         f'shape {array.shape}, expected (..., K, 3)')
    return array.reshape(-1, array.shape[-2], 3)


@METRICS.register_module()
class H36MSequenceMetric(H36MMetric):
    """:class:`H36MMetric` for predictions of any number of frames.

    The same numbers (``P1``, ``P2``: unweighted means of the per-action
    means, ``P1_frames``, ``P2_frames``, ``P1/<Action>``, ``P2/<Action>``,
    millimetres) over every real test frame counted exactly once:

    - frames flagged in ``target_pad_mask`` (edge padding) are dropped;
    - a frame predicted by several windows (the overlapping last window of
      ``'test_chunks'``) is kept once, from the window whose first target
      frame comes first, keyed by (subject, action, subaction, camera,
      frame). The FinePOSE reference counts both defects.

    A real frame predicted with NaN or inf is an error naming the sample and
    the frames.

    Records are small arrays per sample; ``compute_metrics`` sees those of
    every rank (:class:`mmengine.evaluator.BaseMetric`).

    Inputs per data sample: ``pred_instances.keypoints`` with F_t x K x 3
    values ((F_t, K, 3), (1, F_t, K, 3), or (1, K, 3) for one target) and
    ``gt_instances.lifting_target`` (F_t, K, 3), metres, same frame; the
    metainfo :data:`REQUIRED_META` and, optionally, ``target_pad_mask``
    (F_t, ).

    Args:
        root_index (int, optional): Joint subtracted from both the
            prediction and the target of each frame before P1 (P2 is
            translation-invariant), the protocol of VideoPose3D, FinePOSE and
            MPM, whatever root the model adds back (MMPose's video lifters
            add the ground-truth root, others none). None compares the
            coordinates as given, like :class:`H36MMetric`. Defaults to 0.
        collect_device (str): See :class:`mmengine.evaluator.BaseMetric`.
        prefix (str, optional): Prefix of the keys. Defaults to None.
        collect_dir (str, optional): See BaseMetric. Defaults to None.
    """

    def __init__(self,
                 root_index: Optional[int] = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None):
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        self.root_index = root_index

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Store the key and the two errors (mm) of each real target frame."""
        for index, sample in enumerate(data_samples):
            missing = [key for key in REQUIRED_META if key not in sample]
            if missing:
                raise ValueError(
                    f'H36MSequenceMetric: data sample {index} lacks metainfo '
                    f'{missing}; add them to PackPoseInputs.meta_keys')
            gt = _frames(sample['gt_instances']['lifting_target'],
                         'gt_instances.lifting_target', index)
            pred = _frames(sample['pred_instances']['keypoints'],
                           'pred_instances.keypoints', index)
            frame_ids = np.asarray(sample['target_frame_ids'],
                                   np.int64).reshape(-1)
            if pred.shape != gt.shape or len(frame_ids) != len(gt):
                raise ValueError(
                    f'H36MSequenceMetric: sample {index} ({sample["subject"]} '
                    f'{sample["action"]} camera {sample["camera_id"]}): '
                    f'prediction {pred.shape}, lifting_target {gt.shape} and '
                    f'{len(frame_ids)} target_frame_ids disagree')
            real = ~np.asarray(
                sample.get('target_pad_mask', np.zeros(len(gt), bool)),
                bool).reshape(-1)
            check_finite(pred[real], type(self).__name__,
                         f'data sample {index} ({sample["subject"]} {sample["action"]} '
                         f'subaction {sample["subaction"]} camera {sample["camera_id"]})',
                         frame_ids[real])
            if self.root_index is not None:
                pred = pred - pred[:, self.root_index:self.root_index + 1]
                gt = gt - gt[:, self.root_index:self.root_index + 1]
            errors = np.array([
                pose_errors_mm(pred[i], gt[i]) for i in np.flatnonzero(real)
            ]).reshape(-1, 2)
            self.results.append(
                dict(
                    video=(str(sample['subject']), str(sample['action']),
                           int(sample['subaction']),
                           int(sample['camera_id'])),
                    order=int(frame_ids.min()),
                    frames=frame_ids[real],
                    p1=errors[:, 0],
                    p2=errors[:, 1]))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Keep each (video, frame) once, then :class:`H36MMetric`'s
        aggregation."""
        return self.action_means(self.unique_frames(results), type(self).__name__)

    @staticmethod
    def unique_frames(results: List[dict]) -> List[dict]:
        """One record (``action``, ``p1``, ``p2``) per (video, frame), from
        the window whose first target frame comes first."""
        frames: Dict[tuple, dict] = {}
        for record in sorted(results, key=lambda r: (r['video'], r['order'])):
            for frame, p1, p2 in zip(record['frames'], record['p1'],
                                     record['p2']):
                frames.setdefault((record['video'], int(frame)),
                                  dict(action=record['video'][1], p1=p1,
                                       p2=p2))
        return list(frames.values())
