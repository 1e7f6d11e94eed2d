"""Command-line loading of a multi-view MetaPose config's split, for the baseline tools."""
import argparse
from typing import List

from mmengine.config import Config, DictAction
from mmpose.registry import DATASETS

from .setup_env import register_all_modules


def multiview_split_parser(description: str) -> argparse.ArgumentParser:
    """A parser with ``config``, ``--split``, ``--frame-step`` and ``--cfg-options``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('config', help='a multi-view MetaPose config')
    parser.add_argument('--split', choices=('train', 'val', 'test'), default='test')
    parser.add_argument('--frame-step', type=int, help="the dataset's frame_step")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, as tools/test.py (e.g. '
                        "test_dataloader.dataset.camera_subset='(0,1)')")
    return parser


def load_multiview_split(args: argparse.Namespace) -> List[dict]:
    """The data infos (frames) of ``args.config``'s ``args.split`` dataset.

    The dataset is built from the config's ``<split>_dataloader.dataset``
    (after ``args.cfg_options``; stage 1 solved, or read from its cache),
    every ``args.frame_step``-th frame when given.
    """
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    dataset_cfg = cfg[f'{args.split}_dataloader'].dataset
    if args.frame_step:
        dataset_cfg.frame_step = args.frame_step
    dataset = DATASETS.build(dataset_cfg)
    return [dataset.get_data_info(index) for index in range(len(dataset))]
