"""Convert a reference checkpoint into a metapose_plugin checkpoint.

Usage: ``python tools/convert_reference_ckpt.py SRC DST [--kind capf|metapose|hrnet]``

``capf``: CA-PF ``best_epoch.bin``; ``metapose``: MetaPose
``best_epoch_hrnet_*.bin`` (load into a ``metapose-ref`` config); ``hrnet``:
original HRNet ``.pth`` (saved under ``backbone.``). Without ``--kind`` the
kind is detected from the keys. The output is an MMEngine-style dict with
``state_dict`` and ``meta``.
"""
import argparse

import torch

from metapose_plugin.models.utils.ckpt_convert import (convert_capf_checkpoint,
                                                       convert_hrnet_checkpoint,
                                                       convert_metapose_checkpoint,
                                                       strip_prefix, unwrap_state_dict)

CONVERTERS = dict(
    capf=convert_capf_checkpoint,
    metapose=convert_metapose_checkpoint,
    hrnet=lambda ckpt: convert_hrnet_checkpoint(ckpt, prefix='backbone.'))


def detect_kind(checkpoint: dict, path: str) -> str:
    """``'metapose'``, ``'capf'`` or ``'hrnet'`` from the checkpoint keys."""
    keys = list(strip_prefix(unwrap_state_dict(checkpoint), 'module.'))
    if any(k.startswith('pose_net.') or k == 'learnable_prompts' for k in keys):
        return 'metapose'
    if any(k.startswith('volume_net.') for k in keys) or 'Spatial_pos_embed' in keys:
        return 'capf'
    if any(k.startswith(('stage4.', 'backbone.stage4.')) for k in keys):
        return 'hrnet'
    raise ValueError(f'{path}: cannot tell the checkpoint kind from its keys; pass --kind')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='reference checkpoint')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument('--kind', choices=sorted(CONVERTERS), help='default: detect from keys')
    args = parser.parse_args()

    checkpoint = torch.load(args.src, map_location='cpu', weights_only=False)
    if not isinstance(checkpoint, dict):
        parser.error(f'{args.src}: expected a dict checkpoint, got {type(checkpoint).__name__}')
    kind = args.kind or detect_kind(checkpoint, args.src)
    state_dict, _, _ = CONVERTERS[kind](checkpoint)
    torch.save(dict(state_dict=state_dict, meta=dict(source=args.src, kind=kind)), args.dst)
    print(f'{kind}: {len(state_dict)} tensors -> {args.dst}')


if __name__ == '__main__':
    main()
