"""FinePOSE parity with the reference (PKU-ICST-MIPL/FinePOSE_CVPR2024).

A fixture folder has the layout of ``fixtures/finepose_parity`` (see its
README): ``weights_fp16.pt`` (reference ``pose_estimator.*`` keys, the CLIP
token embedding as ``.rows``/``.values``) and ``io.pt`` (inputs, every
recorded random draw, reference outputs). Every size comes from the files:
``meta/config_json``, the weight shapes and the input shapes. The weights are
cast to float32, converted with :mod:`..models.utils.finepose_ckpt_convert`
and loaded strictly into a :class:`FinePOSELifter` built in the reference
behaviour (text row ``r mod B``, action-EOT pooling, frozen prompts, global
noise replaced by the recorded draws). Compared (every one required,
:data:`REQUIRED_OUTPUTS`): (a) the production text path from the raw action
strings (``'Walking 1'``): the token ids of the part texts and action words
(HF ``CLIPTokenizer`` with OpenAI CLIP's vocabulary, :mod:`.clip_tokenizer`),
prompt assembly, CLIP output, text encoder, ``xf_out``, ``xf_proj``, pooling
index; (b) one denoiser forward with its taps; (train) the training branch
and its loss; (c) the whole DDIM loop with flip averaging and its per-step
inputs; (d) aggregation poses, indices and P1/P2 errors.

Tolerances: token ids, indices and time steps exactly; the float64 noise
schedule at 1e-12 relative; everything else is float32 in the reference, at
1e-5 absolute (values of order 1: about 80 float32 ulps, for the reduction
orders of an independent implementation through a dozen attention and MLP
layers; measured <= 3e-6).
"""
import json
import os.path as osp
import tempfile
from typing import Callable, Dict, List, Optional

import torch
from mmpose.registry import MODELS
from torch import Tensor

from metapose_plugin.models.converters.finepose_ckpt_convert import convert_finepose_checkpoint
from metapose_plugin.models.utils.finepose.diffusion_noise import ReplayNoise
from metapose_plugin.models.utils.finepose.diffusion_schedule import cosine_alphas_cumprod
from metapose_plugin.parity.clip_tokenizer import write_reference_clip_tokenizer
from metapose_plugin.parity.common import ParityResult, load_float, max_abs_diff, report
from metapose_plugin.structures.hypothesis_aggregation import (aggregate_mean,
                                                               aggregate_reprojection,
                                                               hypothesis_errors,
                                                               reproject_hypotheses,
                                                               select_joint_best, select_pose_best)
from metapose_plugin.structures.pose_ops import mirror_poses

REQUIRED_FILES = ('io.pt', 'weights_fp16.pt')
#: float32 outputs (see the module doc)
TOLERANCE = 1e-5
#: float64 outputs: a few float64 roundings relative (values <= 1)
TOLERANCE_F64 = 1e-12
_AGGREGATIONS = ('J_Best', 'P_Best', 'P_Agg', 'J_Agg')
#: The outputs every fixture of this layout must give.
REQUIRED_OUTPUTS = (
    ('sched/alphas_cumprod_f64', 'in/pre_text_tokens', 'in/input_text_tokens',
     'in/inputs_2d_flip', 'a/prompt_embeddings_plus_pos', 'a/clip_ln_final_out',
     'a/text_encoder_out', 'a/xf_out', 'a/xf_proj', 'a/pool_index', 'b/time_mlp_out',
     'b/ste_out', 'b/cross_attn_out', 'b/denoiser_out', 'train/pred', 'train/loss_mpjpe',
     'c/samples', 'c/step_img_in', 'c/step_t', 'c/step_pred_noise', 'd/samples_root_zeroed',
     'd/reproj_2d', 'd/pose_P_Agg', 'd/pose_J_Agg', 'd/J_Agg_index', 'd/pose_J_Best',
     'd/J_Best_index', 'd/pose_P_Best', 'd/P_Best_index') +
    tuple(f'd/{kind}_{name}' for kind in ('err', 'p2') for name in _AGGREGATIONS))
#: Segment names of the reference, in prompt order (3DHP lacks ``verb``).
SEGMENT_ORDER = ('subject', 'verb', 'speed', 'head', 'body', 'arm', 'leg')
_PE = 'pose_estimator.'


