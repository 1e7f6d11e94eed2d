"""Check this plugin against a reference parity fixture.

Usage: ``python tools/check_parity.py [--kind KIND] FIXTURE_DIR``, KIND one of
``metapose`` (default), ``finepose``, ``mpm``, ``multiview``, ``mpi_inf_3dhp``.

Each kind reads a fixture folder of its own layout (the fixture's README) and
prints the max absolute difference of every output it compares, with its
tolerance, then the compared / failed / skipped counts; see
:mod:`metapose_plugin.parity`. ``metapose`` (the default) covers HRNet, CA-PF
and MetaPose. The exit status is 0 only if something was compared, every
compared output is within tolerance and every output the kind requires for a
fixture of its layout was compared; 1 otherwise; 2 (with a message naming
the file) when the folder lacks a file or an input the check reads.
"""
import argparse
import os.path as osp
import sys

from metapose_plugin.parity import PARITY_KINDS, ParityResult, check_parity
from metapose_plugin.parity.common import FixtureError


def check(fixture_dir: str, kind: str = 'metapose') -> ParityResult:
    """Run the comparisons of ``kind`` on ``fixture_dir`` (see
    :func:`~metapose_plugin.parity.check_parity`)."""
    return check_parity(kind, fixture_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('fixture_dir', help='fixture folder of the chosen kind')
    parser.add_argument('--kind', choices=sorted(PARITY_KINDS), default='metapose',
                        help='which reference the folder comes from (default: metapose)')
    args = parser.parse_args()
    if not osp.isdir(args.fixture_dir):
        parser.error(f'{args.fixture_dir}: not a folder')
    try:
        result = check(args.fixture_dir, args.kind)
    except (FileNotFoundError, FixtureError) as err:
        parser.error(str(err))
    sys.exit(0 if result.passed else 1)


if __name__ == '__main__':
    main()
