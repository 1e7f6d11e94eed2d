"""projects/metapose/demo/multiview_stage1_eval.py: the S1+IR and GT+IR rows on the sample."""
import importlib.util
import os.path as osp

import torch
from mmengine.config import Config
from mmpose.registry import DATASETS

from metapose_plugin.utils import register_all_modules

from ._tool_utils import REPO

TINY = ('configs/multiview_metapose/'
        'multiview-metapose_tiny-ccat-mlp-1stage_1xb32-10e_h36m-videopose3d-sample.py')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'multiview_stage1_eval', osp.join(REPO, 'projects/metapose/demo/multiview_stage1_eval.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _test_dataset(**overrides):
    register_all_modules()
    torch.set_num_threads(1)
    dataset = Config.fromfile(osp.join(REPO, TINY)).test_dataloader.dataset
    dataset.update(frame_step=6, **overrides)
    built = DATASETS.build(dataset)
    return [built.get_data_info(index) for index in range(len(built))]


def test_stage1_improves_on_its_init_and_a_ground_truth_init_is_better():
    tool = _tool()
    noisy = tool.stage1_metrics(_test_dataset())
    gt_init = tool.stage1_metrics(_test_dataset(mono3d_source='gt_weak_projection'))
    for metrics in (noisy, gt_init):
        assert set(metrics) == {'init', 's1'}
        assert metrics['init']['V4/pmpjpe'] == metrics['init']['pmpjpe']
    assert noisy['s1']['pmpjpe'] < noisy['init']['pmpjpe']
    # GT + IR: a perfect start, then the mixtures of noisy detections pull it a little
    assert gt_init['init']['pmpjpe'] < 0.5 * noisy['init']['pmpjpe']
    assert gt_init['s1']['pmpjpe'] < noisy['s1']['pmpjpe']
