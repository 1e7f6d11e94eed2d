"""Run ``tools/train.py`` in this process and SIGKILL it at a chosen moment.

Fault injection for the kill-and-resume tests: the real training tool, hook
and file backend run unchanged; a few library calls are wrapped so that the
process kills itself (``kill -9``, nothing is cleaned up) at one moment of
one checkpoint save, or at one training iteration.

Usage::

    python tests/test_tools/_kill_driver.py --kill-save N --stage STAGE \
        --fraction F -- tools/train.py CONFIG [ARGS]
    python tests/test_tools/_kill_driver.py --kill-iter I -- tools/train.py ...

``--kill-save N``: during the save of ``epoch_N.pth``, at ``STAGE`` (see
:data:`STAGES`); in the two write stages after ``F`` (0..1) of the file's
bytes are on disk. ``--kill-iter I``: before training iteration ``I``
(0-based, counted over the whole run).
"""
import argparse
import os
import os.path as osp
import re
import runpy
import signal
import sys

import torch
from mmengine.runner import EpochBasedTrainLoop

#: The moments of a save, in order: serialising the checkpoint, writing it
#: (temporary file), renaming it into place, writing the last_checkpoint
#: pointer (temporary file), renaming it, removing the outdated checkpoint.
STAGES = ('serialise', 'checkpoint_write', 'checkpoint_rename', 'pointer_write',
          'pointer_rename', 'remove_outdated')


def die() -> None:
    """``kill -9`` this process."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class _PartialFile:
    """A binary file whose first ``write`` stops after ``fraction`` of its
    bytes and kills the process."""

    def __init__(self, file, fraction: float) -> None:
        self._file, self._fraction = file, fraction

    def write(self, data: bytes) -> int:
        self._file.write(data[:int(len(data) * self._fraction)])
        self._file.flush()
        os.fsync(self._file.fileno())
        die()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()

    def __getattr__(self, name: str):
        return getattr(self._file, name)


def arm_save_fault(save: int, stage: str, fraction: float) -> None:
    """Kill the process at ``stage`` of the save of ``epoch_<save>.pth``."""
    target = f'epoch_{save}.pth'
    armed = dict(on=False)
    temporary = re.compile(r'^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$')

    def temporary_of(path: str) -> str:
        match = temporary.match(osp.basename(path))
        return match['name'] if match else ''

    real_save, real_fdopen = torch.save, os.fdopen
    real_replace, real_remove = os.replace, os.remove

    def save_(obj, f, *args, **kwargs):
        if isinstance(obj, dict) and 'state_dict' in obj and \
                obj.get('meta', {}).get('epoch') == save:
            armed['on'] = True
            if stage == 'serialise':
                die()
        return real_save(obj, f, *args, **kwargs)

    def fdopen(fd, *args, **kwargs):
        file = real_fdopen(fd, *args, **kwargs)
        name = temporary_of(os.readlink(f'/proc/self/fd/{fd}'))
        if armed['on'] and (stage, name) in (('checkpoint_write', target),
                                             ('pointer_write', 'last_checkpoint')):
            return _PartialFile(file, fraction)
        return file

    def replace(src, dst, *args, **kwargs):
        name = temporary_of(str(src))
        if armed['on'] and (stage, name) in (('checkpoint_rename', target),
                                             ('pointer_rename', 'last_checkpoint')):
            die()
        return real_replace(src, dst, *args, **kwargs)

    def remove(path, *args, **kwargs):
        if armed['on'] and stage == 'remove_outdated' and re.fullmatch(
                r'epoch_\d+\.pth', osp.basename(str(path))):
            die()
        return real_remove(path, *args, **kwargs)

    torch.save, os.fdopen, os.replace, os.remove = save_, fdopen, replace, remove


def arm_iter_fault(iteration: int) -> None:
    """Kill the process before training iteration ``iteration``."""
    real_run_iter = EpochBasedTrainLoop.run_iter

    def run_iter(self, idx, data_batch):
        if self._iter == iteration:
            die()
        return real_run_iter(self, idx, data_batch)

    EpochBasedTrainLoop.run_iter = run_iter


def main() -> None:
    argv = sys.argv[1:]
    split = argv.index('--')
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--kill-save', type=int)
    parser.add_argument('--stage', choices=STAGES)
    parser.add_argument('--fraction', type=float, default=0.5)
    parser.add_argument('--kill-iter', type=int)
    args = parser.parse_args(argv[:split])
    if args.kill_save is not None:
        arm_save_fault(args.kill_save, args.stage, args.fraction)
    if args.kill_iter is not None:
        arm_iter_fault(args.kill_iter)
    tool = argv[split + 1]
    sys.argv = [tool, *argv[split + 2:]]
    runpy.run_path(tool, run_name='__main__')


if __name__ == '__main__':
    main()
