"""What kind of lifter a config builds, and how its test data windows a
sequence, read from the config alone (nothing is built or run)."""
import inspect
from dataclasses import dataclass

from mmengine.config import Config
from mmpose.datasets.datasets import BaseMocapDataset
from mmpose.models.pose_estimators import PoseLifter
from mmpose.registry import DATASETS, MODELS

from metapose_plugin.models.pose_estimators.context_pose_lifter import ContextPoseLifter
from metapose_plugin.models.pose_estimators.mpm_sequence_lifter import MPMSequenceLifter

SEQ2SEQ_SAMPLE_MODES = ('chunks', 'test_chunks')


@dataclass(frozen=True)
class SequenceWindowSpec:
    """How a sequence lifter's test dataset cuts windows.

    Attributes:
        seq_len (int): F, frames per window.
        seq_step (int): Frames between window positions.
        causal (bool): A frame's window ends at it (else centred).
        seq2seq (bool): Every window frame is a target (FinePOSE,
            MotionBERT); else only the centre / last one (VideoPose3D, MPM).
    """

    seq_len: int
    seq_step: int
    causal: bool
    seq2seq: bool


def _registered(registry, cfg: dict, what: str, name: str):
    type_name = cfg.get('type') if isinstance(cfg, dict) else None
    cls = registry.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise ValueError(f'{name}: {what}.type {type_name!r} is not a registered class')
    return cls


def is_image_lifter(cfg: Config, name: str) -> bool:
    """True for an image-context lifter (``ContextPoseLifter``: MetaPose,
    CA-PF), False for a sequence lifter (a ``PoseLifter`` or
    ``MPMSequenceLifter`` tested on a mocap dataset: FinePOSE, MPM,
    VideoPose3D, MotionBERT).

    Raises:
        ValueError: Naming the config ``name`` and the fields, for any
            other config (a 2D model, a multi-view solver, ...).
    """
    model = _registered(MODELS, cfg.get('model', {}), 'model', name)
    if issubclass(model, ContextPoseLifter):
        return True
    dataset_cfg = cfg.get('test_dataloader', {}).get('dataset', {})
    if issubclass(model, (PoseLifter, MPMSequenceLifter)) and dataset_cfg:
        dataset = _registered(DATASETS, dataset_cfg, 'test_dataloader.dataset', name)
        if issubclass(dataset, BaseMocapDataset):
            return False
    raise ValueError(
        f'{name} is not a lifter config MetaPose3DInferencer can run: model.type '
        f'{model.__name__}, test_dataloader.dataset.type {dataset_cfg.get("type")!r}; expected '
        'an image lifter (ContextPoseLifter: MetaPose, CA-PF) or a sequence lifter (a '
        'PoseLifter or MPMSequenceLifter tested on a mocap dataset: FinePOSE, MPM, '
        'VideoPose3D, MotionBERT)')


def codec_needs_intrinsics(cfg: Config) -> bool:
    """Whether the test pipeline's codec normalises camera intrinsics
    (``normalize_camera=True``, MPM's configs) and so needs ``f`` and ``c``
    in ``camera_param`` besides the frame size."""
    return any(dict(transform.get('encoder') or {}).get('normalize_camera', False)
               for transform in cfg.test_dataloader.dataset.get('pipeline', []))


def check_video_lifter(cfg: Config, name: str) -> None:
    """Refuse a sequence lifter that needs ground truth at test time.

    Raises:
        ValueError: For MPM's refine stage (it back-projects with the
            ground-truth root depth), naming the config and field.
    """
    if cfg.model.get('refine') is not None:
        raise ValueError(f'{name}: model.refine (MPM\'s refine stage) needs the ground-truth '
                         'root depth at test time, which a video has not; use the lifter '
                         'config without refine')


def _dataset_arg(dataset_cfg: dict, key: str, fallback):
    """``key`` of the dataset config, else the dataset class's default, else
    ``fallback``."""
    if key in dataset_cfg:
        return dataset_cfg[key]
    dataset = DATASETS.get(dataset_cfg['type'])
    parameter = inspect.signature(dataset.__init__).parameters.get(key)
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return fallback
    return parameter.default


def sequence_window_spec(cfg: Config, name: str) -> SequenceWindowSpec:
    """The windows of a sequence lifter's test dataset
    (``test_dataloader.dataset``, its class's defaults for keys the config
    leaves out): ``seq_len``, ``seq_step``, ``causal``, and whether every
    window frame is a target (our ``sample_mode='chunks' | 'test_chunks'``,
    MMPose's ``multiple_target`` > 0, whose windows are ``multiple_target``
    long).

    Raises:
        ValueError: Naming the config and field, for a non-positive length
            or step, or a causal sequence-to-sequence dataset.
    """
    dataset = cfg.test_dataloader.dataset
    multiple_target = int(_dataset_arg(dataset, 'multiple_target', 0) or 0)
    spec = SequenceWindowSpec(
        seq_len=multiple_target or int(_dataset_arg(dataset, 'seq_len', 1)),
        seq_step=int(_dataset_arg(dataset, 'seq_step', 1)),
        causal=bool(_dataset_arg(dataset, 'causal', False)) and not multiple_target,
        seq2seq=(multiple_target > 0
                 or _dataset_arg(dataset, 'sample_mode', None) in SEQ2SEQ_SAMPLE_MODES))
    if spec.seq_len < 1 or spec.seq_step < 1:
        raise ValueError(f'{name}: test_dataloader.dataset seq_len {spec.seq_len} and seq_step '
                         f'{spec.seq_step} must be >= 1')
    if spec.causal and spec.seq2seq:
        raise ValueError(f'{name}: test_dataloader.dataset is causal and sequence-to-sequence; '
                         'causal windows lift their last frame only')
    return spec
