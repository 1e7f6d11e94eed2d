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

from mmengine.config import Config
from mmpose.registry import DATASETS

from metapose_plugin.evaluation.metrics.multiview_metapose_metric import score_multiview_poses
from metapose_plugin.structures.multiview.dlt_triangulation import triangulate_dlt
from metapose_plugin.utils import register_all_modules


def dlt_metrics(dataset) -> Dict[str, float]:
    """Triangulate every frame of ``dataset`` and return the metric's numbers."""
    frames = [dataset.get_data_info(index) for index in range(len(dataset))]
    # (V, K, 2) pixels, (V, 3, 4) world metres -> (K, 3) world mm
    poses = [triangulate_dlt(f['keypoints_2d'], f['projections']) * 1000.0 for f in frames]
    return score_multiview_poses(poses, [f['cam0_rotation'] for f in frames], frames)


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
