"""CLIP text tower with learnable per-joint prompt context (MetaPose).

The tower is HF ``transformers``' ``CLIPTextModelWithProjection`` (CLIP,
Radford et al., ICML 2021); this module composes its parts (token and
position embeddings, causal encoder, final layer norm, projection) and adds
only the MetaPose glue: the per-joint learnable context vectors (CoOp, Zhou et
al., IJCV 2022) and the per-joint pooling. Pattern: MMDetection's
``language_models/bert.py``.
"""
from typing import Dict, Hashable, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor, nn

from .clip_text_loading import (build_clip_text_tower, encode_prompt_embeddings,
                                load_clip_tokenizer, tokenize_padded)
from .joint_prompt_builder import JointPromptBuilder
from .prompt_feature_cache import PromptFeatureCache


@MODELS.register_module()
class CLIPJointPromptEncoder(BaseModule):
    """Encode per-joint action prompts into CLIP text features.

    For each joint k the tokens of its prompt are embedded, the last N token
    embeddings are dropped and N learnable vectors ``learnable_prompts[N k :
    N (k + 1)]`` are prepended (the sequence keeps length S), the position
    embedding is added, and the frozen causal CLIP encoder, final layer norm
    and projection run. The tower and the tokenizer are frozen; only the
    learnable prompts may train.

    Pooling index (see SPEC section 4): CLIP reads the end-of-text (EOT)
    token, found as ``argmax(token ids)`` because EOT has the largest id of
    the vocabulary (HF keeps this as its legacy pooling branch).
    ``faithful=True`` reads the EOT index of the *unshifted* ids, i.e. the
    token N places before EOT after the shift (reference quirk, fixture README
    behaviour 5); the default reads the shifted, real EOT position (prompts
    are truncated to S - N tokens so that it always exists).

    Note:
        - B: batch, K: joints, A: distinct prompt rows (actions)
        - S: text length (77 for CLIP), N: learnable vectors per joint
        - C: text width, C_text: projected text channels

    Args:
        model_name_or_path (str, optional): HF model id or local folder of a
            CLIP model, e.g. ``'openai/clip-vit-base-patch32'`` (C_text 512)
            or ``'openai/clip-vit-large-patch14'`` (C_text 768). Ignored when
            ``text_config`` is given.
        text_config (dict, optional): ``CLIPTextConfig`` keyword arguments
            to build a randomly initialised tower instead (tests).
        tokenizer_name_or_path (str, optional): HF id or local folder of the
            ``CLIPTokenizer``. Defaults to ``model_name_or_path``. Without a
            tokenizer only :meth:`encode_tokens` is available.
        num_joints (int): K. Defaults to 17.
        num_prompt_tokens (int): N learnable vectors per joint. Defaults to 10.
        action_agnostic (bool): Prompts without the action (in-the-wild
            inference): one prompt row for every sample. Defaults to False.
        faithful (bool): Reference behaviour: unshifted pooling index and the
            ``train.py`` action-slot quirk when building prompts (row i: the
            description of the i-th distinct action, the i-th batch action in
            the slot). The reference orders distinct actions by Python's
            string hash (``list(set(actions))``); here they are in order of
            first appearance, so rows are reproducible. Defaults to False.
        train_prompts (bool): Whether ``learnable_prompts`` requires grad.
            The reference never optimised them (use False with
            ``faithful``). Defaults to True.
        builder_cfg (dict, optional): Extra :class:`JointPromptBuilder`
            keyword arguments (joint names, parts, descriptions).
        attn_implementation (str): HF attention backend, ``'sdpa'`` or
            ``'eager'`` (both honour the explicit causal mask). Defaults to
            ``'sdpa'``.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 model_name_or_path: Optional[str] = 'openai/clip-vit-base-patch32',
                 text_config: Optional[dict] = None,
                 tokenizer_name_or_path: Optional[str] = None,
                 num_joints: int = 17,
                 num_prompt_tokens: int = 10,
                 action_agnostic: bool = False,
                 faithful: bool = False,
                 train_prompts: bool = True,
                 builder_cfg: Optional[dict] = None,
                 attn_implementation: str = 'sdpa',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.text_model, self.text_projection = build_clip_text_tower(
            'CLIPJointPromptEncoder', model_name_or_path, text_config,
            attn_implementation=attn_implementation)
        self.tokenizer = load_clip_tokenizer(tokenizer_name_or_path, model_name_or_path,
                                             text_config)

        self.num_joints = num_joints
        self.num_prompt_tokens = num_prompt_tokens
        self.context_length = self.text_model.embeddings.position_embedding.num_embeddings
        if num_prompt_tokens >= self.context_length:
            raise ValueError(f'CLIPJointPromptEncoder: num_prompt_tokens ({num_prompt_tokens}) '
                             f'must be below the text length S ({self.context_length})')
        self.faithful = faithful
        self.builder = JointPromptBuilder(action_agnostic=action_agnostic, **(builder_cfg or {}))
        if self.builder.num_joints != num_joints:
            raise ValueError(f'CLIPJointPromptEncoder: the prompt builder has '
                             f'{self.builder.num_joints} joints, num_joints is {num_joints}')
        width = self.text_model.embeddings.token_embedding.embedding_dim
        self.learnable_prompts = nn.Parameter(
            torch.empty(num_joints * num_prompt_tokens, width), requires_grad=train_prompts)
        self._reset_prompts()
        self.prompt_cache = PromptFeatureCache()
        self._token_cache: Dict[Hashable, Tensor] = {}

    @property
    def out_channels(self) -> int:
        """C_text, the channels of the returned features."""
        return self.text_projection.out_features

    def _reset_prompts(self) -> None:
        token_weights = self.text_model.embeddings.token_embedding.weight
        with torch.no_grad():
            self.learnable_prompts.normal_(token_weights.mean().item(), token_weights.std().item())

    def init_weights(self) -> None:
        """Draw the learnable prompts from N(mean, std) of the token
        embedding, as the reference does; the CLIP tower is left as loaded."""
        super().init_weights()
        self._reset_prompts()

    def train(self, mode: bool = True) -> 'CLIPJointPromptEncoder':
        """Switch mode; the frozen CLIP tower always stays in eval mode."""
        super().train(mode)
        self.text_model.eval()
        return self

    def tokenize(self, prompts: Sequence[str]) -> Tensor:
        """Tokenize prompts into CLIP ids padded with 0 to length S.

        Default mode truncates to S - N tokens (SOT and EOT kept) so that the
        EOT survives the prompt shift; faithful mode truncates to S, as
        ``clip.tokenize`` would accept.

        Args:
            prompts (Sequence[str]): Prompt strings.

        Returns:
            Tensor: Token ids in shape (len(prompts), S), int64.
        """
        max_length = self.context_length - (0 if self.faithful else self.num_prompt_tokens)
        return tokenize_padded(self.tokenizer, 'CLIPJointPromptEncoder', prompts,
                               self.context_length, max_length)

    def encode_tokens(self, token_ids: Tensor) -> Tensor:
        """Run the prompted CLIP tower on pre-tokenized prompts.

        Args:
            token_ids (Tensor): Ids in shape (A, K, S), one row per prompt
                set, joint k's prompt in ``[:, k]`` (e.g. the fixture's
                ``text_tokens``).

        Returns:
            Tensor: Features in shape (A, K, C_text).
        """
        A, K, S = token_ids.shape
        N = self.num_prompt_tokens
        if K != self.num_joints or S != self.context_length:
            raise ValueError(f'CLIPJointPromptEncoder: token_ids must be (A, {self.num_joints}, '
                             f'{self.context_length}), got {tuple(token_ids.shape)}')
        token_ids = token_ids.to(self.learnable_prompts.device).long()
        embeddings = self.text_model.embeddings
        tokens = embeddings.token_embedding(token_ids)
        # (K*N, C) -> (1, K, N, C) -> (A, K, N, C)
        context = self.learnable_prompts.view(1, K, N, -1).expand(A, -1, -1, -1)
        # drop the last N token embeddings, prepend the context: (A, K, S, C) -> (A*K, S, C)
        hidden = torch.cat([context.to(tokens.dtype), tokens[:, :, :S - N]], dim=2).flatten(0, 1)
        hidden = hidden + embeddings.position_embedding.weight[:S]
        hidden = encode_prompt_embeddings(self.text_model, hidden)
        eot = token_ids.flatten(0, 1).argmax(dim=-1)
        if not self.faithful:
            eot = eot + N
            if (eot >= S).any():
                raise ValueError(f'CLIPJointPromptEncoder: a prompt has its end-of-text token '
                                 f'beyond position {S - N - 1}, so the {N}-token shift cuts it '
                                 f'off; tokenize with max_length {S - N} (see tokenize)')
        pooled = hidden[torch.arange(A * K, device=hidden.device), eot]
        return self.text_projection(pooled).view(A, K, -1)

    def prompt_rows(self, actions: Sequence[Optional[str]],
                    row_order: Optional[Sequence[str]] = None
                    ) -> Tuple[List[Hashable], List[int]]:
        """Distinct prompt rows of a batch and each sample's row index.

        Default: one row per distinct action; a sample whose action is None
        (no ground-truth action, e.g. video) and every sample in
        action-agnostic mode use the action-agnostic row, key None.
        Faithful: row i combines the description of the i-th distinct action
        with the i-th *batch* action, in the reference's spelling, in the
        action slot (the ``train.py`` quirk, fixture README behaviour 6); the
        key is that pair.

        Args:
            actions (Sequence[str | None]): B per-sample actions.
            row_order (Sequence[str], optional): The distinct actions in row
                order. Faithful rows depend on it: the reference used
                ``list(set(actions))``, an order of Python's string hash that
                its fixtures record. Defaults to first appearance.

        Returns:
            tuple: A row keys (see :meth:`row_prompts`) and B row indices.
        """
        if self.builder.action_agnostic:
            return [None], [0] * len(actions)
        action_set = list(dict.fromkeys(actions))
        if row_order is not None:
            if sorted(map(str, row_order)) != sorted(map(str, action_set)):
                raise ValueError(f'CLIPJointPromptEncoder: row_order {list(row_order)} must hold '
                                 f'each distinct action of the batch once: {action_set}')
            action_set = list(row_order)
        if not self.faithful:
            return action_set, [action_set.index(action) for action in actions]
        keys = []
        for i, action in enumerate(action_set):
            slot = actions[i] if actions[i] is not None else action
            keys.append(None if action is None else
                        (action, self.builder.reference_spelling(slot)))
        return keys, [action_set.index(action) for action in actions]

    def row_prompts(self, key: Hashable) -> List[str]:
        """The K prompt strings of one row key of :meth:`prompt_rows`: None
        (action-agnostic), an action, or a faithful (action, slot word)
        pair."""
        if key is None:
            return self.builder.build_agnostic()
        if isinstance(key, tuple):
            return self.builder.build(key[0], slot_action=key[1])
        return self.builder.build(key)

    def row_token_ids(self, key: Hashable) -> Tensor:
        """Token ids (K, S) of one row key's prompts, tokenized once per key."""
        if key not in self._token_cache:
            self._token_cache[key] = self.tokenize(self.row_prompts(key))
        return self._token_cache[key]

    def forward(self, actions: Sequence[Optional[str]],
                row_order: Optional[Sequence[str]] = None) -> Tensor:
        """Text features of each sample's prompts: :meth:`prompt_rows`,
        :meth:`row_token_ids`, then :meth:`encode_tokens` on the rows.

        The CLIP tower runs once per distinct prompt row of the batch, and not
        at all for rows already cached (frozen prompts or no grad).

        Args:
            actions (Sequence[str | None]): B per-sample action names
                (canonical H36M names, e.g. ``'TakingPhoto'``), None for
                action-agnostic prompts; ignored, except for its length, in
                action-agnostic mode.
            row_order (Sequence[str], optional): Row order of the distinct
                actions (see :meth:`prompt_rows`); matters in faithful mode
                only.

        Returns:
            Tensor: Features in shape (B, K, C_text).
        """
        keys, index = self.prompt_rows(list(actions), row_order)
        rows = self.prompt_cache(
            keys,
            lambda some: self.encode_tokens(torch.stack([self.row_token_ids(k) for k in some])),
            self.parameters())
        return rows[torch.as_tensor(index, device=rows.device)]
