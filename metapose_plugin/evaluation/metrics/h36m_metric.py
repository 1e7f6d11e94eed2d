from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpose.evaluation.functional.mesh_eval import compute_similarity_transform
from mmpose.registry import METRICS

from metapose_plugin.structures.h36m_actions import H36M_ACTIONS

from ..functional.finite_check import check_finite


def _to_numpy(value, name: str) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    array = np.asarray(value, dtype=np.float64)
    if array.ndim not in (2, 3) or array.shape[-1] != 3 or (
            array.ndim == 3 and array.shape[0] != 1):
        raise ValueError(f'H36MMetric: {name} has shape {array.shape}, '
                         'expected (1, K, 3) or (K, 3)')
    return array.reshape(-1, 3)


def pose_errors_mm(pred: np.ndarray, gt: np.ndarray) -> Tuple[float, float]:
    """MPJPE and Procrustes-aligned MPJPE of one pose, millimetres.

    Args:
        pred (np.ndarray): (K, 3) metres.
        gt (np.ndarray): (K, 3) metres, same frame.

    Returns:
        tuple[float, float]: P1 and P2 (mean over the K joints).
    """
    if np.ptp(pred, axis=0).any():
        aligned = compute_similarity_transform(pred, gt)
    else:  # a collapsed pose: the best similarity has scale 0
        aligned = np.broadcast_to(gt.mean(0), gt.shape)
    return (1000.0 * float(np.linalg.norm(pred - gt, axis=-1).mean()),
            1000.0 * float(np.linalg.norm(aligned - gt, axis=-1).mean()))


@METRICS.register_module()
class H36MMetric(BaseMetric):
    """MPJPE (P1) and Procrustes-aligned MPJPE (P2) on Human3.6M, in mm.

    Following the protocol papers report (SPEC section 5), each error is
    averaged per action (both trials pooled) and the per-action means are
    averaged again, unweighted, over the actions present (15 on the full
    test set): ``P1``, ``P2``. The frame-weighted means over all samples
    are ``P1_frames``, ``P2_frames``, and the per-action means
    ``P1/<Action>``, ``P2/<Action>``. P2 aligns the prediction to the
    ground truth with the best similarity transform (scale, proper rotation,
    translation), MMPose's ``compute_similarity_transform``. Every joint
    counts, the root included. A prediction with NaN or inf is an error
    naming the sample.

    The keys have no prefix (``default_prefix = None``) so that
    ``save_best='P1'`` works. ``process`` keeps per-sample errors only;
    ``compute_metrics`` sees the records gathered from every rank.

    Inputs per data sample: ``pred_instances.keypoints`` (1, K, 3) and
    ``gt_instances.lifting_target`` (1, K, 3), both root-relative
    camera-frame metres, and the ``action`` metainfo (canonical name).

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``, see
            :class:`mmengine.evaluator.BaseMetric`. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the keys. Defaults to None.
        collect_dir (str, optional): See BaseMetric. Defaults to None.
    """

    default_prefix: Optional[str] = None

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Store the action and the two errors (mm) of each sample."""
        for index, sample in enumerate(data_samples):
            if 'action' not in sample:
                raise ValueError(f'H36MMetric: data sample {index} has no '
                                 '\'action\' metainfo')
            pred = _to_numpy(sample['pred_instances']['keypoints'],
                             'pred_instances.keypoints')
            gt = _to_numpy(sample['gt_instances']['lifting_target'],
                           'gt_instances.lifting_target')
            if pred.shape != gt.shape:
                raise ValueError(
                    f'H36MMetric: prediction {pred.shape} and lifting_target '
                    f'{gt.shape} differ in shape (sample {index})')
            check_finite(pred, 'H36MMetric', f'data sample {index} ({sample["action"]}, '
                         f'{sample.get("img_path", "no img_path")})')
            p1, p2 = pose_errors_mm(pred, gt)
            self.results.append(
                dict(action=str(sample['action']), p1=p1, p2=p2))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """P1/P2 (mean of action means), frame means and the action table."""
        return self.action_means(results, type(self).__name__)

    def action_means(self, results: List[dict], title: str) -> Dict[str, float]:
        """The keys of the class docstring from per-sample records (``action``,
        ``p1``, ``p2`` in mm); the per-action table is logged under
        ``title``, which says what the numbers are."""
        per_action: Dict[str, List[dict]] = {}
        for record in results:
            per_action.setdefault(record['action'], []).append(record)
        known = [a for a in H36M_ACTIONS if a in per_action]
        order = known + sorted(set(per_action) - set(known))

        table = OrderedDict()
        for action in order:
            table[action] = {
                key: float(np.mean([r[key] for r in per_action[action]]))
                for key in ('p1', 'p2')
            }
        metrics = OrderedDict()
        for key, name in (('p1', 'P1'), ('p2', 'P2')):
            metrics[name] = float(np.mean([v[key] for v in table.values()]))
            metrics[f'{name}_frames'] = float(
                np.mean([r[key] for r in results]))
        for action, values in table.items():
            metrics[f'P1/{action}'] = values['p1']
            metrics[f'P2/{action}'] = values['p2']
        print_log(self._format_table(table, per_action, metrics, title),
                  logger='current')
        return dict(metrics)

    @staticmethod
    def _format_table(table: Dict[str, dict], per_action: Dict[str, list],
                      metrics: Dict[str, float], title: str) -> str:
        lines = [f'{"action":<14}{"frames":>8}{"P1 (mm)":>10}{"P2 (mm)":>10}']
        for action, values in table.items():
            lines.append(f'{action:<14}{len(per_action[action]):>8}'
                         f'{values["p1"]:>10.2f}{values["p2"]:>10.2f}')
        frames = sum(len(v) for v in per_action.values())
        lines.append(f'{"mean/action":<14}{frames:>8}{metrics["P1"]:>10.2f}'
                     f'{metrics["P2"]:>10.2f}')
        lines.append(f'{"mean/frame":<14}{frames:>8}'
                     f'{metrics["P1_frames"]:>10.2f}'
                     f'{metrics["P2_frames"]:>10.2f}')
        return f'{title}\n' + '\n'.join(lines)
