import json
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpose.registry import METRICS

from metapose_plugin.datasets.datasets.mpi_inf_3dhp_mat_layout import (PREDICTION_LAYOUTS,
                                                                       save_predictions)
from metapose_plugin.structures.mpi_inf_3dhp_joints import (JOINT_ORDERS, MPI_INF_3DHP_JOINT_NAMES,
                                                            from_joint_order)

from ..functional.finite_check import check_finite, check_nonfinite_mode
from ..functional.mpi_inf_3dhp_eval import (MPM16_PCK_JOINT_GROUPS, PCK_JOINT_GROUPS,
                                            count_as_misses, evaluate_sequences, format_tables,
                                            joint_errors, root_relative)
from ..functional.mpi_inf_3dhp_file_eval import json_ready


def _frames(value, name: str, index: int, num_joints: int) -> np.ndarray:
    """A per-sample pose array -> (F_t, K, 3) float64."""
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (num_joints, 3):
        raise ValueError(f'MPIINF3DHPMetric: data sample {index}: {name} has '
                         f'shape {np.shape(value)}, expected (1, F, '
                         f'{num_joints}, 3), (F, {num_joints}, 3) or '
                         f'(1, {num_joints}, 3)')
    return array


def _row_key(row: str) -> str:
    return row.replace('/', '-').replace(' ', '')


