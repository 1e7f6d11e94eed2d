"""The lifter's ``test_cfg`` while it lifts a video: what a video has not
(ground truth, actions, cameras) switched off, and per-call settings."""
from contextlib import contextmanager
from typing import Iterator, Optional

from torch import nn

from metapose_plugin.models.pose_estimators.finepose_lifter import FinePOSELifter

#: FinePOSE on video: action-agnostic prompts, P-Agg (J-Agg needs the camera
#: and the ground-truth root), one noise generator per window seeded by its
#: track and frames (the same video gives the same 3D on any batch size)
FINEPOSE_VIDEO_TEST_CFG = dict(use_gt_action=False, aggregation='P-Agg', noise='per_sample',
                               noise_keys=('track_id', 'frame_ids'))


@contextmanager
def video_test_cfg(model: nn.Module, seq2seq: bool, num_hypotheses: Optional[int] = None,
                   num_steps: Optional[int] = None) -> Iterator[None]:
    """Set the lifter's ``test_cfg`` for video inside the block, restore it
    after.

    Args:
        model (nn.Module): The lifter.
        seq2seq (bool): The windows are sequence-to-sequence (FinePOSE
            outputs the whole window) or one per frame (FinePOSE outputs the
            centre frame: ``test_cfg.output_frames='centre'``).
        num_hypotheses (int, optional): FinePOSE's H for this call; the
            config's when None.
        num_steps (int, optional): FinePOSE's K (DDIM steps) for this call.

    Raises:
        ValueError: If ``num_hypotheses`` / ``num_steps`` are given for a
            lifter without hypotheses, or are not positive.
    """
    overrides = {}
    if isinstance(model, FinePOSELifter):
        overrides.update(FINEPOSE_VIDEO_TEST_CFG,
                         output_frames='window' if seq2seq else 'centre')
        for key, value in (('num_hypotheses', num_hypotheses), ('num_steps', num_steps)):
            if value is not None:
                if int(value) < 1:
                    raise ValueError(f'{key} must be >= 1, got {value}')
                overrides[key] = int(value)
    elif num_hypotheses is not None or num_steps is not None:
        raise ValueError(f'num_hypotheses / num_steps apply to diffusion lifters (FinePOSE); '
                         f'{type(model).__name__} has none')
    saved = dict(model.test_cfg)
    model.test_cfg.update(overrides)
    try:
        yield
    finally:
        model.test_cfg.clear()
        model.test_cfg.update(saved)
