"""Convert reference checkpoints to this package's parameter names.

A conversion is a rename table: ordered ``(pattern, replacement)`` regular
expressions, the first one that fully matches a key renames it.
"""
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from torch import Tensor

RenameTable = Sequence[Tuple[str, str]]

# HRNet: original HRNet and MMPose use the same names; the heatmap layer of
# the original (``final_layer``) and MMPose's ``head.*`` are not part of the
# encoder.
HRNET_IGNORE = (r'final_layer\..*', r'head\..*', r'keypoint_head\..*')
HRNET_RENAMES = ((r'(conv[12]|bn[12]|layer1|transition[123]|stage[234])\.(.*)', r'\1.\2'), )

# CA-PF ``volume_net`` (``PoseTransformer``) -> ContextPoseLifter neck/head.
CAPF_LIFTER_RENAMES = (
    (r'Spatial_pos_embed', r'neck.pos_embed'),
    (r'(coord_embed|feat_embed)\.(.*)', r'neck.\1.\2'),
    (r'context_blocks\.(\d+)\.(norm1|norm2|mlp)\.(.*)', r'neck.blocks.\1.\2.\3'),
    (r'context_blocks\.(\d+)\.(attention_weights|sampling_offsets|embed_proj)\.(.*)',
     r'neck.blocks.\1.attn.\2.\3'),
    (r'res_blocks\.(.*)', r'head.scale_blocks.\1'),
    (r'joint_blocks\.(.*)', r'head.joint_blocks.\1'),
    (r'head\.0\.(weight|bias)', r'head.final_norm.\1'),
    (r'head\.1\.(weight|bias)', r'head.fc.\1'),
)


def rename_state_dict(state_dict: Dict[str, Tensor],
                      renames: RenameTable,
                      ignore: Sequence[str] = (),
                      expected_keys: Optional[Iterable[str]] = None,
                      strict: bool = True,
                      source: str = 'checkpoint') -> Tuple[Dict[str, Tensor], List[str], List[str]]:
    """Rename the keys of a state dict with a table of regular expressions.

    Args:
        state_dict (dict[str, Tensor]): Source parameters.
        renames (Sequence[tuple[str, str]]): Ordered ``(pattern,
            replacement)`` pairs; the first pattern that fully matches a key
            gives its new name (``re`` replacement syntax).
        ignore (Sequence[str]): Patterns of source keys to drop silently.
        expected_keys (Iterable[str], optional): Keys the target expects;
            those not produced are reported as missing. Defaults to None (no
            missing-key check).
        strict (bool): Raise a ``KeyError`` listing the missing and
            unexpected keys if there are any. Defaults to True.
        source (str): Name of the checkpoint for error messages.

    Returns:
        tuple: ``(converted, missing, unexpected)``: the renamed state dict,
        expected keys not produced, and source keys no rule matched.
    """
    converted, unexpected = {}, []
    for key, value in state_dict.items():
        if any(re.fullmatch(p, key) for p in ignore):
            continue
        for pattern, replacement in renames:
            if re.fullmatch(pattern, key):
                new_key = re.sub(f'^(?:{pattern})$', replacement, key)
                if new_key in converted:
                    raise KeyError(f'{source}: two keys map to {new_key!r}')
                converted[new_key] = value
                break
        else:
            unexpected.append(key)
    missing = [] if expected_keys is None else sorted(set(expected_keys) - set(converted))
    if strict and (missing or unexpected):
        raise KeyError(f'{source}: cannot convert the state dict; missing keys {missing}, '
                       f'unexpected keys {unexpected}')
    return converted, missing, unexpected


def unwrap_state_dict(checkpoint: dict) -> Dict[str, Tensor]:
    """The parameter dict of a checkpoint: ``checkpoint['state_dict']``,
    ``checkpoint['model']`` or ``checkpoint['model_pos']`` (FinePOSE's
    ``best_epoch_*.bin``) when present, else the checkpoint itself."""
    for field in ('state_dict', 'model', 'model_pos'):
        if isinstance(checkpoint.get(field), dict):
            return checkpoint[field]
    return checkpoint


def strip_prefix(state_dict: Dict[str, Tensor], prefix: str) -> Dict[str, Tensor]:
    """Remove ``prefix`` from the keys that start with it (others unchanged)."""
    return {k[len(prefix):] if k.startswith(prefix) else k: v for k, v in state_dict.items()}


