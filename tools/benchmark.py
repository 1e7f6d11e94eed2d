"""Measure training, inference, data and video-pipeline speed of a lifter.

Usage::

    python tools/benchmark.py CONFIG [--mode train|infer|data|pipeline|diffusion|pretrain|
        lift|stage1|video] [--device cpu|cuda] [--batch-size N] [--iters N] [--json OUT]
        [--no-text-cache] [--text-tower clip-b32|clip-l14] [--video VIDEO]
        [--video-frames N] [--cfg-options KEY=VALUE ...]

Models get random weights (no checkpoint or pretrained download). Timers run
after a warm-up and synchronise CUDA. Prints a table; ``--json`` writes the
report of :func:`metapose_plugin.utils.benchmark.run_benchmark`. See
docs/benchmarks.md for the measurements and what each number means.
"""
import argparse
import logging
import os.path as osp

import mmengine
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import metapose_plugin  # noqa: F401 (registers the plugin's modules)
from metapose_plugin.models.language_models.clip_text_loading import TINY_CLIP_TOKENIZER
from metapose_plugin.utils.benchmark import (CLIP_TEXT_GEOMETRIES, MODES, format_table,
                                             run_benchmark, use_random_text_tower)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='lifter config file')
    parser.add_argument('--mode', choices=MODES, default='train', help='what to measure')
    parser.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    parser.add_argument('--batch-size', type=int, default=None,
                        help='training batch / large inference batch '
                        '(default: the config train batch size)')
    parser.add_argument('--iters', type=int, default=10, help='timed iterations after warm-up')
    parser.add_argument('--json', dest='json_out', default=None, help='write the report here')
    parser.add_argument('--no-text-cache', action='store_true',
                        help='infer mode: also time MetaPose recomputing text features every '
                        'batch, and give the cached / uncached ratio')
    parser.add_argument('--text-tower', choices=sorted(CLIP_TEXT_GEOMETRIES), default=None,
                        help='build the CLIP text tower with random weights from a '
                        'CLIPTextConfig of this geometry (offline tokenizer; no download)')
    parser.add_argument('--sample-root', default=osp.join(REPO, 'data', 'h36m_sample'),
                        help='data mode: npz sample folder')
    parser.add_argument('--video', default=osp.join(REPO, 'data', 'videos', 'demo.mp4'),
                        help='pipeline and video modes: input video')
    parser.add_argument('--video-frames', type=int, default=None,
                        help='video mode: frames of the benchmark video (the input played '
                        'forth and back; default: the input as it is); MMPose\'s path lifts '
                        'the first --iters of them')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.test_cfg.flip_test=False')
    args = parser.parse_args(argv)
    if args.batch_size is not None and args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.iters < 1:
        parser.error(f'--iters must be >= 1, got {args.iters}')
    if args.video_frames is not None and args.video_frames < 1:
        parser.error(f'--video-frames must be >= 1, got {args.video_frames}')
    if not osp.isfile(args.config):
        parser.error(f'config file {args.config!r} does not exist')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.text_tower is not None:
        use_random_text_tower(cfg, args.text_tower, TINY_CLIP_TOKENIZER)
    init_default_scope('mmpose')
    # weight-init and dataset INFO lines would bury the table
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    report = run_benchmark(cfg, args.mode, device=args.device, batch_size=args.batch_size,
                           iters=args.iters, no_text_cache=args.no_text_cache,
                           sample_root=args.sample_root, video=args.video,
                           video_frames=args.video_frames)
    print(format_table(report))
    if args.json_out:
        mmengine.dump(report, args.json_out, indent=2)
    return report


if __name__ == '__main__':
    main()
