"""Converters of the references' checkpoints into this plugin's layouts.

One module per method (rename tables and key checks); :mod:`.ckpt_kinds`
names them for ``tools/convert_reference_ckpt.py`` and imports them on demand.
"""
from .ckpt_convert import (convert_capf_checkpoint, convert_hrnet_checkpoint, rename_state_dict,
                           strip_prefix, unwrap_state_dict)
from .ckpt_kinds import (CONVERTER_MODULES, checkpoint_converters, converter_versions,
                         detect_checkpoint_kind)

__all__ = [
    'CONVERTER_MODULES', 'checkpoint_converters', 'convert_capf_checkpoint', 'converter_versions',
    'convert_hrnet_checkpoint', 'detect_checkpoint_kind', 'rename_state_dict', 'strip_prefix',
    'unwrap_state_dict'
]
