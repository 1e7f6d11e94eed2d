"""Video / image / image folder to 3D skeletons with MetaPose or CA-PF.

Thin command line over :class:`metapose_plugin.apis.MetaPose3DInferencer`,
with the arguments of MMPose's ``demo/inferencer_demo.py``. Example::

    python projects/metapose/demo/inferencer_demo.py --input demo.mp4 \\
        --pose3d configs/metapose/metapose_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py \\
        --pose3d-weights metapose.pth \\
        --pose2d td-hm_hrnet-w32_8xb64-210e_coco-256x192 \\
        --output-root out --save-predictions

``--pose3d`` also takes a model zoo alias (``--pose3d capf-w32_h36m``: the
released weights, downloaded and converted once, with the 2D model they were
trained on); ``--show-alias`` lists the aliases; ``--export-bvh`` writes one
BVH per track beside the JSON.
"""
from argparse import ArgumentParser, Namespace

from metapose_plugin.apis import MetaPose3DInferencer
from metapose_plugin.apis.model_zoo import alias_table


def parse_args() -> Namespace:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--input', help='video, image or folder of images')
    parser.add_argument('--output-root', default='', help='folder of the outputs')
    parser.add_argument('--pose3d', help='lifter config, or a model zoo alias (--show-alias)')
    parser.add_argument('--pose3d-weights', default=None, help='lifter checkpoint')
    parser.add_argument('--pose2d', default=None,
                        help='2D model: MMPose alias, config name or config path (default: the '
                        "zoo alias' 2D model, else MMPose's 'human')")
    parser.add_argument('--pose2d-weights', default=None, help='2D model checkpoint')
    parser.add_argument('--det-model', '--det-config', dest='det_model', default=None,
                        help="MMDetection config or alias, or 'whole_image'")
    parser.add_argument('--det-weights', '--det-checkpoint', dest='det_weights', default=None,
                        help='detector checkpoint')
    parser.add_argument('--det-cat-ids', type=int, nargs='+', default=[0],
                        help='detector classes kept as people')
    parser.add_argument('--device', default=None, help="e.g. 'cpu' or 'cuda:0'")
    parser.add_argument('--action', default=None,
                        help="H36M action of the MetaPose prompts, e.g. 'Walking' "
                        '(default: action-agnostic prompts)')
    parser.add_argument('--no-feature-reuse', action='store_true',
                        help='run the lifter HRNet even when the 2D HRNet could be reused')
    parser.add_argument('--bbox-thr', type=float, default=0.3, help='detection threshold')
    parser.add_argument('--nms-thr', type=float, default=0.3, help='detection NMS IoU')
    parser.add_argument('--kpt-thr', type=float, default=0.3, help='drawn joint threshold')
    parser.add_argument('--use-oks-tracking', action='store_true', help='OKS instead of IoU')
    parser.add_argument('--tracking-thr', type=float, default=0.3, help='tracking threshold')
    parser.add_argument('--num-instances', type=int, default=1,
                        help='3D panels per frame (-1: one per person)')
    parser.add_argument('--draw-bbox', action='store_true', help='draw the person boxes')
    parser.add_argument('--show', action='store_true', help='show the frames in a window')
    parser.add_argument('--save-predictions', action='store_true',
                        help='write the predictions as JSON under OUTPUT_ROOT/predictions')
    parser.add_argument('--export-bvh', action='store_true',
                        help='also write one BVH per track beside the JSON (video input)')
    parser.add_argument('--show-alias', action='store_true',
                        help='list the model zoo aliases and exit')
    args = parser.parse_args()
    if not args.show_alias and not (args.input and args.pose3d):
        parser.error('--input and --pose3d are required (or --show-alias)')
    return args


def main() -> None:
    args = parse_args()
    if args.show_alias:
        print(alias_table())
        return
    if args.export_bvh:
        args.save_predictions = True
    if args.save_predictions and not args.output_root:
        raise SystemExit('--save-predictions and --export-bvh need --output-root')
    inferencer = MetaPose3DInferencer(
        pose3d=args.pose3d,
        pose3d_weights=args.pose3d_weights,
        pose2d=args.pose2d,
        pose2d_weights=args.pose2d_weights,
        device=args.device,
        det_model=args.det_model,
        det_weights=args.det_weights,
        det_cat_ids=tuple(args.det_cat_ids),
        reuse_features=not args.no_feature_reuse,
        show_progress=True)
    print(f'feature reuse: {inferencer.feature_reuse} ({inferencer.feature_reuse_reason})')
    outputs = inferencer(
        args.input,
        vis_out_dir=f'{args.output_root}/visualizations' if args.output_root else '',
        pred_out_dir=f'{args.output_root}/predictions' if args.save_predictions else '',
        action=args.action,
        bbox_thr=args.bbox_thr,
        nms_thr=args.nms_thr,
        kpt_thr=args.kpt_thr,
        use_oks_tracking=args.use_oks_tracking,
        tracking_thr=args.tracking_thr,
        num_instances=args.num_instances,
        draw_bbox=args.draw_bbox,
        show=args.show,
        export_bvh=args.export_bvh)
    for _ in outputs:
        pass


if __name__ == '__main__':
    main()
