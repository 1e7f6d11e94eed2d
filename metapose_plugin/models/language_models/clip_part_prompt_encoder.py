"""Fine-grained part-aware prompts through CLIP (FinePOSE's FPP).

FinePOSE (Xu, Guo, Peng, CVPR 2024) describes a pose by prompt segments
(subject, action verb, speed, head, body, arm, leg). Each segment is a few
learnable context vectors (CoOp, Zhou et al., IJCV 2022) followed by the
CLIP token embeddings of the first ids of its word. The 77 vectors go
through the frozen CLIP text transformer (HF ``transformers``, no
projection), then a trainable transformer encoder, a layer norm and a pooled
projection. The CLIP plumbing is shared with :class:`CLIPJointPromptEncoder`
(:mod:`.clip_text_loading`).
"""
from typing import Dict, Hashable, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from .clip_text_loading import (build_clip_text_tower, encode_prompt_embeddings,
                                load_clip_tokenizer, tokenize_padded)
from .prompt_feature_cache import PromptFeatureCache

#: Human3.6M segments of the reference (``mixste_finepose.py``): name, text
#: (None: the sample's action word) and number of learnable vectors.
H36M_PART_SEGMENTS = (
    dict(name='subject', text='A person', num_context=3),
    dict(name='verb', text=None, num_context=8),
    dict(name='speed', text='speed', num_context=6),
    dict(name='head', text='head', num_context=6),
    dict(name='body', text='body', num_context=6),
    dict(name='arm', text='arm', num_context=10),
    dict(name='leg', text='leg', num_context=10),
)

#: MPI-INF-3DHP segments of the reference (``mixste_finepose_3dhp.py``): no
#: action segment.
MPI_INF_3DHP_PART_SEGMENTS = (
    dict(name='subject', text='A person', num_context=5),
    dict(name='speed', text='speed', num_context=8),
    dict(name='head', text='head', num_context=8),
    dict(name='body', text='body', num_context=8),
    dict(name='arm', text='arm', num_context=12),
    dict(name='leg', text='leg', num_context=12),
)


