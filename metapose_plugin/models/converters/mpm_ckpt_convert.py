"""Convert MPM reference checkpoints (Zhang, Chai et al., arXiv 2306.17201)
to this package's parameter names.

Three kinds: ``mpm_pretrain`` (``MPMmask2`` pretraining or ``MPMmask``
completion model -> :class:`MPMMaskedPoseModel`), ``mpm_lifter``
(``model/MPM.py::Model`` -> :class:`MPMSequenceLifter`) and ``mpm_refine``
(the refine module -> ``refine.*`` of :class:`MPMSequenceLifter`). The
reference saves ``nn.DataParallel`` state dicts (``module.`` prefix). Its
unused ``Encoder.norm`` parameters are dropped; any other key that no rule
matches, and any key our model at the checkpoint's geometry expects but does
not receive, is refused.
"""
import re
from typing import Dict, Iterable, List, Optional, Tuple

from torch import Tensor

from metapose_plugin.models.backbones.mpm_encoder import MPMEncoder
from metapose_plugin.models.converters.ckpt_convert import (rename_state_dict, strip_prefix,
                                                            unwrap_state_dict)
from metapose_plugin.models.heads.mpm_heads import MPMLiftingHead, MPMReconstructionHead
from metapose_plugin.models.utils.mpm.uvd_refine import UVDRefine

# Inside one transformer layer (annotated-transformer names -> ours).
LAYER_RENAMES = (
    (r'self_attn\.linears\.0\.(weight|bias)', r'attn.q.\{}'),
    (r'self_attn\.linears\.1\.(weight|bias)', r'attn.k.\{}'),
    (r'self_attn\.linears\.2\.(weight|bias)', r'attn.v.\{}'),
    (r'self_attn\.linears\.3\.(weight|bias)', r'attn.proj.\{}'),
    (r'feed_forward\.w_1\.(weight|bias)', r'mlp.fc1.\{}'),
    (r'feed_forward\.w_2\.(weight|bias)', r'mlp.fc2.\{}'),
    (r'sublayer\.0\.norm\.a_2', r'norm1.weight'),
    (r'sublayer\.0\.norm\.b_2', r'norm1.bias'),
    (r'sublayer\.1\.norm\.a_2', r'norm2.weight'),
    (r'sublayer\.1\.norm\.b_2', r'norm2.bias'),
)
BN = r'(weight|bias|running_mean|running_var|num_batches_tracked)'


def _layer_rules(source: str, target: str, groups: int) -> List[Tuple[str, str]]:
    """Rules for every layer of a stack: ``source`` (a pattern with
    ``groups`` groups, the last one the layer index) -> ``target``."""
    rules = []
    for pattern, replacement in LAYER_RENAMES:
        group = groups + 1 if '(' in pattern else None
        rules.append((source + r'\.' + pattern,
                      target + '.' + (replacement.format(group) if group else replacement)))
    return rules


# Encoder parts, shared by the pretraining, completion and lifter models.
ENCODER_RENAMES = (
    (r'spatial_mask_token(2d|3d)', r'backbone.embeds.pose\1.mask_token'),
    (r'encoder(2d|3d)\.fc_1\.(weight|bias)', r'backbone.embeds.pose\1.proj.fc.\2'),
    (r'encoder(2d|3d)\.bn_1\.' + BN, r'backbone.embeds.pose\1.proj.norm.\2'),
    (r'shared_layers_spatial\.fc_2\.(weight|bias)', r'backbone.spatial.proj.\1'),
    (r'shared_layers_spatial\.layers\.(\d+)\.w([12])\.(weight|bias)',
     r'backbone.spatial.blocks.\1.fc\2.\3'),
    (r'shared_layers_spatial\.layers\.(\d+)\.batch_norm([12])\.' + BN,
     r'backbone.spatial.blocks.\1.norm\2.\3'),
    (r'shared_layers_temporal\.pos_embedding', r'backbone.pos_embed'),
    *_layer_rules(r'shared_layers_temporal\.model\.layers\.(\d+)', r'backbone.layers.\1', 1),
    (r'encoder_LN\.a_2', r'backbone.final_norm.weight'),
    (r'encoder_LN\.b_2', r'backbone.final_norm.bias'),
)
PRETRAIN_RENAMES = ENCODER_RENAMES + (
    (r'dec_pos_embedding', r'head.pos_embed'),
    (r'temporal_mask_token', r'head.mask_token'),
    *_layer_rules(r'decoder(2d|3d)\.model\.layers\.(\d+)', r'head.decoders.pose\1.layers.\2', 2),
    (r'fcn_dec(2d|3d)\.0\.' + BN, r'head.decoders.pose\1.head.norm.\2'),
    (r'fcn_dec(2d|3d)\.1\.(weight|bias)', r'head.decoders.pose\1.head.fc.\2'),
)
LIFTER_RENAMES = ENCODER_RENAMES + (
    *((rf'Transformer_reduce\.model\.pos_embedding_{i + 1}', rf'head.pos_embeds.{i}')
      for i in range(9)),
    *_layer_rules(r'Transformer_reduce\.model\.layers\.(\d+)', r'head.layers.\1', 1),
    (r'fcn\.0\.' + BN, r'head.center_head.norm.\1'),
    (r'fcn\.1\.(weight|bias)', r'head.center_head.fc.\1'),
    (r'fcn_1\.0\.' + BN, r'head.frame_head.norm.\1'),
    (r'fcn_1\.1\.(weight|bias)', r'head.frame_head.fc.\1'),
)
REFINE_RENAMES = (
    (r'post_refine\.0\.(weight|bias)', r'refine.mlp.fc1.\1'),
    (r'post_refine\.3\.(weight|bias)', r'refine.mlp.fc2.\1'),
)
# The final norms of the reference's transformer stacks exist but are never
# applied.
UNUSED = (r'(shared_layers_temporal|decoder2d|decoder3d|Transformer_reduce)\.model\.norm\.'
          r'(a_2|b_2)', )


