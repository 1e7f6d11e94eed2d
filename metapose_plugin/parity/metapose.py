"""MetaPose and CA-PF parity with their reference implementations.

A fixture folder has the layout of ``fixtures/parity`` (see its README):
``io.pt`` (inputs, reference outputs, the batch's actions with the
``action_set`` row order, the prompt strings and token ids the reference
built, and the captured alignment noise), ``capf_lifter.pt``, ``metapose.pt``
and optionally ``hrnet_w32.pt``. The fp16 weights are cast to float32 and
converted with :mod:`metapose_plugin.models.converters.ckpt_convert`; the
parts run in eval mode, MetaPose in faithful mode with the captured noise.

The text path is the production one, from the action strings on:
:class:`CLIPJointPromptEncoder` builds the faithful prompt rows, tokenizes
them (HF ``CLIPTokenizer`` with OpenAI CLIP's vocabulary,
:mod:`.clip_tokenizer`) and encodes them; the prompt strings and token ids
are compared exactly, the features at the float32 tolerances below. Without
``hrnet_w32.pt`` the lifters read io.pt's ``hrnet_features`` and HRNet is
reported as skipped.
"""

import os.path as osp
import re
import tempfile
from typing import Dict, List, Tuple

import torch
from torch import Tensor, nn

from metapose_plugin.models.backbones import HRNetContextEncoder
from metapose_plugin.models.converters.ckpt_convert import (convert_capf_checkpoint,
                                                            convert_hrnet_checkpoint,
                                                            convert_metapose_checkpoint)
from metapose_plugin.models.heads import ContextLiftingHead
from metapose_plugin.models.language_models import CLIPJointPromptEncoder
from metapose_plugin.models.necks import CAPFContextNeck, MetaPoseNeck
from metapose_plugin.parity.clip_tokenizer import write_reference_clip_tokenizer
from metapose_plugin.parity.common import ParityResult, load_float, max_abs_diff, report

REQUIRED_FILES = ('io.pt', 'capf_lifter.pt', 'metapose.pt')
#: Every output is float32 in the reference. Its README measured the
#: rounding of that float32 path (a float64 re-run against the saved
#: values): HRNet features 8.6e-6 (values up to 9), text features 3.3e-6,
#: CA-PF 4.2e-7, MetaPose 8.0e-7; the tolerances allow about 10x that for an
#: independent float32 implementation (other reduction orders). Strings and
#: token ids are exact.
TOLERANCES = dict(hrnet_features=1e-4, metapose_text_features=1e-5, capf_output=1e-5,
                  metapose_output=1e-5, metapose_prompt_strings=0, metapose_text_tokens=0)
#: The outputs every fixture of this layout must give (HRNet is optional).
REQUIRED_OUTPUTS = ('metapose_prompt_strings', 'metapose_text_tokens', 'metapose_text_features',
                    'capf_output', 'metapose_output')


def hrnet_extra(width: int) -> dict:
    """HRNet-W``width`` architecture (original 256x192 recipe)."""
    widths = [width * 2**i for i in range(4)]
    return dict(
        stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                    num_channels=(64, )),
        stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, ) * 2,
                    num_channels=tuple(widths[:2])),
        stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, ) * 3,
                    num_channels=tuple(widths[:3])),
        stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, ) * 4,
                    num_channels=tuple(widths)))


def load_part(module: nn.Module, state_dict: Dict[str, Tensor], prefix: str,
              source: str) -> nn.Module:
    """Load the ``prefix``-ed keys of a converted state dict (strict)."""
    part = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    try:
        module.load_state_dict(part, strict=True)
    except RuntimeError as err:
        raise RuntimeError(f'{source}: converted {prefix}* keys do not fit: {err}') from err
    return module.eval()


def prefixed_keys(module: nn.Module, prefix: str) -> List[str]:
    """State-dict keys of ``module`` under ``prefix``."""
    return [prefix + k for k in module.state_dict()]


