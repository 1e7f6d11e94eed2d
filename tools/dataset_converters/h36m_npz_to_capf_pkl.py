"""Convert MMPose's Human3.6M npz layout (+ images) to CA-PF's pickle layout.

Example::

    python tools/dataset_converters/h36m_npz_to_capf_pkl.py \
        data/h36m/annotation_body3d/fps50/h36m_test.npz \
        data/h36m/annotation_body3d/cameras.pkl \
        data/h36m_capf/h36m_validation.pkl \
        --det data/h36m/joint2d_rel_stats/test_h36m_2d_detection.npy \
        --img-root data/h36m/images --out-img-root data/h36m_capf/images

The pickle's person boxes are recomputed from the 3D root as H36M-Toolbox
does; images are copied under CA-PF's ``s_SS_act_AA_subact_ss_ca_CC`` names
when ``--out-img-root`` is given.
"""
import argparse
import os
import os.path as osp
import pickle
import shutil

import numpy as np

from metapose_plugin.datasets.datasets.h36m_layout_conversion import \
    mmpose_npz_to_capf_records


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('npz', help='MMPose h36m_*.npz')
    parser.add_argument('cameras', help='MMPose cameras.pkl')
    parser.add_argument('out', help='output pickle (CA-PF layout)')
    parser.add_argument('--det', help='2D detections .npy (CPN)')
    parser.add_argument('--img-root', help='folder of the npz imgname paths')
    parser.add_argument(
        '--out-img-root', help='copy the images here with CA-PF names')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.out_img_root and not args.img_root:
        raise SystemExit('--out-img-root needs --img-root')
    records = mmpose_npz_to_capf_records(args.npz, args.cameras, args.det)
    if args.out_img_root:
        with np.load(args.npz) as archive:
            sources = [str(name) for name in archive['imgname']]
        for record, source in zip(records, sources):
            target = osp.join(args.out_img_root, record['image'])
            os.makedirs(osp.dirname(target), exist_ok=True)
            shutil.copyfile(osp.join(args.img_root, source), target)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'wb') as file:
        pickle.dump(records, file)
    print(f'{len(records)} records -> {args.out}')


if __name__ == '__main__':
    main()