def _count(keys: Iterable[str], pattern: str) -> int:
    """Number of distinct indices captured by ``pattern`` among ``keys``."""
    return len({m.group(1) for k in keys if (m := re.fullmatch(pattern, k))})


def _shape(state_dict: Dict[str, Tensor], key: str, source: str) -> Tuple[int, ...]:
    if key not in state_dict:
        raise KeyError(f'{source}: missing key {key!r}, needed to read the model geometry')
    return tuple(state_dict[key].shape)


def _encoder_geometry(state_dict: Dict[str, Tensor], source: str) -> dict:
    _, num_frames, embed_dims = _shape(state_dict, 'shared_layers_temporal.pos_embedding', source)
    modalities = [f'pose{d}' for d in ('2d', '3d') if f'encoder{d}.fc_1.weight' in state_dict]
    if not modalities:
        raise KeyError(f'{source}: no input projection (encoder2d.* / encoder3d.*)')
    dims = int(modalities[0][4])
    return dict(
        num_keypoints=_shape(state_dict, f'encoder{dims}d.fc_1.weight', source)[1] // dims,
        num_frames=num_frames,
        embed_dims=embed_dims,
        hidden_dims=_shape(state_dict,
                           'shared_layers_temporal.model.layers.0.feed_forward.w_1.weight',
                           source)[0],
        num_layers=_count(state_dict, r'shared_layers_temporal\.model\.layers\.(\d+)\..*'),
        modalities=modalities,
        with_mask_token=any(k.startswith('spatial_mask_token') for k in state_dict),
        final_norm='encoder_LN.a_2' in state_dict)


def pretrain_geometry(state_dict: Dict[str, Tensor], source: str = 'MPM checkpoint') -> dict:
    """``dict(encoder=..., head=...)``: arguments of :class:`MPMEncoder` and
    :class:`MPMReconstructionHead` read from a reference pretraining
    (``MPMmask2``) or completion (``MPMmask``) state dict, ``module.``
    stripped."""
    encoder = _encoder_geometry(state_dict, source)
    head = dict(
        num_keypoints=encoder['num_keypoints'],
        num_frames=encoder['num_frames'],
        embed_dims=encoder['embed_dims'],
        hidden_dims=encoder['hidden_dims'],
        num_layers=_count(state_dict, r'decoder2d\.model\.layers\.(\d+)\..*')
        or _count(state_dict, r'decoder3d\.model\.layers\.(\d+)\..*'),
        modalities=[f'pose{d}' for d in ('2d', '3d') if f'fcn_dec{d}.1.weight' in state_dict])
    return dict(encoder=encoder, head=head)