def text_config_from(state_dict: Dict[str, Tensor]) -> dict:
    """``CLIPTextConfig`` arguments from an openai CLIP text state dict."""
    vocab, width = state_dict['text_encoder.token_embedding.weight'].shape
    layers = {int(m.group(1)) for k in state_dict
              if (m := re.match(r'text_encoder\.transformer\.resblocks\.(\d+)\.', k))}
    return dict(
        vocab_size=vocab,
        hidden_size=width,
        intermediate_size=state_dict['text_encoder.transformer.resblocks.0.mlp.c_fc.weight']
        .shape[0],
        projection_dim=state_dict['text_encoder.text_projection'].shape[1],
        num_hidden_layers=len(layers),
        num_attention_heads=width // 64,
        max_position_embeddings=state_dict['text_encoder.positional_embedding'].shape[0],
        hidden_act='quick_gelu',
        layer_norm_eps=1e-5,
        bos_token_id=vocab - 2,
        eos_token_id=vocab - 1,
        pad_token_id=0)


def feat_channels_of(state_dict: Dict[str, Tensor], pattern: str) -> Tuple[int, ...]:
    """Input channels of ``feat_embed.{l}`` (l = 0, 1, ...) in a state dict."""
    found = {int(m.group(1)): v.shape[1] for k, v in state_dict.items()
             if (m := re.fullmatch(pattern, k))}
    return tuple(found[level] for level in sorted(found))


def run_hrnet(fixture_dir: str, io: dict) -> Tuple[List[Tensor], float]:
    """Our HRNet features (or io.pt's, with diff NaN, when skipped)."""
    path = osp.join(fixture_dir, 'hrnet_w32.pt')
    if not osp.isfile(path):
        return [f.float() for f in io['hrnet_features']], float('nan')
    state_dict = load_float(path)
    width = state_dict['stage4.0.branches.0.0.conv1.weight'].shape[0]
    backbone = HRNetContextEncoder(extra=hrnet_extra(width))
    converted, _, _ = convert_hrnet_checkpoint(
        state_dict, expected_keys=backbone.state_dict().keys())
    load_part(backbone, converted, '', 'hrnet_w32.pt')
    with torch.no_grad():
        feats = list(backbone(io['images'].permute(0, 3, 1, 2).contiguous()))
    diff = max((f - r).abs().max().item() for f, r in zip(feats, io['hrnet_features']))
    return feats, diff


def run_capf(fixture_dir: str, io: dict, feats: List[Tensor]) -> Tensor:
    """CA-PF lifter prediction (B, 1, K, 3)."""
    state_dict = load_float(osp.join(fixture_dir, 'capf_lifter.pt'))
    channels = feat_channels_of(state_dict, r'feat_embed\.(\d+)\.weight')
    neck = CAPFContextNeck(feat_channels=channels)
    head = ContextLiftingHead(num_tokens=len(channels) + 1)
    expected = prefixed_keys(neck, 'neck.') + prefixed_keys(head, 'head.')
    converted, _, _ = convert_capf_checkpoint(state_dict, expected_keys=expected)
    load_part(neck, converted, 'neck.', 'capf_lifter.pt')
    load_part(head, converted, 'head.', 'capf_lifter.pt')
    with torch.no_grad():
        tokens = neck(feats, keypoints_frame=io['keypoints_2d'],
                      keypoints_crop=io['keypoints_2d_crop'])
        return head(tokens).unsqueeze(1)


def string_mismatches(ours: List[List[str]], reference: List[List[str]]) -> float:
    """How many of the (A, K) prompt strings differ; inf when the row
    counts differ."""
    if len(ours) != len(reference):
        return float('inf')
    return float(sum(a != b for row, ref in zip(ours, reference) for a, b in zip(row, ref)) +
                 sum(abs(len(row) - len(ref)) for row, ref in zip(ours, reference)))


