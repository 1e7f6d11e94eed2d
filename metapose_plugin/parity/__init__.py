"""Numerical parity of this plugin with the reference implementations.

One module per kind of fixture folder, each with ``REQUIRED_FILES`` (names
that must exist in the folder), ``required_outputs(...)`` (the outputs it must
compare for a fixture of its layout) and ``check(fixture_dir) ->``
:class:`~metapose_plugin.parity.common.ParityResult` (prints one line per
output and a compared / failed / skipped summary). A check passes only when
something was compared, every compared output is within its tolerance and no
required output is missing, so a fixture with an output removed fails. The
modules are imported on demand by :func:`check_parity`, so one method's check
does not import another method's models.
"""
import importlib
import os.path as osp
from types import ModuleType

from .common import ParityResult

PARITY_KINDS = dict(
    metapose='metapose_plugin.parity.metapose',
    finepose='metapose_plugin.parity.finepose',
    mpm='metapose_plugin.parity.mpm',
    multiview='metapose_plugin.parity.multiview',
    mpi_inf_3dhp='metapose_plugin.parity.mpi_inf_3dhp')


def parity_module(kind: str) -> ModuleType:
    """The parity module of ``kind`` (one of :data:`PARITY_KINDS`)."""
    if kind not in PARITY_KINDS:
        raise ValueError(f'unknown parity kind {kind!r}; expected one of {sorted(PARITY_KINDS)}')
    return importlib.import_module(PARITY_KINDS[kind])


def check_parity(kind: str, fixture_dir: str) -> ParityResult:
    """Compare the fixture folder ``fixture_dir`` of ``kind`` with this plugin.

    Returns:
        ParityResult: Its ``passed`` (also its truth value) is True only when
        something was compared, all within tolerance, none required missing.

    Raises:
        FileNotFoundError: The folder lacks a file the kind requires.
    """
    module = parity_module(kind)
    missing = [name for name in module.REQUIRED_FILES
               if not osp.exists(osp.join(fixture_dir, name))]
    if missing:
        raise FileNotFoundError(f'{fixture_dir}: missing {", ".join(missing)} '
                                f'(required by --kind {kind})')
    return module.check(fixture_dir)


__all__ = ['PARITY_KINDS', 'ParityResult', 'check_parity', 'parity_module']
