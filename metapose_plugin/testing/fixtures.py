"""Where the tests find the reference parity fixtures."""
import os
from pathlib import Path


def parity_fixture_dir() -> Path:
    """Folder of the reference parity fixtures (``io.pt``, ``*.pt`` weights).

    ``$METAPOSE_PARITY_FIXTURES`` if set, else ``shared/fixtures/parity``
    beside the repository checkout (where the project's shared data lives).
    Tests that need it skip when it does not exist.
    """
    if 'METAPOSE_PARITY_FIXTURES' in os.environ:
        return Path(os.environ['METAPOSE_PARITY_FIXTURES'])
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / 'shared' / 'fixtures' / 'parity'
