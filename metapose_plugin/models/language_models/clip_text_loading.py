"""CLIP text tower plumbing shared by the prompt encoders.

:class:`CLIPJointPromptEncoder` (MetaPose) and :class:`CLIPPartPromptEncoder`
(FinePOSE) both compose HF ``transformers``' CLIP text parts (CLIP, Radford et
al., ICML 2021): build or load the tower frozen, load the BPE tokenizer,
tokenize into zero-padded id rows, and run the causal encoder plus final layer
norm on prompt embeddings they assembled themselves. Those four steps live
here once.
"""
import copy
import os.path as osp
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

ATTN_IMPLEMENTATIONS = ('sdpa', 'eager')


def build_clip_text_tower(owner: str,
                          model_name_or_path: Optional[str] = None,
                          text_config: Optional[dict] = None,
                          with_projection: bool = True,
                          attn_implementation: str = 'sdpa'
                          ) -> Tuple[nn.Module, Optional[nn.Linear]]:
    """Build (``text_config``) or load (HF id or local folder) a frozen CLIP
    text tower.

    Args:
        owner (str): Class name used in error messages.
        model_name_or_path (str, optional): HF model id or local folder, e.g.
            ``'openai/clip-vit-base-patch32'``. Ignored when ``text_config``
            is given.
        text_config (dict, optional): ``CLIPTextConfig`` keyword arguments of
            a randomly initialised tower (tests, parity fixtures).
        with_projection (bool): Also return the text projection. Defaults to
            True.
        attn_implementation (str): HF attention backend, ``'sdpa'`` or
            ``'eager'``. Defaults to ``'sdpa'``.

    Returns:
        tuple: ``(text_model, text_projection)``: HF ``CLIPTextTransformer``
        and the bias-free projection ``nn.Linear`` (None without
        ``with_projection``). Every parameter has ``requires_grad=False``.
    """
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    if attn_implementation not in ATTN_IMPLEMENTATIONS:
        raise ValueError(f'{owner}: attn_implementation must be one of {ATTN_IMPLEMENTATIONS}, '
                         f'got {attn_implementation!r}')
    model_class = CLIPTextModelWithProjection if with_projection else CLIPTextModel
    if text_config is not None:
        config = CLIPTextConfig(**copy.deepcopy(text_config))
        tower = model_class._from_config(config, attn_implementation=attn_implementation)
    elif model_name_or_path is not None:
        tower = model_class.from_pretrained(model_name_or_path,
                                            attn_implementation=attn_implementation)
    else:
        raise ValueError(f'{owner}: give model_name_or_path or text_config')
    tower.requires_grad_(False)
    if with_projection:
        return tower.text_model, tower.text_projection
    # transformers >= 5: CLIPTextModel is the text transformer itself
    return getattr(tower, 'text_model', tower), None


#: Prefix of names resolved to this package's data folder (MMEngine's
#: ``scope::path`` notation), e.g. ``'metapose_plugin::tiny_clip_tokenizer'``.
PACKAGE_DATA_PREFIX = 'metapose_plugin::'

#: The offline tiny CLIP BPE tokenizer (1037 tokens, the last two BOS/EOS) of
#: the tiny configs, tests and benchmarks; shipped in the wheel.
TINY_CLIP_TOKENIZER = PACKAGE_DATA_PREFIX + 'tiny_clip_tokenizer'


def resolve_package_data(name: str) -> str:
    """``name`` with :data:`PACKAGE_DATA_PREFIX` replaced by the folder of
    this package's data; any other name (a path, a hub name) unchanged."""
    if not name.startswith(PACKAGE_DATA_PREFIX):
        return name
    path = osp.join(osp.dirname(__file__), 'data', name[len(PACKAGE_DATA_PREFIX):])
    if not osp.exists(path):
        raise FileNotFoundError(f'{name}: no such data in the installed metapose_plugin ({path})')
    return path


def load_clip_tokenizer(tokenizer_name_or_path: Optional[str] = None,
                        model_name_or_path: Optional[str] = None,
                        text_config: Optional[dict] = None):
    """The ``CLIPTokenizer`` of ``tokenizer_name_or_path``, else of the
    loaded model (``model_name_or_path`` when no ``text_config`` is given),
    else None (the encoder then only accepts pre-tokenized ids)."""
    source = tokenizer_name_or_path or (model_name_or_path if text_config is None else None)
    if source is None:
        return None
    source = resolve_package_data(source)
    from transformers import CLIPTokenizer
    return CLIPTokenizer.from_pretrained(source)


def tokenize_padded(tokenizer, owner: str, texts: Sequence[str], context_length: int,
                    max_length: Optional[int] = None) -> Tensor:
    """CLIP BPE ids of ``texts`` (SOT ... EOT, truncated to ``max_length``
    tokens with SOT and EOT kept), right-padded with 0 to ``context_length``,
    as ``clip.tokenize`` lays them out.

    Returns:
        Tensor: Ids in shape (len(texts), S), int64.
    """
    if tokenizer is None:
        raise RuntimeError(f'{owner}: no tokenizer; set tokenizer_name_or_path or pass '
                           'pre-tokenized ids')
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length or context_length)
    ids = torch.zeros(len(texts), context_length, dtype=torch.long)
    for row, seq in enumerate(encoded['input_ids']):
        ids[row, :len(seq)] = torch.as_tensor(seq)
    return ids


def encode_prompt_embeddings(text_model: nn.Module, hidden: Tensor) -> Tensor:
    """Run CLIP's causal encoder and final layer norm on assembled prompts.

    Args:
        text_model (nn.Module): HF ``CLIPTextTransformer``.
        hidden (Tensor): Prompt embeddings with the position embedding
            already added, in shape (N, S, C).

    Returns:
        Tensor: Normalised hidden states in shape (N, S, C).
    """
    S = hidden.shape[1]
    # additive causal mask (1, 1, S, S): position i attends to positions <= i
    mask = torch.full((S, S), torch.finfo(hidden.dtype).min, device=hidden.device,
                      dtype=hidden.dtype).triu(1)[None, None]
    out = text_model.encoder(inputs_embeds=hidden, attention_mask=mask)
    return text_model.final_layer_norm(out.last_hidden_state)
