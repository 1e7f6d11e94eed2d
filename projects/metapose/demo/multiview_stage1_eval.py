"""Score multi-view MetaPose's stage 1 (its initialisation and "S1 + IR") on a config's split.

The reference's ``launch_iterative_solver.py`` rows: the dataset of the
config solves stage 1 on every frame when it is built (or reads the
solution of ``opt`` records, or a ``cache_file``), and this prints the
numbers of ``MultiViewMetaPoseMetric`` (the metric ``tools/test.py`` prints
for stage 2) for the initialisation from the monocular estimates
(``init/``) and for the refined solution (``s1/``). With the ``-gt-init``
config the initialisation is the ground truth's weak projection: the
README's "GT + IR" row.

Usage::

    python projects/metapose/demo/multiview_stage1_eval.py CONFIG [--split test] [--frame-step N]
"""
from typing import Dict, List

from metapose_plugin.evaluation.metrics.multiview_metapose_metric import score_multiview_poses
from metapose_plugin.utils.multiview_split import load_multiview_split, multiview_split_parser


def stage1_metrics(frames: List[dict]) -> Dict[str, Dict[str, float]]:
    """``{'init': metrics, 's1': metrics}`` of the frames of a multi-view dataset."""
    return {stage: score_multiview_poses([f[f'{prefix}_pose'] for f in frames],
                                         [f[f'{prefix}_rot0'] for f in frames], frames)
            for stage, prefix in (('init', 'init'), ('s1', 's1'))}


def main() -> None:
    args = multiview_split_parser(__doc__.splitlines()[0]).parse_args()
    for stage, metrics in stage1_metrics(load_multiview_split(args)).items():
        for name, value in metrics.items():
            print(f'{stage}/{name}: {value:.3f}')


if __name__ == '__main__':
    main()
