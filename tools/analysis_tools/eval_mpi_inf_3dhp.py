"""Evaluate MPI-INF-3DHP predictions as the dataset's MATLAB scripts do.

Usage::

    python tools/analysis_tools/eval_mpi_inf_3dhp.py --gt-root DIR \\
        --pred inference_data.mat --layout pstmo [--json out.json]

``DIR`` holds ``TS1..TS6/annot_data.mat`` (MATLAB v5/v7, or v7.3/HDF5 with
h5py installed). ``--layout pstmo``: P-STMO's file (valid frames only, single,
evaluated against ``univ_annot3``); ``--layout finepose``: FinePOSE's file
(every frame, one slice per sampling step, against ``annot3``; one set of
tables per step). Prints the sequence-wise and activity-wise tables of the
scripts and the aggregates papers use; ``--json`` writes every cell, keyed as
the 3dhp_metric fixture's ``results.json`` (NaN and inf as null). A NaN or
inf prediction of a valid frame stops with an error naming the file,
sequence and frames, unless ``--nonfinite miss`` (its joints are misses for
PCK and AUC, and MPJPE is infinite: all three count them).
"""
import argparse
import json

from metapose_plugin.evaluation.functional.mpi_inf_3dhp_eval import \
    format_tables
from metapose_plugin.evaluation.functional.mpi_inf_3dhp_file_eval import (
    evaluate_prediction_file, json_ready)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--gt-root', required=True,
                        help='folder with TS<k>/annot_data.mat')
    parser.add_argument('--pred', required=True, help='predictions .mat')
    parser.add_argument('--layout', required=True,
                        choices=['pstmo', 'finepose'],
                        help='layout of the predictions file')
    parser.add_argument('--skeleton', choices=['annot3', 'univ_annot3'],
                        help='reference skeleton (default: the layout\'s, '
                        'univ_annot3 for pstmo, annot3 for finepose)')
    parser.add_argument('--json', help='write every cell to this file')
    parser.add_argument('--nonfinite', choices=['error', 'miss'], default='error',
                        help='a NaN/inf prediction: stop with an error naming it (default), '
                        'or count its joints as misses (PCK/AUC) with an infinite MPJPE')
    args = parser.parse_args()

    results = evaluate_prediction_file(args.gt_root, args.pred, args.layout,
                                       args.skeleton, args.nonfinite)
    for name, result in results.items():
        print(f'#### {name} (reference {result["skeleton"]}, valid frames '
              f'{result["n_valid"]}, non-finite joints counted as misses '
              f'{result["nonfinite_joints"]})')
        print(format_tables(result))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(json_ready(results), f, indent=1)
        print(f'wrote {args.json}')


if __name__ == '__main__':
    main()