@MODELS.register_module()
class CLIPPartPromptEncoder(BaseModule):
    """Encode action and body-part prompts into FinePOSE text features.

    Segment i is ``[ctx_i (L_i, C); E(ids_i[:num_kept_tokens])]`` where E is
    CLIP's token embedding and ``ids_i`` the CLIP ids (SOT, word, EOT, 0
    padding) of its text; the kept ids may include EOT and pad id 0 (which
    embeds as "!"), as in the reference. The segments are concatenated (their
    lengths must sum to S), CLIP's position embedding is added, and the frozen
    causal CLIP encoder and final layer norm run. A trainable
    ``nn.TransformerEncoder`` (post-norm, exact GELU, no mask) and
    ``text_norm`` give the token features; ``text_proj`` of the token at the
    pooling index gives the pooled feature.

    Pooling index: ``'action_eot'`` reproduces the reference: the EOT
    position of the *action* word's ids (argmax of the ids, 2 to 4), applied
    to the concatenated prompt, so it lands in the subject segment (SPEC
    section 7.3). An integer is a fixed position (the 3DHP reference pools at
    76); since the trainable encoder has no mask, every position sees the
    whole prompt. Defaults to -1 (the last position).

    Context vectors: the reference ran CLIP under ``no_grad``, so its context
    vectors never trained (SPEC section 7.1); ``train_prompts=False``
    reproduces that. With True (default) gradients reach them through the
    frozen CLIP.

    Note:
        - B: batch, A: distinct prompt rows (actions), S: text length (77)
        - C: width of CLIP and of the trainable text encoder
        - P: segments with a fixed text

    Args:
        model_name_or_path (str, optional): HF id or local folder of a CLIP
            model (``'openai/clip-vit-base-patch32'``: C = 512). Ignored when
            ``text_config`` is given.
        text_config (dict, optional): ``CLIPTextConfig`` arguments of a
            randomly initialised tower (tests, parity fixtures).
        tokenizer_name_or_path (str, optional): HF id or folder of the
            ``CLIPTokenizer``; defaults to ``model_name_or_path``.
        segments (Sequence[dict]): Segments in order, each
            ``dict(name, text, num_context)``; at most one has ``text=None``
            (the action word). Defaults to :data:`H36M_PART_SEGMENTS`.
        num_kept_tokens (int): Token embeddings kept per segment. Defaults
            to 4.
        num_layers (int): Layers of the trainable encoder. Defaults to 4.
        num_heads (int): Its heads M. Defaults to 8.
        feedforward_channels (int): Its FFN width. Defaults to 2048.
        pool_index (str | int): ``'action_eot'`` or a position. Defaults to
            -1.
        agnostic_action_text (str): Action word used for samples whose
            action is None (video, unlabeled data). Defaults to ``'motion'``.
        train_prompts (bool): Whether the context vectors train. Defaults to
            True.
        attn_implementation (str): HF attention backend of CLIP. Defaults to
            ``'sdpa'``.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 model_name_or_path: Optional[str] = 'openai/clip-vit-base-patch32',
                 text_config: Optional[dict] = None,
                 tokenizer_name_or_path: Optional[str] = None,
                 segments: Sequence[dict] = H36M_PART_SEGMENTS,
                 num_kept_tokens: int = 4,
                 num_layers: int = 4,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 pool_index: Union[str, int] = -1,
                 agnostic_action_text: str = 'motion',
                 train_prompts: bool = True,
                 attn_implementation: str = 'sdpa',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        self.text_model, _ = build_clip_text_tower(
            name, model_name_or_path, text_config, with_projection=False,
            attn_implementation=attn_implementation)
        self.tokenizer = load_clip_tokenizer(tokenizer_name_or_path, model_name_or_path,
                                             text_config)
        self.context_length = self.text_model.embeddings.position_embedding.num_embeddings
        width = self.text_model.embeddings.token_embedding.embedding_dim

        self.segments = [dict(seg) for seg in segments]
        action_slots = [i for i, seg in enumerate(self.segments) if seg['text'] is None]
        if len(action_slots) > 1:
            raise ValueError(f'{name}: at most one segment may hold the action (text=None), '
                             f'got {len(action_slots)}')
        self.action_slot = action_slots[0] if action_slots else None
        total = sum(seg['num_context'] + num_kept_tokens for seg in self.segments)
        if total != self.context_length:
            raise ValueError(f'{name}: the segments give {total} vectors, CLIP expects S = '
                             f'{self.context_length}')
        if pool_index == 'action_eot' and self.action_slot is None:
            raise ValueError(f"{name}: pool_index='action_eot' needs an action segment")
        if not (pool_index == 'action_eot' or isinstance(pool_index, int)):
            raise ValueError(f"{name}: pool_index must be 'action_eot' or an int, got "
                             f'{pool_index!r}')
        self.num_kept_tokens = num_kept_tokens
        self.pool_index = pool_index
        self.agnostic_action_text = agnostic_action_text
        self.prompt_context = nn.ParameterDict({
            seg['name']: nn.Parameter(torch.empty(seg['num_context'], width),
                                      requires_grad=train_prompts)
            for seg in self.segments
        })
        layer = nn.TransformerEncoderLayer(
            width, num_heads, feedforward_channels, dropout=0.0, activation='gelu',
            batch_first=True)
        self.text_transformer = nn.TransformerEncoder(layer, num_layers,
                                                      enable_nested_tensor=False)
        self.text_norm = nn.LayerNorm(width)
        self.text_proj = nn.Linear(width, width)
        self._reset_context()
        self.prompt_cache = PromptFeatureCache()
        self._token_cache: Dict[Hashable, Tensor] = {}

    @property
    def out_channels(self) -> int:
        """C, the channels of both outputs."""
        return self.text_proj.out_features

    @property
    def fixed_segments(self) -> List[dict]:
        """The P segments with a fixed text, in order."""
        return [seg for seg in self.segments if seg['text'] is not None]

    def _reset_context(self) -> None:
        with torch.no_grad():
            for param in self.prompt_context.values():
                param.normal_(0.0, 0.02)

    def init_weights(self) -> None:
        """Context vectors ~ N(0, 0.02) as in the reference; CLIP stays as
        loaded, the trainable encoder keeps PyTorch's initialisation."""
        super().init_weights()
        self._reset_context()

    def train(self, mode: bool = True) -> 'CLIPPartPromptEncoder':
        """Switch mode; the frozen CLIP tower always stays in eval mode."""
        super().train(mode)
        self.text_model.eval()
        return self

    def action_text(self, action: Optional[str]) -> str:
        """The action word of a sample: the text before the first space
        (``'Walking 1'`` -> ``'Walking'``, as the reference splits the
        VideoPose3D key), or ``agnostic_action_text`` for None."""
        if action is None:
            return self.agnostic_action_text
        if not isinstance(action, str) or not action.strip():
            raise ValueError(f'{type(self).__name__}: an action must be a non-empty string or '
                             f'None, got {action!r}')
        return action.strip().split(' ')[0]

    def tokenize(self, texts: Sequence[str]) -> Tensor:
        """CLIP ids (N, S) of ``texts``, zero-padded (``clip.tokenize``)."""
        return tokenize_padded(self.tokenizer, type(self).__name__, texts, self.context_length)

    def encode_tokens(self, part_ids: Tensor, action_ids: Optional[Tensor] = None,
                      return_clip: bool = False) -> Tuple[Tensor, ...]:
        """Run the whole text path on pre-tokenized prompts.

        Args:
            part_ids (Tensor): Ids of the fixed segments in shape (P, S) or
                (A, P, S) (the reference repeats them per sample).
            action_ids (Tensor, optional): Ids of each row's action word in
                shape (A, S); required with an action segment.
            return_clip (bool): Also return the assembled prompt (with
                positions) and the CLIP output. Defaults to False.

        Returns:
            tuple: ``(tokens, pooled)`` in shapes (A, S, C) and (A, C); with
            ``return_clip`` also ``(prompt, clip_out)``, both (A, S, C).
        """
        name = type(self).__name__
        P, S = len(self.fixed_segments), self.context_length
        device = self.text_proj.weight.device
        if self.action_slot is not None:
            if action_ids is None or action_ids.dim() != 2 or action_ids.shape[1] != S:
                raise ValueError(f'{name}: action_ids must be (A, {S}), got '
                                 f'{None if action_ids is None else tuple(action_ids.shape)}')
            A = action_ids.shape[0]
            action_ids = action_ids.to(device).long()
        else:
            A = 1 if part_ids.dim() == 2 else part_ids.shape[0]
        if part_ids.shape[-2:] != (P, S):
            raise ValueError(f'{name}: part_ids must be (P, S) = ({P}, {S}) or (A, P, S), got '
                             f'{tuple(part_ids.shape)}')
        part_ids = part_ids.to(device).long().expand(A, P, S)
        embed = self.text_model.embeddings
        n = self.num_kept_tokens
        pieces, fixed = [], 0
        for i, seg in enumerate(self.segments):
            if i == self.action_slot:
                ids = action_ids[:, :n]
            else:
                ids = part_ids[:, fixed, :n]
                fixed += 1
            context = self.prompt_context[seg['name']]
            pieces += [context.expand(A, -1, -1), embed.token_embedding(ids).to(context.dtype)]
        prompt = torch.cat(pieces, dim=1) + embed.position_embedding.weight[:S]
        clip_out = encode_prompt_embeddings(self.text_model, prompt)
        tokens = self.text_norm(self.text_transformer(clip_out))
        index = self.pool_positions(A, action_ids)
        pooled = self.text_proj(tokens[torch.arange(A, device=device), index])
        if return_clip:
            return tokens, pooled, prompt, clip_out
        return tokens, pooled

    def pool_positions(self, num_rows: int, action_ids: Optional[Tensor] = None) -> Tensor:
        """Pooled position of each of A rows (A,): the argmax of the action
        ids (``'action_eot'``) or the fixed position."""
        if self.pool_index == 'action_eot':
            return action_ids.argmax(dim=-1)
        return torch.full((num_rows, ), self.pool_index % self.context_length, dtype=torch.long,
                          device=self.text_proj.weight.device)

    def row_token_ids(self, key: Hashable) -> Tuple[Tensor, Optional[Tensor]]:
        """(part ids (P, S), action ids (1, S) or None) of one row, tokenized
        once per key."""
        if key not in self._token_cache:
            parts = self.tokenize([seg['text'] for seg in self.fixed_segments])
            action = None if self.action_slot is None else self.tokenize([key])
            self._token_cache[key] = (parts, action)
        return self._token_cache[key]

    def rows_token_ids(self, keys: Sequence[Hashable]) -> Tuple[Tensor, Optional[Tensor]]:
        """Ids of A rows (action words): part ids (A, P, S) and action ids
        (A, S), or None without an action segment."""
        ids = [self.row_token_ids(key) for key in keys]
        parts = torch.stack([p for p, _ in ids])
        actions = None if self.action_slot is None else torch.cat([a for _, a in ids])
        return parts, actions

    def _encode_rows(self, keys: List[Hashable]) -> Tuple[Tensor, Tensor]:
        return self.encode_tokens(*self.rows_token_ids(keys))

    def forward(self, actions: Sequence[Optional[str]]) -> Tuple[Tensor, Tensor]:
        """Text features of each sample.

        The text path runs once per distinct action word of the batch, and
        not at all for words already cached (no gradient can reach the
        parameters, e.g. evaluation).

        Args:
            actions (Sequence[str | None]): B action names (``'Walking 1'``,
                ``'TakingPhoto'``, ...), None for action-agnostic prompts;
                only the length matters without an action segment.

        Returns:
            tuple[Tensor, Tensor]: Token features (B, S, C) and pooled
            features (B, C).
        """
        words = [None if self.action_slot is None else self.action_text(a) for a in actions]
        keys = list(dict.fromkeys(words))
        index = torch.as_tensor([keys.index(w) for w in words], device=self.text_proj.weight.device)
        tokens, pooled = self.prompt_cache(keys, self._encode_rows, self.parameters())
        return tokens[index], pooled[index]
