"""Print the parameter counts of a ContextPoseLifter config, part by part.

Usage: ``python tools/count_params.py CONFIG [--cfg-options KEY=VALUE ...]``

The lifter count (neck + head) is the number the papers report (CA-PF W32:
14,094,147); the frozen image encoder and text tower are listed apart, with
the trainable share of the text encoder (MetaPose's learnable prompts).
Building the model initialises no weights, so nothing is downloaded.
"""
import argparse

from mmengine.config import Config, DictAction
from mmpose.registry import MODELS
from torch import nn

from metapose_plugin.utils import register_all_modules


def count(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameter elements of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.neck.embed_dims=64')
    args = parser.parse_args()

    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)

    rows = [('backbone (frozen)', count(model.backbone))]
    text_encoder = getattr(model, 'text_encoder', None)
    if text_encoder is not None:
        rows.append(('text_encoder (all)', count(text_encoder)))
        rows.append(('text_encoder (trainable)', count(text_encoder, trainable_only=True)))
    neck, head = count(model.neck), count(model.head)
    rows += [('neck', neck), ('head', head), ('lifter (neck + head)', neck + head)]
    for name, n in rows:
        print(f'{name:<26} {n / 1e6:8.2f} M  ({n:,})')


if __name__ == '__main__':
    main()
