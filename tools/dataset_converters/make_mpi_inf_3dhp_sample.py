"""Write a synthetic MPI-INF-3DHP sample in P-STMO's npz layout.

Example (regenerates the shipped sample)::

    python tools/dataset_converters/make_mpi_inf_3dhp_sample.py \
        data/mpi_inf_3dhp_sample

Writes ``data_{train,test}_3dhp.npz`` (``univ_annot3``), the ``_ori`` twins
(``annot3``) and ``TS<k>/annot_data.mat`` (the scripts' ground truth). See
``metapose_plugin/datasets/samples/mpi_inf_3dhp_sample.py`` for the poses.
"""
import argparse

from metapose_plugin.datasets.samples.mpi_inf_3dhp_sample import make_synthetic_mpi_inf_3dhp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--train-frames', type=int, default=48,
                        help='frames of each training view')
    parser.add_argument('--test-frames', type=int, default=32,
                        help='frames of each test sequence TS1..TS6')
    args = parser.parse_args()
    make_synthetic_mpi_inf_3dhp(
        args.out_dir,
        seed=args.seed,
        train_frames=args.train_frames,
        test_frames={f'TS{k}': args.test_frames
                     for k in range(1, 7)})
    print(f'wrote the synthetic 3DHP sample to {args.out_dir}')


if __name__ == '__main__':
    main()