def convert_hrnet_checkpoint(checkpoint: dict,
                             prefix: str = '',
                             expected_keys: Optional[Iterable[str]] = None,
                             strict: bool = True
                             ) -> Tuple[Dict[str, Tensor], List[str], List[str]]:
    """HRNet weights (original ``.pth`` or MMPose top-down ``backbone.*``) ->
    :class:`HRNetContextEncoder` keys.

    Args:
        checkpoint (dict): Loaded checkpoint or state dict. ``module.`` and
            ``backbone.`` prefixes are removed; ``final_layer.*`` and MMPose
            ``head.*`` are dropped.
        prefix (str): Prefix of the output keys, e.g. ``'backbone.'`` for a
            :class:`ContextPoseLifter`. Defaults to ''.
        expected_keys (Iterable[str], optional): See
            :func:`rename_state_dict`.
        strict (bool): See :func:`rename_state_dict`. Defaults to True.

    Returns:
        tuple: ``(converted, missing, unexpected)``.
    """
    state_dict = strip_prefix(strip_prefix(unwrap_state_dict(checkpoint), 'module.'), 'backbone.')
    renames = [(p, prefix + r) for p, r in HRNET_RENAMES]
    return rename_state_dict(state_dict, renames, HRNET_IGNORE, expected_keys, strict,
                             source='HRNet checkpoint')


def convert_capf_checkpoint(checkpoint: dict,
                            expected_keys: Optional[Iterable[str]] = None,
                            strict: bool = True
                            ) -> Tuple[Dict[str, Tensor], List[str], List[str]]:
    """CA-PF weights -> :class:`ContextPoseLifter` keys (``backbone.*``,
    ``neck.*``, ``head.*``).

    Accepts the reference ``best_epoch.bin`` (``{'model': state_dict}`` with
    ``module.`` prefixes, keys ``backbone.*`` and ``volume_net.*``) or a bare
    ``volume_net`` state dict.

    Args:
        checkpoint (dict): Loaded checkpoint or state dict.
        expected_keys (Iterable[str], optional): Keys of the target model,
            e.g. ``model.state_dict().keys()``. Defaults to None.
        strict (bool): See :func:`rename_state_dict`. Defaults to True.

    Returns:
        tuple: ``(converted, missing, unexpected)``.
    """
    state_dict = strip_prefix(strip_prefix(unwrap_state_dict(checkpoint), 'module.'),
                              'volume_net.')
    renames = [*CAPF_LIFTER_RENAMES,
               *((r'backbone\.' + p, r'backbone.' + r) for p, r in HRNET_RENAMES)]
    ignore = [r'backbone\.' + p for p in HRNET_IGNORE]
    return rename_state_dict(state_dict, renames, ignore, expected_keys, strict,
                             source='CA-PF checkpoint')


# MetaPose ``PoseNet`` (``pose_net.*``) -> ContextPoseLifter with MetaPoseNeck
# and ContextLiftingHead(with_pos_embed=True).
METAPOSE_LIFTER_RENAMES = (
    (r'pose_net\.Spatial_pos_embed', r'neck.point_pos_embed'),
    (r'pose_net\.Spatial_txt_embed', r'neck.text_pos_embed'),
    (r'pose_net\.Spatial_img_embed', r'neck.level_pos_embed'),
    (r'pose_net\.(coord_embed|text_proj|feat_embed)\.(.*)', r'neck.\1.\2'),
    (r'pose_net\.query_embed\.weight', r'neck.semantic_enhancer.query_embed.weight'),
    (r'pose_net\.SpatialEn\.(\d+)\.de_att\.(.*)', r'neck.spatial_enhancer.blocks.\1.attn.\2'),
    (r'pose_net\.SpatialEn\.(\d+)\.(.*)', r'neck.spatial_enhancer.blocks.\1.\2'),
    (r'pose_net\.SemanticEn\.(\d+)\.de_att\.(.*)', r'neck.semantic_enhancer.blocks.\1.attn.\2'),
    (r'pose_net\.SemanticEn\.(\d+)\.(.*)', r'neck.semantic_enhancer.blocks.\1.\2'),
    (r'pose_net\.(fusion|dist_proj)\.(.*)', r'neck.alignment.\1.\2'),
    (r'pose_net\.dis_cross\.(.*)', r'neck.alignment.cross_attn.\1'),
    (r'pose_net\.(scale_pos_embed|joint_pos_embed)', r'head.\1'),
    (r'pose_net\.(scale_blocks|joint_blocks)\.(.*)', r'head.\1.\2'),
    (r'pose_net\.head\.0\.(weight|bias)', r'head.final_norm.\1'),
    (r'pose_net\.head\.1\.(weight|bias)', r'head.fc.\1'),
    (r'learnable_prompts', r'text_encoder.learnable_prompts'),
)

