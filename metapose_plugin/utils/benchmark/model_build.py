"""Build a lifter with random weights for benchmarks, and watch its text
tower (MetaPose's :class:`CLIPJointPromptEncoder`)."""
import copy
from contextlib import contextmanager
from typing import Iterator, Optional

from mmengine.config import Config
from mmpose.registry import MODELS
from torch import Tensor, nn

#: ``CLIPTextConfig`` geometry of the released CLIP text towers (the
#: ``transformers`` defaults are ViT-B/32's); weights stay random.
CLIP_TEXT_GEOMETRIES = {
    'clip-b32': dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                     num_attention_heads=8, projection_dim=512),
    'clip-l14': dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                     num_attention_heads=12, projection_dim=768),
}
_CLIP_VOCAB_SIZE = 49408
_CLIP_TEXT_LENGTH = 77


def use_random_text_tower(cfg: Config, geometry: str, tokenizer: str) -> None:
    """Make ``cfg.model.text_encoder`` build a randomly initialised CLIP text
    tower of a released geometry from a ``CLIPTextConfig`` (nothing is
    downloaded), with an offline tokenizer; the neck's ``text_channels``
    follow the projection width. Edits ``cfg`` in place.

    Args:
        cfg (Config): A MetaPose config (with ``model.text_encoder``).
        geometry (str): A key of :data:`CLIP_TEXT_GEOMETRIES`.
        tokenizer (str): Local folder of a ``CLIPTokenizer`` (ids must be
            below 49408, the end-of-text id the largest of each prompt).
    """
    if geometry not in CLIP_TEXT_GEOMETRIES:
        raise ValueError(f'unknown text tower geometry {geometry!r}; expected one of '
                         f'{sorted(CLIP_TEXT_GEOMETRIES)}')
    if cfg.model.get('text_encoder') is None:
        raise ValueError(f'{cfg.filename}: model has no text_encoder, so a text tower '
                         f'geometry ({geometry!r}) does not apply')
    shape = CLIP_TEXT_GEOMETRIES[geometry]
    cfg.model.text_encoder.update(
        model_name_or_path=None,
        tokenizer_name_or_path=tokenizer,
        text_config=dict(vocab_size=_CLIP_VOCAB_SIZE,
                         max_position_embeddings=_CLIP_TEXT_LENGTH, **shape))
    cfg.model.neck.text_channels = shape['projection_dim']


def build_random_model(cfg: Config, device: str) -> nn.Module:
    """Build ``cfg.model`` with random weights on ``device``.

    The backbone's ``init_cfg`` is dropped (no pretrained download) and
    ``init_weights`` runs the modules' own inits. A text encoder must be
    built from a ``text_config`` (see :func:`use_random_text_tower`).

    Args:
        cfg (Config): Model config (``cfg.model``).
        device (str): ``'cpu'`` or ``'cuda[:i]'``.

    Returns:
        nn.Module: The model, in train mode.
    """
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = None
    text_cfg = model_cfg.get('text_encoder')
    if text_cfg is not None and text_cfg.get('text_config') is None:
        raise ValueError(f'{cfg.filename}: model.text_encoder loads '
                         f'{text_cfg.get("model_name_or_path")!r} (a download); build a random '
                         'tower from a CLIPTextConfig instead (benchmark --text-tower)')
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.to(device)


class TextTowerCounter:
    """Count the CLIP tower runs of a text encoder (forward pre-hook on its
    ``text_model.encoder``) and the prompt rows they encode.

    Attributes:
        calls (int): Tower runs since the last :meth:`reset`.
        rows (int): Prompt rows (A, each K prompts) encoded by them.
    """

    def __init__(self, text_encoder: nn.Module) -> None:
        self.num_joints = text_encoder.num_joints
        self.calls = 0
        self.rows = 0
        self._handle = text_encoder.text_model.encoder.register_forward_pre_hook(
            self._count, with_kwargs=True)

    def _count(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        hidden: Tensor = kwargs['inputs_embeds'] if 'inputs_embeds' in kwargs else args[0]
        self.calls += 1
        # (A*K, S, C): one sequence per joint prompt
        self.rows += hidden.shape[0] // self.num_joints

    def reset(self) -> None:
        """Zero the counts."""
        self.calls = 0
        self.rows = 0

    def remove(self) -> None:
        """Remove the hook."""
        self._handle.remove()


@contextmanager
def text_cache_disabled(text_encoder: Optional[nn.Module]) -> Iterator[None]:
    """Make the text encoder recompute its features at every call (its
    ``prompt_cache.enabled`` switch); no-op without a text encoder."""
    if text_encoder is None:
        yield
        return
    text_encoder.prompt_cache.enabled = False
    try:
        yield
    finally:
        text_encoder.prompt_cache.enabled = True