def load_fixture_weights(path: str, vocab_size: int) -> Dict[str, Tensor]:
    """fp16 reference weights as float32, the token embedding table rebuilt
    (zeros except the stored rows)."""
    state_dict = load_float(path)
    for key in [k for k in state_dict if k.endswith('.weight.rows')]:
        base = key[:-len('.rows')]
        rows, values = state_dict.pop(key), state_dict.pop(base + '.values')
        table = torch.zeros(vocab_size, values.shape[1])
        table[rows] = values
        state_dict[base] = table
    return state_dict


def model_cfg(config: dict, weights: Dict[str, Tensor], io: dict,
              tokenizer_dir: Optional[str] = None) -> dict:
    """A reference-behaviour :class:`FinePOSELifter` config of the fixture's
    geometry, tokenizing with the HF tokenizer in ``tokenizer_dir`` (None:
    pre-tokenized ids only)."""
    width = weights[_PE + 'Spatial_pos_embed'].shape[-1]
    num_joints = weights[_PE + 'Spatial_pos_embed'].shape[1]
    num_frames = weights[_PE + 'Temporal_pos_embed'].shape[1]
    context = weights[_PE + 'clip_text.positional_embedding'].shape[0]
    names = [n for n in SEGMENT_ORDER if _PE + f'ctx_{n}' in weights]
    texts = iter(io['meta/pre_text_strings'])
    segments = [dict(name=n, text=None if n == 'verb' else next(texts),
                     num_context=weights[_PE + f'ctx_{n}'].shape[0]) for n in names]
    kept = (context - sum(s['num_context'] for s in segments)) // len(segments)
    clip_layers = len({k.split('.')[4] for k in weights
                       if k.startswith(_PE + 'clip_text.transformer.resblocks.')})
    text_layers = len({k.split('.')[3] for k in weights
                       if k.startswith(_PE + 'textTransEncoder.layers.')})
    depth = len({k.split('.')[2] for k in weights if k.startswith(_PE + 'STEblocks.')})
    mlp_hidden = weights[_PE + 'STEblocks.0.mlp.fc1.weight'].shape[0]
    text_config = dict(
        vocab_size=weights[_PE + 'clip_text.token_embedding.weight'].shape[0],
        hidden_size=width,
        intermediate_size=weights[_PE + 'clip_text.transformer.resblocks.0.mlp.c_fc.weight']
        .shape[0],
        projection_dim=width,
        num_hidden_layers=clip_layers,
        num_attention_heads=config['clip_heads'],
        max_position_embeddings=context,
        hidden_act='quick_gelu')
    return dict(
        type='FinePOSELifter',
        num_timesteps=config['timesteps'],
        scale=config['scale'],
        backbone=dict(
            type='FinePOSEDenoiser', num_frames=num_frames, num_joints=num_joints,
            embed_dims=width, depth=depth, num_heads=config['heads'],
            mlp_ratio=mlp_hidden / width, drop_path_rate=0.0, text_rows='modulo',
            # one pose sequence per pass on a CPU: the configs' grouped path at
            # its most passes
            cpu_tokens_per_pass=num_frames * num_joints),
        text_encoder=dict(
            type='CLIPPartPromptEncoder', model_name_or_path=None, text_config=text_config,
            tokenizer_name_or_path=tokenizer_dir,
            segments=segments, num_kept_tokens=kept, num_layers=text_layers,
            num_heads=config['heads'],
            feedforward_channels=weights[_PE + 'textTransEncoder.layers.0.linear1.weight']
            .shape[0],
            pool_index='action_eot' if 'verb' in names else context - 1, train_prompts=False),
        test_cfg=dict(eta=config['ddim_eta'], noise='global'))


def flip_indices_of(config: dict, num_joints: int) -> List[int]:
    """Left/right swap of the fixture's ``joints_left``/``joints_right``."""
    index = list(range(num_joints))
    for left, right in zip(config['joints_left'], config['joints_right']):
        index[left], index[right] = right, left
    return index


class _Tap:
    """Record a module's first input and output over the calls of one
    denoiser forward (rows of every sequence pass concatenated), until
    ``remove``."""

    def __init__(self, module) -> None:
        self.handle = module.register_forward_hook(self._hook)
        self.inputs, self.outputs = [], []

    def _hook(self, module, args, output) -> None:
        self.inputs.append(args[0])
        self.outputs.append(output)

    @property
    def input(self) -> Tensor:
        return torch.cat(self.inputs)

    @property
    def output(self) -> Tensor:
        return torch.cat(self.outputs)

    def remove(self) -> None:
        self.handle.remove()


