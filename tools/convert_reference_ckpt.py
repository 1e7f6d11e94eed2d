"""Convert a reference checkpoint into a metapose_plugin checkpoint.

Usage: ``python tools/convert_reference_ckpt.py SRC DST [--kind KIND]``

Kinds (:mod:`metapose_plugin.models.converters.ckpt_kinds`): ``capf`` (CA-PF
``best_epoch.bin``), ``metapose`` (MetaPose ``best_epoch_hrnet_*.bin``; load
into a ``metapose-ref`` config), ``hrnet`` (original HRNet ``.pth``, saved
under ``backbone.``), and those of the sequence methods (FinePOSE, MPM).
Without ``--kind`` the kind is detected from the keys. Missing or unexpected
keys are refused with their list; an unreadable (truncated, foreign) source
file is an error naming it. The output is an MMEngine-style dict with
``state_dict`` and ``meta``.
"""
import argparse

import torch

from metapose_plugin.engine.fileio import read_or_raise
from metapose_plugin.models.converters.ckpt_convert import strip_prefix, unwrap_state_dict
from metapose_plugin.models.converters.ckpt_kinds import (checkpoint_converters,
                                                          detect_checkpoint_kind)


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
    parser.add_argument('src', help='reference checkpoint')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument('--kind', choices=sorted(converters), help='default: detect from keys')
    args = parser.parse_args()

    # reference checkpoints pickle arbitrary objects (argparse namespaces):
    # convert only files you trust
    checkpoint = read_or_raise(
        args.src, lambda path: torch.load(path, map_location='cpu', weights_only=False),
        'a reference checkpoint (a file written by torch.save)')
    if not isinstance(checkpoint, dict):
        parser.error(f'{args.src}: expected a dict checkpoint, got {type(checkpoint).__name__}')
    kind = args.kind or detect_kind(checkpoint, args.src)
    state_dict, _, _ = converters[kind](checkpoint)
    torch.save(dict(state_dict=state_dict, meta=dict(source=args.src, kind=kind)), args.dst)
    print(f'{kind}: {len(state_dict)} tensors -> {args.dst}')


if __name__ == '__main__':
    main()
