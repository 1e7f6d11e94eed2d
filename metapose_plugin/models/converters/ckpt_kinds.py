"""The reference checkpoint kinds ``tools/convert_reference_ckpt.py`` knows.

Each method keeps its rename tables in a module of its own; this table names
those modules. A converter module exposes ``CONVERTERS`` (kind -> function
taking the loaded checkpoint and returning ``(state_dict, missing,
unexpected)``, refusing missing or unexpected keys) and ``detect_kind(keys)``
(the kind of a state dict from its ``module.``-stripped keys, or None). The
modules are imported on demand.
"""
import importlib
from typing import Callable, Dict, Iterable, Optional

CONVERTER_MODULES = (
    'metapose_plugin.models.converters.ckpt_convert',  # capf, metapose, hrnet
    'metapose_plugin.models.converters.finepose_ckpt_convert',
    'metapose_plugin.models.converters.mpm_ckpt_convert',
)


def _modules():
    for name in CONVERTER_MODULES:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # a real import error inside the module
                raise


def checkpoint_converters() -> Dict[str, Callable]:
    """Every known kind -> its conversion function."""
    converters = {}
    for module in _modules():
        converters.update(module.CONVERTERS)
    return converters


def detect_checkpoint_kind(keys: Iterable[str]) -> Optional[str]:
    """The kind of a state dict from its (``module.``-stripped) keys."""
    keys = list(keys)
    for module in _modules():
        kind = module.detect_kind(keys)
        if kind is not None:
            return kind
    return None
