"""Calibrated DLT triangulation on a multi-view MetaPose dataset, scored like the solver.

The baseline of known cameras: every frame's 2D detections (the dataset's
``keypoints_2d``) are triangulated with the true projection matrices
(:func:`triangulate_dlt`, lens distortion ignored) and scored by
``MultiViewMetaPoseMetric`` (PMPJPE with the reference's and with a proper
alignment, NMPJPE, PCK@150), the numbers a multi-view MetaPose config's
``tools/test.py`` prints.

Usage::

    python projects/metapose/demo/multiview_dlt_baseline.py CONFIG [--split test]
"""
import argparse
from typing import Dict

import numpy as np
import torch
from mmengine.config import Config
from mmpose.registry import DATASETS, METRICS

from metapose_plugin.structures.multiview.dlt_triangulation import triangulate_dlt
from metapose_plugin.utils import register_all_modules


def dlt_metrics(dataset, metric_cfg: dict = None) -> Dict[str, float]:
    """Triangulate every frame of ``dataset`` and return the metric's numbers."""
    metric = METRICS.build(metric_cfg or dict(type='MultiViewMetaPoseMetric'))
    samples = []
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        # (V, K, 2) pixels, (V, 3, 4) world metres -> (K, 3) world mm
        pose = triangulate_dlt(info['keypoints_2d'], info['projections']) * 1000.0
        samples.append(dict(
            pred_instances=dict(keypoints=torch.from_numpy(pose)[None],
                                rot0=torch.from_numpy(np.asarray(info['cam0_rotation']))[None]),
            gt_instance_labels=dict(pose3d=torch.from_numpy(info['pose3d'])[None],
                                    pose3d_cam0=torch.from_numpy(info['pose3d_cam0'])[None]),
            num_views=info['num_views']))
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a multi-view MetaPose config')
    parser.add_argument('--split', choices=('train', 'val', 'test'), default='test')
    args = parser.parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    dataset = DATASETS.build(cfg[f'{args.split}_dataloader'].dataset)
    for name, value in dlt_metrics(dataset).items():
        print(f'dlt/{name}: {value:.3f}')


if __name__ == '__main__':
    main()
