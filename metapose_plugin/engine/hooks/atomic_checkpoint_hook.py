"""Checkpoint hook that never leaves the run without a usable checkpoint."""
import os.path as osp
import random
from typing import Any, Callable, List, Optional, Tuple

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size, is_main_process
from mmengine.fileio import BaseStorageBackend
from mmengine.hooks import CheckpointHook

from mmpose.registry import HOOKS

from ..fileio import remove_stale_temporaries, write_atomically

#: Key of the random states in a checkpoint written by the hook.
RNG_STATE_KEY = 'rng_states'


class _DeferredRemovalBackend:
    """File backend proxy that queues ``remove``/``rmtree`` calls.

    Every other attribute is the wrapped backend's.
    """

    def __init__(self, backend: BaseStorageBackend) -> None:
        self._backend = backend
        self.pending: List[Tuple[Callable[[str], None], str]] = []

    def remove(self, filepath: str) -> None:
        self.pending.append((self._backend.remove, filepath))

    def rmtree(self, dir_path: str) -> None:
        self.pending.append((self._backend.rmtree, dir_path))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def capture_rng_state() -> dict:
    """The random states of this process: Python's ``random``, NumPy's
    global generator, torch's CPU generator and every CUDA device's."""
    state = dict(python=random.getstate(), numpy=np.random.get_state(),
                 torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict) -> None:
    """Set the random states captured by :func:`capture_rng_state`."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose saves survive a crash at any point, and whose
    checkpoints resume a run exactly.

    MMEngine's hook otherwise runs unchanged (same arguments, file names,
    ``last_checkpoint`` pointer, best-checkpoint and ``max_keep_ckpts``
    logic). What differs:

    - Files are written with :class:`AtomicLocalBackend` (temporary file,
      fsync, rename) unless ``backend_args``/``file_client_args`` choose
      another backend, so a checkpoint is either complete or absent, with the
      mode the umask gives.
    - The order of a save is: the new checkpoint (complete and renamed), then
      the ``last_checkpoint`` pointer (written atomically too, so it never
      names a partial or missing file, and is never empty), then the
      removal of outdated checkpoints (``max_keep_ckpts``, previous best).
      MMEngine removes them first, so a crash during the save could leave
      the pointer naming a removed file.
    - At the start of training, temporary files that a killed process left
      in the checkpoint folder and the work folder are removed (logged).
    - Every checkpoint carries the random states (Python, NumPy, torch, CUDA)
      of every rank at the end of its training epoch, and each training
      epoch starts from the states the previous training epoch ended with:
      validation does not move the training's random stream, and
      ``--resume`` continues it where the checkpoint left it. A run resumed
      from epoch k therefore ends with the same weights as the run that was
      not interrupted (given a fixed ``randomness.seed`` and data loading
      whose randomness lives in the main process, ``num_workers=0``, or in
      non-persistent workers). MMEngine alone reseeds on resume.

    Args:
        backend_args (dict, optional): File backend arguments. Defaults to
            ``dict(backend='AtomicLocalBackend')`` when ``file_client_args``
            is not given either.
        file_client_args (dict, optional): Deprecated MMEngine argument, kept
            for compatibility.
        **kwargs: Other ``CheckpointHook`` arguments.
    """

    def __init__(self,
                 *args,
                 backend_args: Optional[dict] = None,
                 file_client_args: Optional[dict] = None,
                 **kwargs) -> None:
        if backend_args is None and file_client_args is None:
            backend_args = dict(backend='AtomicLocalBackend')
        super().__init__(
            *args,
            backend_args=backend_args,
            file_client_args=file_client_args,
            **kwargs)
        # per rank: the random states at the end of the last training epoch,
        # and that epoch (the runner's epoch count after it)
        self._rng_states: Optional[List[dict]] = None
        self._rng_epoch: Optional[int] = None

    # ------------------------------------------------------------------
    # leftovers of a killed run
    # ------------------------------------------------------------------
    def before_train(self, runner) -> None:
        """MMEngine's set-up, then remove stale temporary files (rank 0)."""
        super().before_train(runner)
        if not is_main_process():
            return
        folders = {runner.work_dir}
        if osp.isdir(str(self.out_dir)):
            folders.add(str(self.out_dir))
        for folder in sorted(folders):
            for path in remove_stale_temporaries(folder):
                runner.logger.warning(
                    f'Removed {path}: the temporary file of a save that '
                    'did not finish (the process was killed while writing)')

    # ------------------------------------------------------------------
    # random states
    # ------------------------------------------------------------------
    def before_train_epoch(self, runner) -> None:
        """Continue the random stream of the last training epoch."""
        if self._rng_states is not None and self._rng_epoch == runner.epoch:
            rank = get_rank()
            if len(self._rng_states) == get_world_size():
                restore_rng_state(self._rng_states[rank])

    def after_train_epoch(self, runner) -> None:
        """Capture every rank's random states, then MMEngine's save."""
        state = capture_rng_state()
        self._rng_states = (all_gather_object(state) if get_world_size() > 1
                            else [state])
        self._rng_epoch = runner.epoch + 1
        super().after_train_epoch(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the random states of the epoch that just ended."""
        if self._rng_states is not None:
            checkpoint[RNG_STATE_KEY] = dict(epoch=self._rng_epoch, ranks=self._rng_states)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep a resumed checkpoint's random states for the next epoch.

        They are used only when training continues from the checkpoint's own
        epoch (a resume), never after ``load_from``.
        """
        saved = checkpoint.get(RNG_STATE_KEY)
        if saved is not None:
            self._rng_states, self._rng_epoch = saved['ranks'], saved['epoch']

    # ------------------------------------------------------------------
    # saving: new file, pointer, then removals
    # ------------------------------------------------------------------
    def _outdated_step_checkpoint(self, runner, step: int) -> Optional[str]:
        """Record ``step`` among the kept checkpoints (``max_keep_ckpts``)
        and return the path of the one that leaves the list, if any."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids
                                        and self.keep_ckpt_ids[-1] == step):
            return None
        outdated = None
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            outdated = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(self.keep_ckpt_ids.popleft()))
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        return outdated

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        """Save the checkpoint of ``step``, then point ``last_checkpoint`` at
        it, then remove the checkpoint that ``max_keep_ckpts`` retires."""
        outdated = self._outdated_step_checkpoint(runner, step)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        write_atomically(
            str(self.last_ckpt).encode(), osp.join(runner.work_dir, 'last_checkpoint'))
        if outdated is not None and outdated != self.last_ckpt:
            self._remove(outdated)

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        """MMEngine's best-checkpoint save with the previous best removed
        only after the new one is written."""
        backend = self.file_backend
        deferred = _DeferredRemovalBackend(backend)
        self.file_backend = deferred
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        written = {self.last_ckpt, getattr(self, 'best_ckpt_path', None),
                   *getattr(self, 'best_ckpt_path_dict', {}).values()}
        for remove, path in deferred.pending:
            if path not in written:
                remove(path)

    def _remove(self, path: str) -> None:
        """Remove a checkpoint file (or a DeepSpeed checkpoint folder)."""
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)
