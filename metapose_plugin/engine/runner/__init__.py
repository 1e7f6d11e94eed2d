from .checkpoint_loading import (CheckpointMismatchError, check_state_dict_keys,
                                 checkpoint_state_dict, read_checkpoint, state_dict_mismatch)
from .strict_load_runner import StrictLoadRunner

__all__ = [
    'CheckpointMismatchError', 'StrictLoadRunner', 'check_state_dict_keys',
    'checkpoint_state_dict', 'read_checkpoint', 'state_dict_mismatch'
]
