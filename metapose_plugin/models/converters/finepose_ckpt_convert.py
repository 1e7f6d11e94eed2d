"""Convert FinePOSE reference checkpoints to :class:`FinePOSELifter` keys.

The reference (PKU-ICST-MIPL/FinePOSE_CVPR2024) saves
``{'epoch', 'lr', 'random_state', 'optimizer', 'model_pos': state_dict}``
(``best_epoch_20_10.bin``) from an ``nn.DataParallel`` model, so the keys
start with ``module.``: ``pose_estimator.*`` (denoiser, prompt context, text
encoder and the whole openai CLIP) plus the diffusion buffers (``betas``,
``alphas_cumprod``, ...), which this package recomputes. The CLIP image tower,
``text_projection`` and ``logit_scale`` are not used and are dropped.
"""
import re
from typing import Dict, Iterable, List, Optional, Tuple

from torch import Tensor

from metapose_plugin.models.converters.ckpt_convert import (OPENAI_CLIP_TEXT_RENAMES,
                                                            rename_state_dict,
                                                            split_openai_clip_text, strip_prefix,
                                                            unwrap_state_dict)

_PE = r'pose_estimator\.'
FINEPOSE_RENAMES = (
    (_PE + r'ctx_(\w+)', r'text_encoder.prompt_context.\1'),
    (_PE + r'textTransEncoder\.(.*)', r'text_encoder.text_transformer.\1'),
    (_PE + r'text_ln\.(weight|bias)', r'text_encoder.text_norm.\1'),
    (_PE + r'text_proj\.0\.(weight|bias)', r'text_encoder.text_proj.\1'),
    (_PE + r'Spatial_patch_to_embedding\.(weight|bias)', r'backbone.joint_embed.\1'),
    (_PE + r'Spatial_pos_embed', r'backbone.spatial_pos_embed'),
    (_PE + r'Temporal_pos_embed', r'backbone.temporal_pos_embed'),
    (_PE + r'time_mlp\.([13])\.(weight|bias)', r'backbone.time_mlp.\1.\2'),
    (_PE + r'STEblocks\.(.*)', r'backbone.spatial_blocks.\1'),
    (_PE + r'TTEblocks\.(.*)', r'backbone.temporal_blocks.\1'),
    (_PE + r'Spatial_norm\.(weight|bias)', r'backbone.spatial_norm.\1'),
    (_PE + r'Temporal_norm\.(weight|bias)', r'backbone.temporal_norm.\1'),
    (_PE + r'head\.([01])\.(weight|bias)', r'backbone.head.\1.\2'),
    (_PE + r'temporal_cross_attn\.(norm|text_norm|query|key|value)\.(weight|bias)',
     r'backbone.text_cross_attn.\1.\2'),
    (_PE + r'temporal_cross_attn\.proj_out\.emb_layers\.1\.(weight|bias)',
     r'backbone.text_cross_attn.cond_proj.\1'),
    (_PE + r'temporal_cross_attn\.proj_out\.norm\.(weight|bias)',
     r'backbone.text_cross_attn.out_norm.\1'),
    (_PE + r'temporal_cross_attn\.proj_out\.out_layers\.2\.(weight|bias)',
     r'backbone.text_cross_attn.out_proj.\1'),
)

# diffusion buffers of ``FinePOSE`` (recomputed), unused CLIP parts
FINEPOSE_IGNORE = (
    r'(betas|alphas_cumprod|alphas_cumprod_prev|sqrt_alphas_cumprod|'
    r'sqrt_one_minus_alphas_cumprod|log_one_minus_alphas_cumprod|sqrt_recip_alphas_cumprod|'
    r'sqrt_recipm1_alphas_cumprod|posterior_variance|posterior_log_variance_clipped|'
    r'posterior_mean_coef1|posterior_mean_coef2)',
    r'text_encoder\.visual\..*', r'text_encoder\.(text_projection|logit_scale)',
)

_BLOCK = ('norm1.weight', 'norm1.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight',
          'attn.proj.bias', 'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias',
          'mlp.fc2.weight', 'mlp.fc2.bias')
_TEXT_LAYER = ('self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight',
               'self_attn.out_proj.bias', 'linear1.weight', 'linear1.bias', 'linear2.weight',
               'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias')
_CLIP_LAYER = tuple(f'{m}.{p}' for m in ('self_attn.q_proj', 'self_attn.k_proj',
                                         'self_attn.v_proj', 'self_attn.out_proj',
                                         'layer_norm1', 'mlp.fc1', 'mlp.fc2', 'layer_norm2')
                    for p in ('weight', 'bias'))


def _count(keys: Iterable[str], pattern: str) -> int:
    """Number of distinct indices captured by ``pattern``'s group 1."""
    return len({m.group(1) for k in keys if (m := re.fullmatch(pattern, k))})