# openai ``clip.model.CLIP`` text tower -> HF ``CLIPTextModelWithProjection``
# parts held by CLIPJointPromptEncoder (``in_proj`` already split into
# ``q_proj``/``k_proj``/``v_proj`` and ``text_projection`` transposed by
# :func:`split_openai_clip_text`).
_HF_LAYER = r'text_encoder.text_model.encoder.layers.\1.'
OPENAI_CLIP_TEXT_RENAMES = (
    (r'text_encoder\.token_embedding\.weight',
     r'text_encoder.text_model.embeddings.token_embedding.weight'),
    (r'text_encoder\.positional_embedding',
     r'text_encoder.text_model.embeddings.position_embedding.weight'),
    (r'text_encoder\.transformer\.resblocks\.(\d+)\.attn\.([qkv]_proj|out_proj)\.(weight|bias)',
     _HF_LAYER + r'self_attn.\2.\3'),
    (r'text_encoder\.transformer\.resblocks\.(\d+)\.ln_1\.(weight|bias)',
     _HF_LAYER + r'layer_norm1.\2'),
    (r'text_encoder\.transformer\.resblocks\.(\d+)\.ln_2\.(weight|bias)',
     _HF_LAYER + r'layer_norm2.\2'),
    (r'text_encoder\.transformer\.resblocks\.(\d+)\.mlp\.c_fc\.(weight|bias)',
     _HF_LAYER + r'mlp.fc1.\2'),
    (r'text_encoder\.transformer\.resblocks\.(\d+)\.mlp\.c_proj\.(weight|bias)',
     _HF_LAYER + r'mlp.fc2.\2'),
    (r'text_encoder\.ln_final\.(weight|bias)', r'text_encoder.text_model.final_layer_norm.\1'),
    (r'text_encoder\.text_projection', r'text_encoder.text_projection.weight'),
)

# the CLIP visual tower and logit scale are not used by MetaPose
METAPOSE_IGNORE = (r'text_encoder\.visual\..*', r'text_encoder\.logit_scale',
                   *(r'image_encoder\.' + p for p in HRNET_IGNORE))


def split_openai_clip_text(state_dict: Dict[str, Tensor],
                           prefix: str = 'text_encoder.') -> Dict[str, Tensor]:
    """Tensor surgery before renaming an openai CLIP text tower.

    ``attn.in_proj_weight`` (3C, C) / ``in_proj_bias`` (3C,) are split into
    ``attn.q_proj``/``k_proj``/``v_proj`` ``weight``/``bias`` (q, k, v order);
    ``text_projection`` (C, C_text), used as ``x @ P``, is transposed to the
    (C_text, C) weight of a bias-free ``nn.Linear``. Other keys are kept.

    Args:
        state_dict (dict[str, Tensor]): Source parameters.
        prefix (str): Prefix of the text tower keys. Defaults to
            ``'text_encoder.'``.

    Returns:
        dict[str, Tensor]: A new dict.
    """
    out = {}
    for key, value in state_dict.items():
        match = re.fullmatch(re.escape(prefix) + r'(transformer\.resblocks\.\d+\.attn\.)in_proj_'
                             r'(weight|bias)', key)
        if match:
            for name, part in zip(('q_proj', 'k_proj', 'v_proj'), value.chunk(3, dim=0)):
                out[f'{prefix}{match.group(1)}{name}.{match.group(2)}'] = part
        elif key == prefix + 'text_projection':
            out[key] = value.t()
        else:
            out[key] = value
    return out


