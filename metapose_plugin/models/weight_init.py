"""Weight initialisers of the plugin (MMPose's ``WEIGHT_INITIALIZERS``)."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.model.weight_init import PretrainedInit
from mmpose.registry import WEIGHT_INITIALIZERS
from torch import nn

from metapose_plugin.engine.runner import read_checkpoint


@WEIGHT_INITIALIZERS.register_module(name='PretrainedFromRun')
class PretrainedFromRunInit(PretrainedInit):
    """Load the checkpoint that a training run of another config writes.

    A fine-tuning config names the config of the run it starts from (MPM's
    lift configs name their pretraining config) instead of a path under some
    working directory: the checkpoint is ``<work_dir>/<checkpoint>``, where
    ``work_dir`` is the one that config sets, else MMPose's default
    ``work_dirs/<config name>`` of ``tools/train.py`` run from the repository
    root (two folders above ``configs/<method>/<config>.py``), resolved from
    the config's own path, not the working directory.

    Unlike MMEngine's ``Pretrained`` (which BaseModule applies after the
    children's own ``init_weights``), this initialiser runs in the module's
    turn, before its children: put it on a module whose children do not
    re-initialise themselves (MPM's encoder).

    Args:
        config (str): The config of the run (absolute, e.g.
            ``'{{ fileDirname }}/mpm-pretrain_....py'``).
        checkpoint (str): A file name inside that run's ``work_dir``
            (``'epoch_50.pth'``), or a path (absolute, or with a folder),
            used as it is: then ``config`` only names the run in errors.
        prefix (str, optional): Load only the keys under this prefix (e.g.
            ``'backbone.'``), as :class:`mmengine.model.PretrainedInit`.
        map_location (str): Defaults to ``'cpu'``.

    Raises:
        FileNotFoundError: The config or the checkpoint is missing; the
            message names the config to train first.
        UnreadableFileError: The checkpoint is truncated or not a checkpoint
            (raised when the weights are initialised).
    """

    def __init__(self, config: str, checkpoint: str, prefix: Optional[str] = None,
                 map_location: str = 'cpu') -> None:
        self.config = config
        if osp.isabs(checkpoint) or osp.dirname(checkpoint):
            path = checkpoint
        else:
            path = osp.join(self._work_dir(config), checkpoint)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path}: the checkpoint this model starts from is missing. It is written by '
                f'`tools/train.py {config}`: train that first, or set '
                '`init_cfg.checkpoint` to an existing file (--cfg-options)')
        super().__init__(checkpoint=path, prefix=prefix, map_location=map_location)

    def __call__(self, module: nn.Module) -> None:
        """Check that the checkpoint reads (an error naming it otherwise),
        then MMEngine's ``PretrainedInit`` loads it (it reads the file again:
        an encoder checkpoint, small)."""
        read_checkpoint(self.checkpoint, self.map_location)
        super().__call__(module)

    @staticmethod
    def _work_dir(config: str) -> str:
        if not osp.isfile(config):
            raise FileNotFoundError(f'PretrainedFromRun: config {config} does not exist')
        work_dir = Config.fromfile(config).get('work_dir')
        if work_dir:
            return work_dir
        repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(config))))
        return osp.join(repo, 'work_dirs', osp.splitext(osp.basename(config))[0])
