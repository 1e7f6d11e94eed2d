"""Build multi-view MetaPose records (the reference's ``pre`` layout) from MMPose's Human3.6M.

For every synchronised 4-camera frame of ``h36m_<split>.npz`` (MMPose's
``preprocess_h36m.py`` layout, with ``cameras.pkl``): the world pose, the
cameras with distortion (k1, k2, p1, p2, k3), the full projection checked
against the annotated 2D, square boxes, 4-component heatmap mixtures of a 2D
model in frame pixels and a lifter's monocular 3D in box units
(``metapose_plugin/datasets/datasets/multiview_record_builder.py``). Writes
``OUT_DIR/features.json`` + ``OUT_DIR/dataset.tfrec``, which
``H36MMultiViewDataset(ann_file=OUT_DIR)`` reads (and so would the
reference's scripts).

Usage::

    python tools/dataset_converters/h36m_to_multiview_records.py \\
        data/h36m/annotation_body3d/fps50/h36m_test.npz \\
        data/h36m/annotation_body3d/cameras.pkl data/h36m_videopose3d/mono3d_h36m_cam.npz \\
        OUT_DIR --image-root data/h36m/images \\
        --pose2d td-hm_hrnet-w32_8xb64-210e_coco-256x192 [--pose2d-weights CKPT]
    # without images (rendered heatmaps around the annotated 2D, for a dry run)
    python tools/dataset_converters/h36m_to_multiview_records.py \\
        ANN CAMERAS MONO3D OUT_DIR --rendered-heatmaps 4
"""
import argparse

from metapose_plugin.datasets.datasets.multiview_record_builder import (MMPoseHeatmaps,
                                                                        RenderedHeatmaps,
                                                                        build_h36m_records,
                                                                        pre_record_fields)
from metapose_plugin.datasets.datasets.multiview_record_layout import write_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help="MMPose's h36m_<split>.npz")
    parser.add_argument('camera_param_file', help="MMPose's cameras.pkl")
    parser.add_argument('mono3d_file', help='a lifter\'s per-camera npz (positions_3d_cam)')
    parser.add_argument('out_dir')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--pose2d', help='MMPose COCO top-down heatmap model (config or alias)')
    source.add_argument('--rendered-heatmaps', type=float, metavar='SIGMA',
                        help='render Gaussians of SIGMA px at the annotated 2D instead')
    parser.add_argument('--pose2d-weights')
    parser.add_argument('--image-root', default='')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--subjects', nargs='+')
    parser.add_argument('--frame-step', type=int, default=1)
    parser.add_argument('--max-reprojection-px', type=float, default=2.0)
    args = parser.parse_args()
    heatmaps = (RenderedHeatmaps(args.rendered_heatmaps) if args.rendered_heatmaps else
                MMPoseHeatmaps(args.pose2d, args.pose2d_weights, args.device))
    records = build_h36m_records(args.ann_file, args.camera_param_file, heatmaps,
                                 args.mono3d_file, args.image_root, args.subjects,
                                 args.frame_step, max_reprojection_px=args.max_reprojection_px)
    write_records(args.out_dir, records, pre_record_fields())
    print(f'{len(records)} records -> {args.out_dir}')


if __name__ == '__main__':
    main()
