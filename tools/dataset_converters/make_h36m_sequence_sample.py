"""Write the synthetic Human3.6M sequence sample in VideoPose3D's layout.

Example (regenerates the shipped sample, byte-for-byte the same numbers)::

    python tools/dataset_converters/make_h36m_sequence_sample.py \
        data/h36m_videopose3d_sample

    # also MMPose's layout (h36m_{train,test}.npz, cameras.pkl, detections)
    python tools/dataset_converters/make_h36m_sequence_sample.py \
        work_dirs/h36m_seq --mmpose-layout work_dirs/h36m_seq_mmpose

See ``metapose_plugin/datasets/samples/h36m_sequence_sample.py`` for what the sample
holds (subjects, actions, the body model, the noise of the ``cpn`` copy).
"""
import argparse
import os.path as osp

from metapose_plugin.datasets.samples.h36m_sequence_sample import (write_mmpose_layout,
                                                                   write_videopose3d_sample)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='folder of the three npz files')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--noise-px',
        type=float,
        default=3.0,
        help='white-noise sigma of the cpn-like copy, pixels')
    parser.add_argument(
        '--mmpose-layout',
        metavar='DIR',
        help='also write the sample in MMPose\'s layout to DIR')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    paths = write_videopose3d_sample(
        args.out_dir, seed=args.seed, noise_px=args.noise_px)
    if args.mmpose_layout:
        paths.update(
            write_mmpose_layout(args.mmpose_layout, paths['3d'], paths['gt'],
                                paths['cpn_ft_h36m_dbb']))
    for name, path in paths.items():
        print(f'{name:>16}: {path} ({osp.getsize(path) / 1024:.0f} KiB)')


if __name__ == '__main__':
    main()
