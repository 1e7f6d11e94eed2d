"""Check this plugin against a reference parity fixture.

Usage: ``python tools/check_parity.py [--kind KIND] FIXTURE_DIR``, KIND one of
``metapose`` (default), ``finepose``, ``mpm``, ``multiview``, ``mpi_inf_3dhp``.

Each kind reads a fixture folder of its own layout (the fixture's README) and
prints the max absolute difference of every output it compares, with its
tolerance; see :mod:`metapose_plugin.parity`. ``metapose`` (the
default) covers HRNet, CA-PF and MetaPose. The exit status is 0 only if every
compared output is within tolerance.
"""
import argparse
import os.path as osp
import sys

from metapose_plugin.parity import PARITY_KINDS, check_parity


def check(fixture_dir: str, kind: str = 'metapose') -> bool:
    """Run the comparisons of ``kind`` on ``fixture_dir``; True if all pass."""
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
        ok = check(args.fixture_dir, args.kind)
    except FileNotFoundError as err:
        parser.error(str(err))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
