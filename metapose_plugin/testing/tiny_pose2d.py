"""A tiny MMPose top-down 2D model whose HRNet is the tiny lifters' image encoder."""
from pathlib import Path

import mmpose
from mmengine.config import Config

#: The repository's tiny CA-PF config (its HRNet stages are reused).
CAPF_TINY = str(Path(__file__).resolve().parents[2] / 'configs' / 'capf' /
                'capf_tiny-hrnet-cpn_1xb2-1e_h36m-256x192-sample.py')


def tiny_pose2d_config(channels=(4, 8, 16, 32), dataset: str = 'coco') -> Config:
    """MMPose's COCO (or MPII) HRNet-W32 256x192 top-down config with the
    tiny lifter's HRNet stages (stage-4 widths ``channels``), random init."""
    name = {'coco': ('coco', 'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py'),
            'mpii': ('mpii', 'td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py')}[dataset]
    cfg = Config.fromfile(str(Path(mmpose.__file__).parent / '.mim' / 'configs' /
                              'body_2d_keypoint' / 'topdown_heatmap' / name[0] / name[1]))
    extra = Config.fromfile(CAPF_TINY).model.backbone.extra
    extra.stage4.num_channels = tuple(channels)
    extra.stage3.num_channels = tuple(channels[:3])
    extra.stage2.num_channels = tuple(channels[:2])
    cfg.model.backbone.extra = extra
    cfg.model.backbone.init_cfg = None
    cfg.model.head.in_channels = channels[0]
    return cfg