def expected_finepose_keys(converted: Iterable[str]) -> List[str]:
    """Every key a :class:`FinePOSELifter` of the checkpoint's geometry has.

    The depth, the layer counts and the prompt segments are read from the
    converted keys; a checkpoint lacking part of a block then reports those
    keys as missing.
    """
    keys = list(converted)
    depth = _count(keys, r'backbone\.spatial_blocks\.(\d+)\..*')
    text_layers = _count(keys, r'text_encoder\.text_transformer\.layers\.(\d+)\..*')
    clip_layers = _count(keys, r'text_encoder\.text_model\.encoder\.layers\.(\d+)\..*')
    segments = sorted({m.group(1) for k in keys
                       if (m := re.fullmatch(r'text_encoder\.prompt_context\.(\w+)', k))})
    wb = ('weight', 'bias')
    out = [f'text_encoder.prompt_context.{s}' for s in segments]
    out += [f'text_encoder.text_transformer.layers.{i}.{p}'
            for i in range(text_layers) for p in _TEXT_LAYER]
    out += [f'text_encoder.text_model.encoder.layers.{i}.{p}'
            for i in range(clip_layers) for p in _CLIP_LAYER]
    out += ['text_encoder.text_model.embeddings.token_embedding.weight',
            'text_encoder.text_model.embeddings.position_embedding.weight']
    out += [f'text_encoder.{m}.{p}' for m in ('text_model.final_layer_norm', 'text_norm',
                                              'text_proj') for p in wb]
    out += ['backbone.spatial_pos_embed', 'backbone.temporal_pos_embed']
    out += [f'backbone.{m}.{p}' for m in ('joint_embed', 'time_mlp.1', 'time_mlp.3',
                                          'spatial_norm', 'temporal_norm', 'head.0', 'head.1')
            for p in wb]
    out += [f'backbone.{part}.{i}.{p}' for part in ('spatial_blocks', 'temporal_blocks')
            for i in range(depth) for p in _BLOCK]
    out += [f'backbone.text_cross_attn.{m}.{p}'
            for m in ('norm', 'text_norm', 'query', 'key', 'value', 'cond_proj', 'out_norm',
                      'out_proj') for p in wb]
    return out


def convert_finepose_checkpoint(checkpoint: dict,
                                expected_keys: Optional[Iterable[str]] = None,
                                strict: bool = True
                                ) -> Tuple[Dict[str, Tensor], List[str], List[str]]:
    """FinePOSE ``best_epoch_*.bin`` (or its ``model_pos`` dict, with or
    without ``module.``) -> :class:`FinePOSELifter` keys (``backbone.*``,
    ``text_encoder.*``). The openai CLIP text tower becomes HF
    ``text_encoder.text_model.*`` (``in_proj`` split into q/k/v).

    Args:
        checkpoint (dict): Loaded checkpoint or state dict.
        expected_keys (Iterable[str], optional): Keys of the target model;
            defaults to :func:`expected_finepose_keys` of the converted keys.
        strict (bool): Raise on missing or unexpected keys. Defaults to True.

    Returns:
        tuple: ``(converted, missing, unexpected)``.
    """
    if isinstance(checkpoint.get('model_pos'), dict):
        checkpoint = checkpoint['model_pos']
    state_dict = strip_prefix(unwrap_state_dict(checkpoint), 'module.')
    clip = 'pose_estimator.clip_text.'
    state_dict = split_openai_clip_text({
        ('text_encoder.' + k[len(clip):] if k.startswith(clip) else k): v
        for k, v in state_dict.items()
    })
    converted, missing, unexpected = rename_state_dict(
        state_dict, (*FINEPOSE_RENAMES, *OPENAI_CLIP_TEXT_RENAMES), FINEPOSE_IGNORE, None,
        strict=False, source='FinePOSE checkpoint')
    expected = list(expected_keys) if expected_keys is not None else \
        expected_finepose_keys(converted)
    missing = sorted(set(expected) - set(converted))
    if strict and (missing or unexpected):
        raise KeyError(f'FinePOSE checkpoint: cannot convert the state dict; missing keys '
                       f'{missing}, unexpected keys {unexpected}')
    return converted, missing, unexpected


CONVERTERS = dict(finepose=convert_finepose_checkpoint)
#: Bumped when a conversion's output changes (keys the model zoo's cache).
CONVERTER_VERSIONS = dict(finepose=1)


def detect_kind(keys: List[str]) -> Optional[str]:
    """``'finepose'`` for keys of the reference's ``FinePOSE`` model."""
    if any(k.startswith(('pose_estimator.temporal_cross_attn.', 'pose_estimator.ctx_'))
           for k in keys):
        return 'finepose'
    return None
