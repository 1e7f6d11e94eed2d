"""Where the tests find the reference fixtures."""
import os
from pathlib import Path


def shared_fixture_dir(name: str) -> Path:
    """Folder ``name`` of the shared reference fixtures (e.g. ``'finepose_parity'``).

    ``$METAPOSE_SHARED_FIXTURES/<name>`` if that variable is set, else
    ``shared/fixtures/<name>`` beside the repository checkout (where the
    project's shared data lives). Tests that need it skip when it does not
    exist.
    """
    if 'METAPOSE_SHARED_FIXTURES' in os.environ:
        return Path(os.environ['METAPOSE_SHARED_FIXTURES']) / name
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / 'shared' / 'fixtures' / name


def parity_fixture_dir() -> Path:
    """Folder of the MetaPose/CA-PF parity fixture (``io.pt``, ``*.pt`` weights).

    ``$METAPOSE_PARITY_FIXTURES`` if set, else :func:`shared_fixture_dir`
    ``('parity')``.
    """
    if 'METAPOSE_PARITY_FIXTURES' in os.environ:
        return Path(os.environ['METAPOSE_PARITY_FIXTURES'])
    return shared_fixture_dir('parity')
