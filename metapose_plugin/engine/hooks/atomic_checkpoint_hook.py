"""Checkpoint hook that never leaves the run without a usable checkpoint."""
from typing import Any, Callable, List, Optional, Tuple

from mmengine.fileio import BaseStorageBackend
from mmengine.hooks import CheckpointHook

from mmpose.registry import HOOKS


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


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose saves survive a crash at any point.

    Two changes to MMEngine's hook, which it otherwise runs unchanged (same
    arguments, file names, ``last_checkpoint`` pointer, best-checkpoint and
    ``max_keep_ckpts`` logic):

    - Files are written with :class:`AtomicLocalBackend` (temporary file,
      fsync, rename) unless ``backend_args``/``file_client_args`` choose
      another backend, so a checkpoint is either complete or absent. The
      ``last_checkpoint`` pointer is written after the checkpoint is in place,
      so it never names a partial file. (MMEngine 0.10.7 writes the pointer
      itself with a plain ``open``, not through the backend: a crash within
      that few-byte write can still empty it; ``--resume CKPT`` with an
      explicit path works then.)
    - Outdated checkpoints (``max_keep_ckpts``, previous best) are removed
      after the new one is saved; MMEngine removes them first, so a crash
      during the save could leave no checkpoint at all with
      ``max_keep_ckpts=1``.

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

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        self._save_then_remove(super()._save_checkpoint_with_step, runner,
                               step, meta)

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        self._save_then_remove(super()._save_best_checkpoint, runner,
                               metrics)

    def _save_then_remove(self, save: Callable, *args) -> None:
        """Run ``save(*args)`` with removals queued, then do the removals.

        A queued path that the save has just (re)written is kept.
        """
        backend = self.file_backend
        deferred = _DeferredRemovalBackend(backend)
        self.file_backend = deferred
        try:
            save(*args)
        finally:
            self.file_backend = backend
        written = {self.last_ckpt, getattr(self, 'best_ckpt_path', None),
                   *getattr(self, 'best_ckpt_path_dict', {}).values()}
        for remove, path in deferred.pending:
            if path not in written:
                remove(path)