@METRICS.register_module()
class MPIINF3DHPMetric(BaseMetric):
    """MPI-INF-3DHP PCK (150 mm), AUC and MPJPE of the official MATLAB scripts.

    Every valid test frame counts once (keyed by sequence and frame id; a
    frame predicted by several windows keeps its first prediction; invalid
    frames and edge padding, ``target_pad_mask``, are skipped). The ground
    truth is made root-relative (pelvis); the prediction too
    (``center_prediction``, which every published pipeline does before
    saving, so the root error is 0). Then
    :func:`~..functional.mpi_inf_3dhp_eval.evaluate_sequences` computes the
    scripts' tables (14 joints in 8 groups for PCK/AUC, strict ``<``; MPJPE
    over all 17 joints), in mm.

    Keys (no prefix, so ``save_best='PCK'`` works): ``PCK``, ``AUC``,
    ``MPJPE``: the pooled ``All`` row over every valid frame;
    ``<M>/unweighted_seq_mean``, ``<M>/readme_weighted_seq_mean`` (P-STMO's
    published aggregation; only when the sequences are TS1..TS6) and
    ``<M>/<scene>`` (``GS``, ``noGS``, ``outdoor``, README-weighted);
    ``<M>/<row>`` for each sequence (``TestSeq1``...) and each activity row
    with frames (``Sitting``, ``Standing-Walking``...), with ``<M>`` the
    headline cell (PCK/AUC ``Total``, MPJPE ``Average``). The full tables
    are logged.

    Inputs per data sample: ``pred_instances.keypoints`` and
    ``gt_instances.lifting_target``, (1, F_t, K, 3), (F_t, K, 3) or
    (1, K, 3), camera frame, in ``unit``; metainfo ``sequence`` (``'TS1'``),
    ``target_frame_ids`` (F_t,) (or ``frame_id``), ``target_valid`` (F_t,)
    and ``target_activity`` (F_t,) (1..7; 0 for unknown, counted in ``All``
    only), optionally ``target_pad_mask`` (F_t,); ``sequence_num_frames``
    only to write the ``finepose`` layout (frames never predicted are NaN
    there, which the scripts never read as they are invalid).

    Args:
        joint_order (str): Order of the poses: ``'mpi_inf_3dhp'`` (root 14)
            or ``'h36m'`` (mapped back to 3DHP order, SPEC_3DHP section 2):
            the official protocol. ``'mpm16'``: MPM's 16 joints (no neck,
            head_top averaged with head), scored with the scripts'
            arithmetic on :data:`MPM16_PCK_JOINT_GROUPS` (13 PCK joints) and
            MPJPE over 16 joints: NOT comparable with the official numbers;
            give it a ``prefix``. Defaults to ``'mpi_inf_3dhp'``.
        unit (str): ``'m'`` or ``'mm'``, unit of the poses. Defaults to
            ``'m'``.
        center_prediction (bool): Subtract the predicted root joint.
            Defaults to True.
        skeleton (str): Reference skeleton of the ground truth
            (``'univ_annot3'`` or ``'annot3'``), written into the tables and
            json so that results are tagged. Defaults to ``'univ_annot3'``.
        outfile_prefix (str, optional): Write ``<prefix>.json`` (every cell,
            as ``tools/analysis_tools/eval_mpi_inf_3dhp.py --json``) and
            ``<prefix>.mat`` (the predictions in ``pred_layout``, readable by
            the MATLAB drivers and the tool). Defaults to None.
        pred_layout (str): ``'pstmo'`` or ``'finepose'``. Defaults to
            ``'pstmo'``.
        nonfinite (str): ``'error'``: a NaN or inf prediction of a valid frame
            raises an error naming the sample, sequence and frames;
            ``'miss'``: its joints count as misses for PCK and AUC and make
            MPJPE infinite, so that the three count the same joints (the
            number is logged). Defaults to ``'error'``.
        collect_device (str): See :class:`mmengine.evaluator.BaseMetric`.
        prefix (str, optional): Prefix of the keys. Defaults to None.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 joint_order: str = 'mpi_inf_3dhp',
                 unit: str = 'm',
                 center_prediction: bool = True,
                 skeleton: str = 'univ_annot3',
                 outfile_prefix: Optional[str] = None,
                 pred_layout: str = 'pstmo',
                 nonfinite: str = 'error',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.nonfinite = check_nonfinite_mode(nonfinite, 'MPIINF3DHPMetric')
        if joint_order not in JOINT_ORDERS:
            raise ValueError(f'MPIINF3DHPMetric: unknown joint_order '
                             f'{joint_order!r}; expected one of '
                             f'{sorted(JOINT_ORDERS)}')
        if joint_order == 'mpm16' and outfile_prefix:
            raise ValueError('MPIINF3DHPMetric: the .mat layouts of the '
                             'scripts need 17 joints; joint_order=\'mpm16\' '
                             'cannot write them (outfile_prefix)')
        if unit not in ('m', 'mm'):
            raise ValueError(f'MPIINF3DHPMetric: unit must be m or mm, got '
                             f'{unit!r}')
        if skeleton not in ('univ_annot3', 'annot3'):
            raise ValueError(f'MPIINF3DHPMetric: unknown skeleton '
                             f'{skeleton!r}')
        if pred_layout not in PREDICTION_LAYOUTS:
            raise ValueError(f'MPIINF3DHPMetric: unknown pred_layout '
                             f'{pred_layout!r}; expected one of '
                             f'{sorted(PREDICTION_LAYOUTS)}')
        self.joint_order = joint_order
        # the order the tables are computed in: 3DHP, unless MPM's 16 joints
        self.table_order = 'mpm16' if joint_order == 'mpm16' else \
            'mpi_inf_3dhp'
        order, self.root_index = JOINT_ORDERS[self.table_order]
        self.joint_names = [MPI_INF_3DHP_JOINT_NAMES[j] for j in order]
        self.joint_groups = MPM16_PCK_JOINT_GROUPS \
            if joint_order == 'mpm16' else PCK_JOINT_GROUPS
        self.scale = 1000.0 if unit == 'm' else 1.0
        self.center_prediction = center_prediction
        self.skeleton = skeleton
        self.outfile_prefix = outfile_prefix
        self.pred_layout = pred_layout

    def process(self, data_batch: Optional[dict],
                data_samples: Sequence[dict]) -> None:
        """Store per data sample: sequence, target frame ids, valid,
        activity and both poses (3DHP order, root-relative, mm)."""
        for index, sample in enumerate(data_samples):
            for key in ('sequence', 'target_valid', 'target_activity'):
                if key not in sample:
                    raise ValueError(f'MPIINF3DHPMetric: data sample {index} '
                                     f'has no {key!r} metainfo')
            num_joints = len(self.joint_names)
            pred = _frames(sample['pred_instances']['keypoints'],
                           'pred_instances.keypoints', index, num_joints)
            gt = _frames(sample['gt_instances']['lifting_target'],
                         'gt_instances.lifting_target', index, num_joints)
            frame_ids = np.atleast_1d(
                sample.get('target_frame_ids', sample.get('frame_id')))
            valid = np.atleast_1d(np.asarray(sample['target_valid']))
            activity = np.atleast_1d(np.asarray(sample['target_activity']))
            if not (len(pred) == len(gt) == len(frame_ids) == len(valid) ==
                    len(activity)):
                raise ValueError(
                    f'MPIINF3DHPMetric: data sample {index} (sequence '
                    f'{sample["sequence"]}): {len(pred)} predicted frames, '
                    f'{len(gt)} target frames, {len(frame_ids)} '
                    f'target_frame_ids, {len(valid)} target_valid, '
                    f'{len(activity)} target_activity')
            if 'target_pad_mask' in sample:  # edge padding: never scored
                keep = ~np.atleast_1d(np.asarray(sample['target_pad_mask'],
                                                 dtype=bool))
                pred, gt, frame_ids = pred[keep], gt[keep], frame_ids[keep]
                valid, activity = valid[keep], activity[keep]
            if self.nonfinite == 'error':
                check_finite(pred[valid.astype(bool)], 'MPIINF3DHPMetric',
                             f'data sample {index} (sequence {sample["sequence"]})',
                             frame_ids[valid.astype(bool)],
                             hint="nonfinite='miss' counts them as misses.")
            if self.joint_order != self.table_order:
                pred = from_joint_order(pred, self.joint_order)
                gt = from_joint_order(gt, self.joint_order)
            pred, gt = pred * self.scale, gt * self.scale
            if self.center_prediction:
                pred = root_relative(pred, self.root_index)
            gt = root_relative(gt, self.root_index)
            # one record per data sample: BaseMetric keeps the first
            # ``size`` records when it drops the sampler's padding
            self.results.append(
                dict(sequence=str(sample['sequence']),
                     frame_ids=frame_ids.astype(np.int64),
                     valid=valid.astype(bool),
                     activity=activity.astype(np.int64),
                     num_frames=int(sample.get('sequence_num_frames', 0)),
                     pred=pred,
                     gt=gt))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """The script's tables over the gathered records, and the keys
        listed in the class docstring."""
        frames: Dict[str, Dict[int, dict]] = OrderedDict()
        for record in results:
            by_id = frames.setdefault(record['sequence'], {})
            for f, frame_id in enumerate(record['frame_ids'].tolist()):
                if frame_id not in by_id:
                    by_id[frame_id] = dict(
                        valid=bool(record['valid'][f]),
                        activity=int(record['activity'][f]),
                        num_frames=record['num_frames'],
                        pred=record['pred'][f],
                        gt=record['gt'][f])
        sequences = sorted(
            frames,
            key=lambda s: (0, int(s[2:]), '')
            if s.startswith('TS') and s[2:].isdigit() else (1, 0, s))
        errors, activities = OrderedDict(), OrderedDict()
        misses = 0
        for sequence in sequences:
            records = [frames[sequence][i] for i in sorted(frames[sequence])]
            records = [r for r in records if r['valid']]
            if not records:
                continue
            errors[sequence], count = count_as_misses(joint_errors(
                np.stack([r['pred'] for r in records]),
                np.stack([r['gt'] for r in records])))
            misses += count
            activities[sequence] = np.array([r['activity'] for r in records])
        if not errors:
            raise ValueError('MPIINF3DHPMetric: no valid frame was predicted')
        result = evaluate_sequences(errors, activities, self.joint_groups)
        result['skeleton'] = self.skeleton
        result['nonfinite_joints'] = misses
        protocol = 'official 14/17 joints' if self.table_order != 'mpm16' \
            else 'MPM 16 joints, 13 PCK joints: NOT the official protocol'
        print_log(
            f'MPIINF3DHPMetric (reference {self.skeleton}, {protocol}, '
            f'valid frames {dict(zip(errors, result["n_valid"]))}, non-finite joints '
            f'counted as misses {misses})\n' +
            format_tables(result, self.joint_names),
            logger='current')
        if self.outfile_prefix:
            self._write(result, frames, sequences)

        metrics = OrderedDict()
        headline = (('PCK', 'pck', 'Total'), ('AUC', 'auc', 'Total'),
                    ('MPJPE', 'mpjpe', None))
        for key, metric, _ in headline:
            derived = result['derived'][metric]
            metrics[key] = derived['all_row']
            for name in ('unweighted_seq_mean', 'readme_weighted_seq_mean'):
                if name in derived:
                    metrics[f'{key}/{name}'] = derived[name]
            for scene, value in derived.get('readme_weighted_scene_mean',
                                            {}).items():
                metrics[f'{key}/{scene}'] = value
        for table in ('sequencewise', 'activitywise'):
            for row, cells in result[table].items():
                if row == 'All' or np.isnan(cells['mpjpe']):  # no frames
                    continue
                for key, metric, cell in headline:
                    value = cells[metric] if cell is None else cells[metric][
                        cell]
                    metrics[f'{key}/{_row_key(row)}'] = value
        return dict(metrics)

    def _write(self, result: dict, frames: Dict[str, Dict[int, dict]],
               sequences: List[str]) -> None:
        os.makedirs(osp.dirname(osp.abspath(self.outfile_prefix)),
                    exist_ok=True)
        with open(f'{self.outfile_prefix}.json', 'w') as f:
            json.dump(json_ready(result), f, indent=1)
        predictions = OrderedDict()
        for sequence in sequences:
            by_id = frames[sequence]
            if self.pred_layout == 'pstmo':
                ids = [i for i in sorted(by_id) if by_id[i]['valid']]
                predictions[sequence] = np.stack(
                    [by_id[i]['pred'] for i in ids])
                continue
            num_frames = max(r['num_frames'] for r in by_id.values())
            if num_frames <= max(by_id):
                raise ValueError(
                    f'MPIINF3DHPMetric: the finepose layout needs every '
                    f'frame of {sequence}: give sequence_num_frames in the '
                    f'metainfo (got {num_frames}, frame ids up to '
                    f'{max(by_id)})')
            # frames without a prediction (never evaluated) stay NaN
            poses = np.full((num_frames, len(self.joint_names), 3), np.nan)
            for i, record in by_id.items():
                poses[i] = record['pred']
            predictions[sequence] = poses
        save_predictions(f'{self.outfile_prefix}.mat', predictions,
                         self.pred_layout)
