"""Tiny MMPose 2D models for tests of the video paths (nothing downloaded)."""
import os.path as osp

import mmpose
from mmengine.config import Config, ConfigDict


def mmpose_config(*parts: str) -> str:
    """Path of a config shipped with the installed MMPose (``.mim/configs``)."""
    return osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', *parts)


def tiny_pose2d_config(hrnet_extra: ConfigDict, channels=(4, 8, 16, 32),
                       dataset: str = 'coco') -> Config:
    """MMPose's COCO (or MPII) HRNet-W32 256x192 top-down config with the
    HRNet stages ``hrnet_extra`` (e.g. a tiny lifter's image encoder), their
    stage-4 widths set to ``channels``; random init."""
    name = {'coco': ('coco', 'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py'),
            'mpii': ('mpii', 'td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py')}[dataset]
    cfg = Config.fromfile(mmpose_config('body_2d_keypoint', 'topdown_heatmap', *name))
    extra = ConfigDict(hrnet_extra)
    extra.stage4.num_channels = tuple(channels)
    extra.stage3.num_channels = tuple(channels[:3])
    extra.stage2.num_channels = tuple(channels[:2])
    cfg.model.backbone.extra = extra
    cfg.model.backbone.init_cfg = None
    cfg.model.head.in_channels = channels[0]
    return cfg