def run_metapose(fixture_dir: str, io: dict, feats: List[Tensor],
                 tokenizer_dir: str) -> Tuple[Dict[str, float], Tensor, Tensor]:
    """MetaPose through the production text path, faithful mode, alignment
    noise replayed from io.pt.

    Returns:
        tuple: differences of the prompt strings (count of differing
        strings) and token ids with the reference's, text features
        (B, K, C_text) and prediction (B, 1, K, 3).
    """
    state_dict = load_float(osp.join(fixture_dir, 'metapose.pt'))
    channels = feat_channels_of(state_dict, r'pose_net\.feat_embed\.(\d+)\.weight')
    text_config = text_config_from(state_dict)
    num_joints = io['keypoints_2d'].shape[1]
    text_encoder = CLIPJointPromptEncoder(
        text_config=text_config, tokenizer_name_or_path=tokenizer_dir, num_joints=num_joints,
        num_prompt_tokens=state_dict['learnable_prompts'].shape[0] // num_joints,
        faithful=True, train_prompts=False)
    neck = MetaPoseNeck(feat_channels=channels, text_channels=text_config['projection_dim'],
                        num_keypoints=num_joints, faithful=True, kl_weight=0.0)
    head = ContextLiftingHead(num_tokens=len(channels) + 1, num_keypoints=num_joints,
                              drop_path_range=(0.1, 0.2), with_pos_embed=True)
    expected = (prefixed_keys(text_encoder, 'text_encoder.') + prefixed_keys(neck, 'neck.') +
                prefixed_keys(head, 'head.'))
    converted, _, _ = convert_metapose_checkpoint(state_dict, expected_keys=expected)
    for module, prefix in ((text_encoder, 'text_encoder.'), (neck, 'neck.'), (head, 'head.')):
        load_part(module, converted, prefix, 'metapose.pt')
    noise = io['metapose_alignment_noise']
    if len(noise) != 1:
        raise ValueError(f'{fixture_dir}/io.pt: metapose_alignment_noise must hold exactly one '
                         f'draw, got {len(noise)}')
    keys, _ = text_encoder.prompt_rows(io['actions'], io['action_set'])
    prompts = [text_encoder.row_prompts(key) for key in keys]
    ids = torch.stack([text_encoder.row_token_ids(key) for key in keys])
    diffs = dict(
        metapose_prompt_strings=(string_mismatches(prompts, io['prompt_strings'])
                                 if 'prompt_strings' in io else None),
        metapose_text_tokens=(max_abs_diff(ids, io['text_tokens'], 'metapose_text_tokens')
                              if 'text_tokens' in io else None))
    with torch.no_grad():
        text_feats = text_encoder(io['actions'], row_order=io['action_set'])
        tokens = neck(feats, keypoints_frame=io['keypoints_2d'],
                      keypoints_crop=io['keypoints_2d_crop'], text_feats=text_feats,
                      noise=noise[0].float())
        return diffs, text_feats, head(tokens).unsqueeze(1)


def check(fixture_dir: str) -> ParityResult:
    """Run every comparison, print one line each and the summary."""
    io = torch.load(osp.join(fixture_dir, 'io.pt'), map_location='cpu')
    crop_before = io['keypoints_2d_crop'].clone()
    feats, hrnet_diff = run_hrnet(fixture_dir, io)
    capf = run_capf(fixture_dir, io, feats)
    with tempfile.TemporaryDirectory() as tokenizer_dir:
        text_diffs, text_feats, metapose = run_metapose(
            fixture_dir, io, feats, write_reference_clip_tokenizer(tokenizer_dir))
    if not torch.equal(crop_before, io['keypoints_2d_crop']):
        raise AssertionError('the crop keypoints were modified in place')
    ours = dict(metapose_text_features=text_feats, capf_output=capf, metapose_output=metapose)
    diffs = dict(hrnet_features=hrnet_diff, **text_diffs, **{
        name: max_abs_diff(value, io[name], name) if name in io else None
        for name, value in ours.items()})
    return report(diffs, TOLERANCES, skipped=dict(
        hrnet_features='no hrnet_w32.pt; lifters read io.pt hrnet_features'),
        required=REQUIRED_OUTPUTS)
