"""Where the tests find the reference fixtures, and whether they must."""
import os
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

#: Environment switch: ``1`` makes a test whose shared fixture is missing
#: fail instead of skip (``.ci/run`` sets it), ``0`` lets it skip; unset, it
#: follows ``CI`` (true on CI services).
REQUIRE_FIXTURES_ENV = 'METAPOSE_REQUIRE_FIXTURES'
_TRUE = ('1', 'true', 'yes', 'on')


def fixtures_required(environ: Optional[Mapping[str, str]] = None) -> bool:
    """Whether a missing shared fixture is an error (see
    :data:`REQUIRE_FIXTURES_ENV`), read from ``environ`` (default
    ``os.environ``)."""
    environ = os.environ if environ is None else environ
    value = environ.get(REQUIRE_FIXTURES_ENV)
    if value is None:
        value = environ.get('CI', '')
    return value.strip().lower() in _TRUE


def missing_fixture_message(paths: Sequence[Union[str, Path]]) -> Optional[str]:
    """None when every path exists, else a message naming the missing ones
    and how to provide them."""
    missing = [str(path) for path in paths if not Path(path).exists()]
    if not missing:
        return None
    return (f'shared reference fixture missing: {", ".join(missing)} (put the project\'s '
            f'shared/ folder beside the checkout or set METAPOSE_SHARED_FIXTURES; '
            f'{REQUIRE_FIXTURES_ENV}=1 or CI=true makes this an error)')


def require_shared_fixture(paths: Sequence[Union[str, Path]]) -> None:
    """In a running test: return when every path exists, else skip the test
    with :func:`missing_fixture_message`, or fail it when
    :func:`fixtures_required` (``pytest.skip`` / ``pytest.fail``)."""
    message = missing_fixture_message(paths)
    if message is None:
        return
    import pytest  # test helper: pytest is there only when tests run
    if fixtures_required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


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
