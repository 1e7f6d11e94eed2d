"""Print the parameter counts of a ContextPoseLifter config, part by part.

Usage: ``python tools/count_params.py CONFIG [--cfg-options KEY=VALUE ...]``

The lifter count (neck + head) is the number the papers report (CA-PF W32:
14,094,147); the frozen image encoder and text tower are listed apart, with
the trainable share of the text encoder (MetaPose's learnable prompts).
Building the parts initialises no weights; a text tower that is not available
offline (HF model id without a local copy) is reported and skipped.
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
    neck, head = MODELS.build(cfg.model.neck), MODELS.build(cfg.model.head)

    rows = [('backbone (frozen)', count(MODELS.build(cfg.model.backbone)))]
    if cfg.model.get('text_encoder'):
        try:
            text_encoder = MODELS.build(cfg.model.text_encoder)
        except OSError as err:
            # the lifter count needs no text tower: report and go on
            print(f'text_encoder not built ({type(err).__name__}: {str(err).splitlines()[0]})')
        else:
            rows.append(('text_encoder (all)', count(text_encoder)))
            rows.append(('text_encoder (trainable)', count(text_encoder, trainable_only=True)))
    rows += [('neck', count(neck)), ('head', count(head)),
             ('lifter (neck + head)', count(neck) + count(head))]
    for name, n in rows:
        print(f'{name:<26} {n / 1e6:8.2f} M  ({n:,})')


if __name__ == '__main__':
    main()