class _Comparison:
    """Differences of our outputs with the fixture's, by output name."""

    def __init__(self, io: dict) -> None:
        self.io = io
        self.diffs: Dict[str, Optional[float]] = {}
        self.skipped: Dict[str, str] = {}
        self.tolerances = dict(default=TOLERANCE)

    def __call__(self, name: str, ours: Callable[[], Tensor], tolerance: Optional[float] = None
                 ) -> None:
        """Compare ``ours()`` with ``io[name]`` at ``tolerance`` (default
        :data:`TOLERANCE`); an output the fixture lacks is reported as
        skipped."""
        if name not in self.io:
            self.diffs[name] = None
            return
        self.diffs[name] = max_abs_diff(ours(), self.io[name], name)
        if tolerance is not None:
            self.tolerances[name] = tolerance

    def skip(self, names, why: str) -> None:
        """Report ``names`` as not compared, because ``why``."""
        for name in names:
            self.diffs[name] = None
            self.skipped[name] = why


def check(fixture_dir: str) -> ParityResult:
    """Compare the fixture folder with this plugin; print one line per
    output and the summary."""
    io = torch.load(osp.join(fixture_dir, 'io.pt'), map_location='cpu', weights_only=True)
    config = json.loads(io['meta/config_json'])
    weights = load_fixture_weights(osp.join(fixture_dir, 'weights_fp16.pt'),
                                   config['clip_vocab'])
    with tempfile.TemporaryDirectory() as tokenizer_dir:
        write_reference_clip_tokenizer(tokenizer_dir)
        model = MODELS.build(model_cfg(config, weights, io, tokenizer_dir))
    converted, _, _ = convert_finepose_checkpoint(weights)
    model.load_state_dict(converted, strict=True)
    model.eval()
    compare = _Comparison(io)
    with torch.no_grad():
        if 'sched/alphas_cumprod_f64' in io:
            compare('sched/alphas_cumprod_f64', lambda: cosine_alphas_cumprod(
                io['sched/alphas_cumprod_f64'].shape[0]), TOLERANCE_F64)
        text = _check_text(model, io, config, compare)
        _check_denoiser(model, io, text, compare)
        _check_train(model, io, text, compare)
        _check_sampling(model, io, text, config, compare)
        _check_aggregation(io, compare)
    return report(compare.diffs, compare.tolerances, compare.skipped, REQUIRED_OUTPUTS)


def _check_text(model, io: dict, config: dict, compare: _Comparison):
    """The production text path on the raw action strings: the encoder's
    own rows and token ids, then its forward (row ``b`` of the batch)."""
    encoder = model.text_encoder
    actions = io['meta/action_strings_raw']
    words = [encoder.action_text(a) for a in actions]
    part_ids, action_ids = encoder.rows_token_ids(words)
    compare('in/pre_text_tokens', lambda: part_ids, 0.0)
    compare('in/input_text_tokens', lambda: action_ids, 0.0)
    # the assembled prompt and the CLIP output are inside the encoder's forward
    _, _, prompt, clip_out = encoder.encode_tokens(part_ids, action_ids, return_clip=True)
    compare('a/prompt_embeddings_plus_pos', lambda: prompt)
    compare('a/clip_ln_final_out', lambda: clip_out)
    tap = _Tap(encoder.text_transformer)
    tokens, pooled = encoder(actions)
    tap.remove()
    compare('a/text_encoder_out', lambda: tap.output)
    compare('a/xf_out', lambda: tokens)
    compare('a/xf_proj', lambda: pooled)
    compare('a/pool_index', lambda: encoder.pool_positions(len(words), action_ids), 0.0)
    flip = flip_indices_of(config, io['in/inputs_2d'].shape[-2])
    compare('in/inputs_2d_flip', lambda: mirror_poses(io['in/inputs_2d'], flip), 0.0)
    return tokens, pooled


