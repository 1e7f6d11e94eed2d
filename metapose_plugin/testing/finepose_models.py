"""Tiny FinePOSE parts and inputs for tests and CPU smoke runs (offline)."""
import json
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from metapose_plugin.models.language_models.clip_text_loading import (TINY_CLIP_TOKENIZER,
                                                                      resolve_package_data)
from metapose_plugin.structures.h36m_cameras import (camera_intrinsics, h36m_camera_param,
                                                     project_to_2d)
from metapose_plugin.structures.h36m_metainfo import h36m_flip_indices


def tiny_text_config(context_length: int = 20) -> dict:
    """``CLIPTextConfig`` arguments of a tiny tower matching
    :data:`TINY_CLIP_TOKENIZER` (hidden 32, 2 layers, 4 heads, S =
    ``context_length``)."""
    with open(Path(resolve_package_data(TINY_CLIP_TOKENIZER)) / 'vocab.json') as file:
        vocab = len(json.load(file))
    return dict(vocab_size=vocab, hidden_size=32, intermediate_size=37, projection_dim=32,
                num_hidden_layers=2, num_attention_heads=4,
                max_position_embeddings=context_length, hidden_act='quick_gelu',
                bos_token_id=vocab - 2, eos_token_id=vocab - 1, pad_token_id=0)


#: Three segments of 6 + 6 + 8 = 20 vectors (4 kept token embeddings each).
TINY_SEGMENTS = (dict(name='subject', text='A person', num_context=2),
                 dict(name='verb', text=None, num_context=2),
                 dict(name='leg', text='leg', num_context=4))


def tiny_text_encoder_cfg(**overrides) -> dict:
    """A tiny ``CLIPPartPromptEncoder`` config (C = 32, S = 20)."""
    cfg = dict(type='CLIPPartPromptEncoder', model_name_or_path=None,
               text_config=tiny_text_config(), tokenizer_name_or_path=TINY_CLIP_TOKENIZER,
               segments=TINY_SEGMENTS, num_layers=2, num_heads=4, feedforward_channels=48)
    cfg.update(overrides)
    return cfg


def tiny_lifter_cfg(num_frames: int = 9, text_rows: str = 'sample',
                    test_cfg: Optional[dict] = None, train_cfg: Optional[dict] = None,
                    **text_overrides) -> dict:
    """A tiny ``FinePOSELifter`` config (F = ``num_frames``, K = 17,
    C = 32, depth 2, H = 3, N = 2)."""
    test = dict(num_hypotheses=3, num_steps=2, flip_test=True, aggregation='P-Agg')
    test.update(test_cfg or {})
    return dict(
        type='FinePOSELifter',
        backbone=dict(type='FinePOSEDenoiser', num_frames=num_frames, num_joints=17,
                      embed_dims=32, depth=2, num_heads=4, text_rows=text_rows),
        text_encoder=tiny_text_encoder_cfg(**text_overrides),
        train_cfg=train_cfg or {},
        test_cfg=test)


def sequence_samples(num_samples: int, num_frames: int, actions: Sequence[Optional[str]] = (),
                     seed: int = 0) -> tuple:
    """Inputs and ``PoseDataSample``s as a FinePOSE pipeline packs them.

    Returns:
        tuple: ``(inputs (B, F, 17, 2) normalised 2D, data_samples)``; each
        sample has ``gt_instance_labels.lifting_target_label`` (F, 17, 3)
        root-relative metres, ``gt_instances.lifting_target`` (F, 17, 3),
        and metainfo ``action``, ``subject``, ``camera_id``, ``frame_ids``,
        ``target_frame_ids``, ``subaction``, ``flip_indices``,
        ``camera_param`` (S9 camera 0) and ``target_root`` (F, 3).
    """
    rng = np.random.default_rng(seed)
    camera = h36m_camera_param('S9', 0)
    intrinsics = camera_intrinsics(camera, normalize=True)
    inputs: List[torch.Tensor] = []
    samples = []
    for i in range(num_samples):
        rel = rng.normal(0, 0.2, (num_frames, 17, 3))
        rel[:, 0] = 0
        root = np.array([0.1, 0.2, 5.0]) + rng.normal(0, 0.05, (num_frames, 3))
        kp2d = project_to_2d(rel + root[:, None], intrinsics)
        inputs.append(torch.as_tensor(kp2d, dtype=torch.float32))
        sample = PoseDataSample(metainfo=dict(
            action=actions[i] if i < len(actions) else 'Walking', subject='S9', subaction=1,
            camera_id=0, frame_ids=np.arange(num_frames) + 100 * i,
            target_frame_ids=np.arange(num_frames) + 100 * i, flip_indices=h36m_flip_indices(),
            camera_param=camera, target_root=root.astype(np.float32)))
        sample.gt_instance_labels = InstanceData(
            lifting_target_label=torch.as_tensor(rel[None], dtype=torch.float32))
        sample.gt_instances = InstanceData(
            lifting_target=(rel + root[:, None]).astype(np.float32)[None])
        samples.append(sample)
    return torch.stack(inputs), samples
