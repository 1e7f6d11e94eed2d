"""Human3.6M errors of multi-hypothesis lifters (FinePOSE, D3DP): the
headline of the aggregated prediction plus the four hypothesis aggregations,
two of which are oracles."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmpose.registry import METRICS

from metapose_plugin.structures.h36m_cameras import camera_intrinsics
from metapose_plugin.structures.hypothesis_aggregation import hypothesis_errors, joint_errors

from ..functional.finite_check import check_finite
from .h36m_sequence_metric import H36MSequenceMetric

#: Reported names of the aggregations; the oracles use the 3D ground truth.
METHOD_NAMES = {'P-Agg': 'P-Agg', 'J-Agg': 'J-Agg', 'J-Best': 'J-Best(oracle)',
                'P-Best': 'P-Best(oracle)'}
P_BEST_POOLS = ('sample', 'batch')
#: Title of each aggregation's logged per-action table.
TABLE_TITLES = {
    'P-Agg': 'P-Agg: mean of the hypotheses',
    'J-Agg': 'J-Agg: per joint, the hypothesis whose reprojection is closest to the input 2D',
    'J-Best': 'J-Best (oracle): per joint, the hypothesis closest to the 3D ground truth',
    'P-Best': 'P-Best (oracle): the hypothesis with the lowest error against the 3D ground '
              'truth'}


@METRICS.register_module()
class H36MMultiHypothesisMetric(H36MSequenceMetric):
    """:class:`H36MSequenceMetric` of the aggregated prediction, plus the
    errors of every hypothesis aggregation.

    Headline ``P1``/``P2`` (and per action, frame means): the model's
    ``pred_instances.keypoints``, an aggregation that uses no ground truth
    (P-Agg or J-Agg, set by the model's ``test_cfg.aggregation``). From
    ``pred_instances.hypotheses`` (1, H, F_t, K, 3) also ``P1/<name>``,
    ``P2/<name>``, ``P1/<name>/<Action>``... for ``<name>`` in ``P-Agg``,
    ``J-Agg``, ``J-Best(oracle)``, ``P-Best(oracle)`` (SPEC_FINEPOSE section
    5): J-Best takes per joint and frame the hypothesis closest to the
    ground truth, P-Best the hypothesis with the lowest MPJPE; both are
    **oracles** and never the headline. P2 aligns each hypothesis before the
    selection, as the reference does. Frames are counted once (the sequence
    metric's bookkeeping).

    J-Agg needs ``data_batch['inputs']`` (the model's normalised 2D input,
    (F, K, 2) per sample) and the metainfo ``camera_param`` and
    ``target_root`` (ground-truth root trajectory, camera metres).

    Args:
        j_agg (bool): Report J-Agg. Defaults to True.
        p_best_pool (str): ``'sample'`` (one P-Best hypothesis per window)
            or ``'batch'`` (one per evaluation batch,
            over all its frames, padding included: the reference, whose
            number then depends on the batch size). Defaults to
            ``'sample'``.
        root_index (int): Root joint. Defaults to 0.
        collect_device, prefix, collect_dir: See
            :class:`mmengine.evaluator.BaseMetric`.
    """

    def __init__(self,
                 j_agg: bool = True,
                 p_best_pool: str = 'sample',
                 root_index: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None):
        super().__init__(root_index=root_index, collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        if p_best_pool not in P_BEST_POOLS:
            raise ValueError(f'H36MMultiHypothesisMetric: p_best_pool must be one of '
                             f'{P_BEST_POOLS}, got {p_best_pool!r}')
        self.j_agg = j_agg
        self.p_best_pool = p_best_pool

    def process(self, data_batch: Optional[dict], data_samples: Sequence[dict]) -> None:
        """Headline records (sequence metric), then each record gets the
        per-frame errors (mm) of the four aggregations."""
        start = len(self.results)
        super().process(data_batch, data_samples)
        hyps, targets, real, cams = [], [], [], []
        for index, sample in enumerate(data_samples):
            hyps.append(self._hypotheses(sample, index))
            gt = torch.as_tensor(np.asarray(sample['gt_instances']['lifting_target']),
                                 dtype=torch.float64).reshape(hyps[-1].shape[1:])
            targets.append(gt - gt[:, self.root_index:self.root_index + 1])
            real.append(~torch.as_tensor(np.asarray(
                sample.get('target_pad_mask', np.zeros(gt.shape[0], bool)), bool).reshape(-1)))
            check_finite(hyps[-1].numpy()[:, real[-1].numpy()], type(self).__name__,
                         f'data sample {index} ({sample["subject"]} {sample["action"]} camera '
                         f'{sample["camera_id"]}, pred_instances.hypotheses)',
                         np.asarray(sample['target_frame_ids']).reshape(-1)[real[-1].numpy()])
            cams.append(self._camera(data_batch, sample, index) if self.j_agg else None)
        methods = [self._errors(h, t, c, align) for h, t, c in zip(hyps, targets, cams)
                   for align in (False, True)]
        if self.p_best_pool == 'batch':
            self._pool_p_best(hyps, targets, methods)
        for i, record in enumerate(self.results[start:]):
            p1, p2 = methods[2 * i], methods[2 * i + 1]
            record['methods'] = {
                METHOD_NAMES[name]: (1000 * p1[name][real[i]].mean(dim=-1).numpy(),
                                     1000 * p2[name][real[i]].mean(dim=-1).numpy())
                for name in p1
            }

    def _hypotheses(self, sample: dict, index: int) -> torch.Tensor:
        pred = sample['pred_instances']
        if 'hypotheses' not in pred:
            raise ValueError(f'H36MMultiHypothesisMetric: sample {index} ({sample["subject"]} '
                             f'{sample["action"]} camera {sample["camera_id"]}) has no '
                             'pred_instances.hypotheses (a multi-hypothesis lifter)')
        hyps = torch.as_tensor(np.asarray(pred['hypotheses'].cpu() if hasattr(
            pred['hypotheses'], 'cpu') else pred['hypotheses']), dtype=torch.float64)
        hyps = hyps.reshape(-1, *hyps.shape[-3:])
        return hyps - hyps[..., self.root_index:self.root_index + 1, :]

    def _camera(self, data_batch: Optional[dict], sample: dict, index: int) -> tuple:
        name = f'{sample["subject"]} {sample["action"]} camera {sample["camera_id"]}'
        for field in ('camera_param', 'target_root'):
            if field not in sample:
                raise ValueError(f'H36MMultiHypothesisMetric: J-Agg needs metainfo {field!r}; '
                                 f'sample {index} ({name}) has none (add it to '
                                 'PackPoseInputs.meta_keys, or set j_agg=False)')
        if data_batch is None or 'inputs' not in data_batch:
            raise ValueError('H36MMultiHypothesisMetric: J-Agg needs data_batch["inputs"] (the '
                             'normalised 2D input)')
        keypoints_2d = torch.as_tensor(np.asarray(data_batch['inputs'][index].cpu()),
                                       dtype=torch.float64)
        root = torch.as_tensor(np.asarray(sample['target_root']), dtype=torch.float64)
        intrinsics = torch.as_tensor(camera_intrinsics(sample['camera_param'], normalize=True))
        return (keypoints_2d.reshape(-1, *keypoints_2d.shape[-2:]), root.reshape(-1, 1, 3),
                intrinsics)

    @staticmethod
    def _errors(hyps: torch.Tensor, target: torch.Tensor, camera: Optional[tuple],
                align: bool) -> Dict[str, torch.Tensor]:
        """Per-joint errors (F, K), metres, of each aggregation."""
        keypoints_2d, root, intrinsics = camera if camera is not None else (None, None, None)
        return hypothesis_errors(hyps, target, keypoints_2d, root, intrinsics, align=align)

    def _pool_p_best(self, hyps: List[torch.Tensor], targets: List[torch.Tensor],
                     methods: List[dict]) -> None:
        """Replace P-Best by one hypothesis shared by the whole batch, chosen
        on the mean error over all its frames (the reference's P-Best)."""
        for offset, align in ((0, False), (1, True)):
            errors = [joint_errors(h, t[None], align) for h, t in zip(hyps, targets)]
            best = int(torch.stack([e.mean(dim=(-2, -1)) for e in errors]).mean(dim=0).argmin())
            for i, error in enumerate(errors):
                methods[2 * i + offset]['P-Best'] = error[best]

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Headline metrics, then ``P1/<name>``, ``P2/<name>`` and their
        per-action and per-frame means for each aggregation."""
        prefix = f'{type(self).__name__}: '
        metrics = self.action_means(
            self.unique_frames(results),
            prefix + "headline P1/P2, the model's prediction (pred_instances.keypoints)")
        names = list(results[0].get('methods', {})) if results else []
        titles = {METHOD_NAMES[method]: title for method, title in TABLE_TITLES.items()}
        for name in names:
            records = [dict(record, p1=record['methods'][name][0],
                            p2=record['methods'][name][1]) for record in results]
            for key, value in self.action_means(self.unique_frames(records),
                                                prefix + titles[name]).items():
                protocol, _, rest = key.partition('/')
                if rest:
                    metrics[f'{protocol}/{name}/{rest}'] = value
                else:
                    protocol, _, suffix = key.partition('_')
                    metrics[f'{protocol}/{name}' + (f'_{suffix}' if suffix else '')] = value
        return metrics