def _check_denoiser(model, io: dict, text, compare: _Comparison) -> None:
    names = ('b/time_mlp_out', 'b/ste_out', 'b/cross_attn_out', 'b/denoiser_out')
    if 'b/x_t' not in io:
        return compare.skip(names, 'no b/x_t input in the fixture')
    taps = dict(time=_Tap(model.backbone.time_mlp), cross=_Tap(model.backbone.text_cross_attn))
    out = model.backbone(io['in/inputs_2d'], io['b/x_t'], io['b/t'], *text)
    for tap in taps.values():
        tap.remove()
    compare('b/time_mlp_out', lambda: taps['time'].output)
    compare('b/ste_out', lambda: taps['cross'].input)
    compare('b/cross_attn_out', lambda: taps['cross'].output)
    compare('b/denoiser_out', lambda: out)


def _check_train(model, io: dict, text, compare: _Comparison) -> None:
    if 'train/rng_values' not in io:
        return compare.skip(('train/pred', 'train/loss_mpjpe'), 'no recorded training draws')
    calls, values = io['train/rng_calls'], io['train/rng_values']
    t = torch.cat([v for c, v in zip(calls, values) if c == 'randint'])
    noise = torch.stack([v for c, v in zip(calls, values) if c == 'randn'])
    targets = io['in/gt_3d_rootrel'].clone()
    targets[..., 0, :] = 0
    pred = model.denoise_train(io['in/inputs_2d'], targets, text, t, noise)
    compare('train/pred', lambda: pred)
    compare('train/loss_mpjpe', lambda: torch.norm(pred - targets, dim=-1).mean())


def _check_sampling(model, io: dict, text, config: dict, compare: _Comparison) -> None:
    if 'c/rng_values' not in io:
        return compare.skip(('c/samples', 'c/step_img_in', 'c/step_t', 'c/step_pred_noise'),
                            'no recorded sampling draws')
    draws = io['c/rng_values']
    initial = draws[0]
    # one draw for x_T, one per step but the last
    model.test_cfg.update(num_hypotheses=initial.shape[1], num_steps=len(draws))
    flip = flip_indices_of(config, initial.shape[-2]) if config.get('flip_tta', True) else None
    trace: list = []
    samples = model.sample(io['in/inputs_2d'], text, ReplayNoise(draws), flip, trace)
    B = initial.shape[0]
    compare('c/samples', lambda: samples)
    compare('c/step_img_in', lambda: torch.stack([x for x, _, _ in trace], dim=1))
    compare('c/step_t', lambda: torch.tensor([t for _, t, _ in trace]).expand(B, -1), 0.0)
    compare('c/step_pred_noise', lambda: torch.stack([e for _, _, e in trace], dim=1))


def _check_aggregation(io: dict, compare: _Comparison) -> None:
    """Aggregate the reference's ``c/samples`` (B, N, H, F, K, 3), so that
    this part is checked on its own."""
    if 'c/samples' not in io:
        return compare.skip([k for k in io if k.startswith('d/')], 'no c/samples in the fixture')
    hyps = io['c/samples'].clone()
    hyps[..., 0, :] = 0
    target = io['in/gt_3d_rootrel'][:, None]
    kp2d = io['in/inputs_2d'][:, None]
    traj = io['in/gt_root_traj'][:, None]
    cam = io['in/camera_intrinsic']
    compare('d/samples_root_zeroed', lambda: hyps)
    compare('d/reproj_2d', lambda: reproject_hypotheses(hyps, traj, cam))
    for prefix, align in (('err', False), ('p2', True)):
        errors = hypothesis_errors(hyps, target, kp2d, traj, cam, align=align, pool_dims=(0, ))
        for name, value in errors.items():
            compare(f'd/{prefix}_{name.replace("-", "_")}',
                    lambda v=value: v.mean(dim=(0, 2, 3)))
    compare('d/pose_P_Agg', lambda: aggregate_mean(hyps))
    jagg_pose, jagg_index, _ = aggregate_reprojection(hyps, kp2d, traj, cam)
    compare('d/pose_J_Agg', lambda: jagg_pose)
    compare('d/J_Agg_index', lambda: jagg_index, 0.0)
    jbest_pose, jbest_index = select_joint_best(hyps, target)
    compare('d/pose_J_Best', lambda: jbest_pose)
    compare('d/J_Best_index', lambda: jbest_index, 0.0)
    pbest_pose, pbest_index = select_pose_best(hyps, target, pool_dims=(0, ))
    compare('d/pose_P_Best', lambda: pbest_pose)
    compare('d/P_Best_index', lambda: pbest_index[0], 0.0)
