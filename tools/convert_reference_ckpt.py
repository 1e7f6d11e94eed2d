"""Convert a reference checkpoint into a metapose_plugin checkpoint.

Usage: ``python tools/convert_reference_ckpt.py SRC DST [--kind KIND]``

Kinds (:mod:`metapose_plugin.models.converters.ckpt_kinds`): ``capf`` (CA-PF
``best_epoch.bin``), ``metapose`` (MetaPose ``best_epoch_hrnet_*.bin``; load
into a ``metapose-ref`` config), ``hrnet`` (original HRNet ``.pth``, saved
under ``backbone.``: the lifter's image encoder), ``hrnet_topdown`` (the same
file as MMPose's top-down HRNet model, ``backbone.*`` + ``head.*``), those of
the sequence methods (FinePOSE, MPM) and ``multiview_tf`` (Google MetaPose's
TensorFlow stage-2 checkpoint: SRC is the prefix ``.../cam4/model``; needs
``pip install "metapose-plugin[tf]"``; the README's H36M stage spec).
Without ``--kind`` the kind is detected from the keys. Missing or unexpected
keys are refused with their list; an unreadable (truncated, foreign) source
file is an error naming it. The output is an MMEngine-style dict with
``state_dict`` and ``meta``. ``tools/model_zoo.py`` downloads and converts
the released checkpoints by name.
"""
import argparse

import torch

from metapose_plugin.models.converters.ckpt_convert import strip_prefix, unwrap_state_dict
from metapose_plugin.models.converters.ckpt_kinds import (checkpoint_converters,
                                                          detect_checkpoint_kind,
                                                          load_reference_checkpoint)


def detect_kind(checkpoint: dict, path: str) -> str:
    """The checkpoint's kind from its keys."""
    keys = list(strip_prefix(unwrap_state_dict(checkpoint), 'module.'))
    kind = detect_checkpoint_kind(keys)
    if kind is None:
        raise ValueError(f'{path}: cannot tell the checkpoint kind from its keys; pass --kind')
    return kind


def main() -> None:
    converters = checkpoint_converters()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='reference checkpoint (TensorFlow: its prefix)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument('--kind', choices=sorted(converters), help='default: detect from keys')
    args = parser.parse_args()

    try:
        checkpoint = load_reference_checkpoint(args.src)
    except ValueError as err:
        parser.error(str(err))
    kind = args.kind or detect_kind(checkpoint, args.src)
    state_dict, _, _ = converters[kind](checkpoint)
    torch.save(dict(state_dict=state_dict, meta=dict(source=args.src, kind=kind)), args.dst)
    print(f'{kind}: {len(state_dict)} tensors -> {args.dst}')


if __name__ == '__main__':
    main()