def convert_metapose_checkpoint(checkpoint: dict,
                                expected_keys: Optional[Iterable[str]] = None,
                                strict: bool = True
                                ) -> Tuple[Dict[str, Tensor], List[str], List[str]]:
    """MetaPose weights -> :class:`ContextPoseLifter` keys (``backbone.*``,
    ``text_encoder.*``, ``neck.*``, ``head.*``).

    Accepts the reference ``best_epoch_*.bin`` (``{'model': state_dict}``
    with ``module.`` prefixes: ``image_encoder.*``, ``text_encoder.*`` (the
    whole openai CLIP; its visual tower and ``logit_scale`` are dropped),
    ``learnable_prompts``, ``pose_net.*``) or any subset of those keys (the
    parity fixture has no ``image_encoder.*``). The result targets a model
    built with ``MetaPoseNeck(faithful=True)``, ``ContextLiftingHead(
    with_pos_embed=True)`` and ``CLIPJointPromptEncoder``; pass its
    ``state_dict().keys()`` as ``expected_keys`` to refuse partial matches.

    Args:
        checkpoint (dict): Loaded checkpoint or state dict.
        expected_keys (Iterable[str], optional): Keys of the target model.
            Defaults to None (no missing-key check).
        strict (bool): Raise on missing or unexpected keys. Defaults to True.

    Returns:
        tuple: ``(converted, missing, unexpected)``.
    """
    state_dict = split_openai_clip_text(strip_prefix(unwrap_state_dict(checkpoint), 'module.'))
    renames = [*METAPOSE_LIFTER_RENAMES, *OPENAI_CLIP_TEXT_RENAMES,
               *((r'image_encoder\.' + p, r'backbone.' + r) for p, r in HRNET_RENAMES)]
    return rename_state_dict(state_dict, renames, METAPOSE_IGNORE, expected_keys, strict,
                             source='MetaPose checkpoint')


def convert_hrnet_topdown_checkpoint(checkpoint: dict,
                                     expected_keys: Optional[Iterable[str]] = None,
                                     strict: bool = True
                                     ) -> Tuple[Dict[str, Tensor], List[str], List[str]]:
    """Original HRNet weights (``pose_hrnet_w32_256x192.pth`` of
    deep-high-resolution-net.pytorch, the COCO weights CA-PF and MetaPose
    were trained on) -> MMPose's top-down heatmap model
    (``td-hm_hrnet-*``: ``TopdownPoseEstimator`` with ``HRNet`` and
    ``HeatmapHead``): ``backbone.*`` and ``head.final_layer.*``.

    Args:
        checkpoint (dict): Loaded checkpoint or state dict (``module.``
            prefixes are removed).
        expected_keys (Iterable[str], optional): Keys of the MMPose model,
            e.g. ``model.state_dict().keys()``. Defaults to None.
        strict (bool): See :func:`rename_state_dict`. Defaults to True.

    Returns:
        tuple: ``(converted, missing, unexpected)``.
    """
    state_dict = strip_prefix(unwrap_state_dict(checkpoint), 'module.')
    renames = [*((p, 'backbone.' + r) for p, r in HRNET_RENAMES),
               (r'final_layer\.(weight|bias)', r'head.final_layer.\1')]
    return rename_state_dict(state_dict, renames, (), expected_keys, strict,
                             source='HRNet checkpoint (original layout)')


CONVERTERS = dict(
    capf=convert_capf_checkpoint,
    metapose=convert_metapose_checkpoint,
    hrnet=lambda checkpoint: convert_hrnet_checkpoint(checkpoint, prefix='backbone.'),
    hrnet_topdown=convert_hrnet_topdown_checkpoint)
#: Bumped when a conversion's output changes (keys the model zoo's cache).
CONVERTER_VERSIONS = dict(capf=1, metapose=1, hrnet=1, hrnet_topdown=1)


def detect_kind(keys: List[str]) -> Optional[str]:
    """``'metapose'``, ``'capf'``, ``'hrnet'`` or None from the (``module.``-
    stripped) checkpoint keys."""
    if any(k.startswith('pose_net.') or k == 'learnable_prompts' for k in keys):
        return 'metapose'
    if any(k.startswith('volume_net.') for k in keys) or 'Spatial_pos_embed' in keys:
        return 'capf'
    if any(k.startswith(('stage4.', 'backbone.stage4.')) for k in keys):
        return 'hrnet'
    return None