def lifter_geometry(state_dict: Dict[str, Tensor], source: str = 'MPM checkpoint') -> dict:
    """``dict(encoder=..., head=...)``: arguments of the lifter's
    :class:`MPMEncoder` and :class:`MPMLiftingHead` read from a reference
    ``Model`` state dict (strides from the reference's table per frame
    count)."""
    encoder = _encoder_geometry(state_dict, source)
    head = dict(
        num_keypoints=encoder['num_keypoints'],
        num_frames=encoder['num_frames'],
        embed_dims=encoder['embed_dims'],
        hidden_dims=_shape(state_dict, 'Transformer_reduce.model.layers.0.feed_forward.w_1.weight',
                           source)[0],
        num_pos_embeds=_count(state_dict, r'Transformer_reduce\.model\.pos_embedding_(\d+)'))
    return dict(encoder=encoder, head=head)


def refine_geometry(state_dict: Dict[str, Tensor], source: str = 'MPM checkpoint') -> dict:
    """Arguments of :class:`UVDRefine` read from a reference refine state
    dict."""
    hidden, fc_in = _shape(state_dict, 'post_refine.0.weight', source)
    return dict(num_keypoints=fc_in // 6, hidden_dims=hidden)


def _prefixed(module, prefix: str) -> List[str]:
    return [prefix + k for k in module.state_dict()]


def _expected_keys(kind: str, state_dict: Dict[str, Tensor], source: str) -> List[str]:
    """Keys of our model parts built at the checkpoint's geometry."""
    if kind == 'mpm_refine':
        return _prefixed(UVDRefine(**refine_geometry(state_dict, source)), 'refine.')
    if kind == 'mpm_pretrain':
        geometry = pretrain_geometry(state_dict, source)
        head = MPMReconstructionHead(**geometry['head'])
    else:
        geometry = lifter_geometry(state_dict, source)
        head = MPMLiftingHead(**geometry['head'])
    return _prefixed(MPMEncoder(**geometry['encoder']), 'backbone.') + _prefixed(head, 'head.')


RENAMES = dict(mpm_pretrain=PRETRAIN_RENAMES, mpm_lifter=LIFTER_RENAMES,
               mpm_refine=REFINE_RENAMES)
SOURCES = dict(mpm_pretrain='MPM pretraining/completion checkpoint',
               mpm_lifter='MPM lifter checkpoint', mpm_refine='MPM refine checkpoint')


def convert_mpm_checkpoint(checkpoint: dict,
                           kind: str,
                           expected_keys: Optional[Iterable[str]] = None,
                           strict: bool = True
                           ) -> Tuple[Dict[str, Tensor], List[str], List[str]]:
    """Convert a reference MPM checkpoint of ``kind``.

    Args:
        checkpoint (dict): Loaded checkpoint or state dict (``module.``
            prefixes are removed; ``state_dict``/``model`` fields unwrapped).
        kind (str): ``'mpm_pretrain'``, ``'mpm_lifter'`` or ``'mpm_refine'``.
        expected_keys (Iterable[str], optional): Keys the target expects.
            Defaults to those of our parts built at the geometry read from
            the checkpoint.
        strict (bool): Raise on missing or unexpected keys. Defaults to True.

    Returns:
        tuple: ``(converted, missing, unexpected)``.
    """
    if kind not in RENAMES:
        raise ValueError(f'unknown MPM checkpoint kind {kind!r}; expected one of {list(RENAMES)}')
    state_dict = strip_prefix(unwrap_state_dict(checkpoint), 'module.')
    if expected_keys is None:
        expected_keys = _expected_keys(kind, state_dict, SOURCES[kind])
    return rename_state_dict(state_dict, RENAMES[kind], UNUSED, expected_keys, strict,
                             source=SOURCES[kind])


CONVERTERS = {
    kind: (lambda checkpoint, _kind=kind: convert_mpm_checkpoint(checkpoint, _kind))
    for kind in RENAMES
}
#: Bumped when a conversion's output changes (keys the model zoo's cache).
CONVERTER_VERSIONS = {kind: 1 for kind in RENAMES}


def detect_kind(keys: List[str]) -> Optional[str]:
    """``'mpm_pretrain'``, ``'mpm_lifter'``, ``'mpm_refine'`` or None from
    the (``module.``-stripped) checkpoint keys."""
    keys = set(keys)
    if any(k.startswith('Transformer_reduce.') for k in keys):
        return 'mpm_lifter'
    if any(k.startswith(('fcn_dec2d.', 'fcn_dec3d.', 'dec_pos_embedding')) for k in keys):
        return 'mpm_pretrain'
    if keys and all(k.startswith('post_refine.') for k in keys):
        return 'mpm_refine'
    return None
