"""MMEngine's runner with checked checkpoint loading."""
from typing import Callable, Sequence, Tuple, Union

from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop, Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from mmpose.registry import RUNNERS

from .checkpoint_loading import (DEFAULT_REVISE_KEYS, check_state_dict_keys,
                                 checkpoint_state_dict, read_checkpoint)


@RUNNERS.register_module()
class StrictLoadRunner(Runner):
    """:class:`mmengine.runner.Runner` whose checkpoint loads are checked.

    Every checkpoint the runner loads (``load_from``, ``--resume``, the
    checkpoint of ``tools/test.py``) is read with
    :func:`~.checkpoint_loading.read_checkpoint` (an unreadable file is an
    error naming it) and refused with
    :class:`~.checkpoint_loading.CheckpointMismatchError` when its keys or
    shapes do not fit the model (MMEngine only logs a warning and goes on
    with random weights). The config key ``load_from_partial=True`` loads
    the fitting tensors of a partial ``load_from`` checkpoint on purpose when
    *training* starts from it (multi-view MetaPose's stage-by-stage training
    adds a stage to a trained model; MPM's ``-refine-ref`` adds the refine
    module to a trained lifter); a checkpoint of which no tensor fits is
    refused even then, and ``--resume`` and testing are always strict.
    Weights from another run's *part* (MPM's pretrained encoder) arrive
    through ``init_cfg`` and are not affected.

    Everything else is MMEngine's runner. Configs select it with
    ``runner_type='StrictLoadRunner'`` (``configs/_base_/default_runtime.py``);
    the plugin's ``tools/train.py`` and ``tools/test.py`` build it from there
    (:class:`~metapose_plugin.engine.mmpose_tools.RunnerOfConfig`). MMPose's
    own scripts ignore ``runner_type`` and build MMEngine's runner: they save
    crash-safely (the hook) but do not check what they load.
    """

    _resuming = False

    def resume(self, filename: str, *args, **kwargs) -> None:
        """MMEngine's resume, with the checkpoint loaded strictly."""
        self._resuming = True
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS) -> dict:
        """Load ``filename`` into the model after checking that it fits.

        Arguments and return value are those of
        :meth:`mmengine.runner.Runner.load_checkpoint`; ``strict`` is kept
        for its callers, the check above applies either way.

        Raises:
            FileNotFoundError, UnreadableFileError, CheckpointMismatchError:
                See :mod:`.checkpoint_loading`.
        """
        # a partial fit on purpose: only for load_from when training starts
        partial = bool(self.cfg.get('load_from_partial', False)) and not self._resuming \
            and isinstance(self._train_loop, BaseLoop)
        checkpoint = read_checkpoint(filename, map_location)
        # hooks may rename keys (EMA) before the weights go into the model
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        check_state_dict_keys(
            model, checkpoint_state_dict(checkpoint, revise_keys), filename,
            partial=partial,
            partial_option='load_from_partial=True (config or --cfg-options) to start '
            'training from it')
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict,
                                               revise_keys=list(revise_keys))
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
