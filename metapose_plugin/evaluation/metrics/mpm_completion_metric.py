"""Errors of MPM's masked reconstruction and pose completion."""
from collections import OrderedDict, defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpose.registry import METRICS

from ..functional.finite_check import check_finite


def _array(value, name: str, index: int, ndim: int = 3) -> np.ndarray:
    """``value`` as an array of ``ndim`` axes ((F, K, d) or masks (F, K)),
    a leading axis of 1 removed."""
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.ndim == ndim + 1 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != ndim:
        raise ValueError(f'MPMCompletionMetric: sample {index}: {name} has shape {array.shape}, '
                         f'expected {ndim} axes (after an optional leading 1)')
    return array


@METRICS.register_module()
class MPMCompletionMetric(BaseMetric):
    """Completion and reconstruction errors of MPM (Zhang, Chai et al.,
    arXiv 2306.17201), overall and per completion manner.

    For each task the :class:`MPMMaskedPoseModel` predicted:

    - ``pose2d_x1000``: 2D reconstruction error, mean Euclidean distance in
      normalised screen units x 1000 (the reference's unit; not pixels);
    - ``lift_mpjpe``: MPJPE in mm of the 3D lifted from the masked 2D, the
      predicted root set to 0, over every joint;
    - ``pose3d_mpjpe``: MPJPE in mm of the 3D completion.

    By default the 2D and 3D completion errors average only the masked
    joints (those the model had to fill in). ``masked_only=False`` averages
    every joint, masked or given, as the reference does; its 3D number then
    compares the composite (ground truth where visible), so the error of
    the masked joints is diluted by K / (masked joints). Keys per manner:
    ``<name>/manner<m>`` (tube masks only). A prediction with NaN or inf is
    an error naming the sample.

    Inputs per data sample: ``pred_instances`` from
    :meth:`MPMMaskedPoseModel.predict` (``pose2d``, ``lift``, ``pose3d``,
    ``mask_2d``, ``mask_3d``), the ground truth
    ``gt_instance_labels.keypoint_labels`` (1, F, K, 2) normalised screen
    and ``gt_instance_labels.lifting_target_label`` (F, K, 3) root-relative
    metres; optional metainfo ``mpm_manner_2d``/``mpm_manner_3d``.

    Args:
        masked_only (bool): See above. Defaults to True.
        collect_device (str): See :class:`BaseMetric`. Defaults to 'cpu'.
        prefix (str, optional): Key prefix. Defaults to ``'mpm'``.
    """

    default_prefix: Optional[str] = 'mpm'

    def __init__(self,
                 masked_only: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.masked_only = masked_only

    def process(self, data_batch: Optional[dict], data_samples: Sequence[dict]) -> None:
        """Store the summed error and count of each task and sample."""
        for index, sample in enumerate(data_samples):
            pred = sample.get('pred_instances', {})
            labels = sample.get('gt_instance_labels', {})
            record = {}
            name = ' '.join(str(sample[k]) for k in ('subject', 'action', 'camera_id')
                            if k in sample)
            for task in ('pose2d', 'lift', 'pose3d'):
                if task in pred:
                    check_finite(_array(pred[task], task, index), 'MPMCompletionMetric',
                                 f'data sample {index} ({name or "no metainfo"}, {task})')
            if 'pose2d' in pred:
                gt = _array(labels['keypoint_labels'], 'keypoint_labels', index)
                err = np.linalg.norm(_array(pred['pose2d'], 'pose2d', index) - gt, axis=-1)
                record['pose2d_x1000'] = self._reduce(err * 1000, pred, '2d', index)
                record['pose2d_x1000'] += (sample.get('mpm_manner_2d'), )
            if 'lift' in pred or 'pose3d' in pred:
                gt3d = _array(labels['lifting_target_label'], 'lifting_target_label', index)
                gt3d = gt3d - gt3d[:, :1]
            if 'lift' in pred:
                lift = _array(pred['lift'], 'lift', index).copy()
                lift[:, 0] = 0
                err = np.linalg.norm(lift - gt3d, axis=-1) * 1000
                record['lift_mpjpe'] = (float(err.sum()), err.size, sample.get('mpm_manner_2d'))
            if 'pose3d' in pred:
                pose3d = _array(pred['pose3d'], 'pose3d', index)
                if not self.masked_only:
                    mask = _array(pred['mask_3d'], 'mask_3d', index, 2)[..., None]
                    pose3d = np.where(mask, pose3d, gt3d)
                err = np.linalg.norm(pose3d - gt3d, axis=-1) * 1000
                record['pose3d_mpjpe'] = self._reduce(err, pred, '3d', index)
                record['pose3d_mpjpe'] += (sample.get('mpm_manner_3d'), )
            self.results.append(record)

    def _reduce(self, err: np.ndarray, pred: dict, dims: str, index: int) -> tuple:
        """``(sum, count)`` of the errors (F, K) over the masked joints (or
        all joints)."""
        if not self.masked_only:
            return float(err.sum()), err.size
        mask = _array(pred[f'mask_{dims}'], f'mask_{dims}', index, 2).astype(bool)
        return float(err[mask].sum()), int(mask.sum())

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Means over every sample, then per manner."""
        sums: Dict[str, List[float]] = defaultdict(lambda: [0.0, 0])
        for record in results:
            for name, (total, count, manner) in record.items():
                for key in (name, None if manner is None else f'{name}/manner{manner}'):
                    if key is not None:
                        sums[key][0] += total
                        sums[key][1] += count
        return OrderedDict((key, total / count) for key, (total, count) in sorted(sums.items())
                           if count)
