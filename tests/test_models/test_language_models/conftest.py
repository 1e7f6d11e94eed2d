"""Tiny offline CLIP tokenizer and text tower for the language-model tests."""
import json
import re
from pathlib import Path
from typing import Iterable

import pytest

from metapose_plugin.models.language_models import H36M_ACTION_DESCRIPTIONS, JointPromptBuilder


def write_tiny_clip_tokenizer(folder: Path, texts: Iterable[str]) -> int:
    """Write a CLIP BPE ``vocab.json`` + ``merges.txt`` covering ``texts``.

    Every character (and its end-of-word form) is a token and each word of
    ``texts`` has a left-to-right merge chain; ``<|startoftext|>`` and
    ``<|endoftext|>`` get the two largest ids, as in CLIP. Returns the vocab
    size.
    """
    words = sorted({w for t in texts for w in re.findall(r'[a-z]+|[0-9]|[^\sa-z0-9]+', t.lower())})
    vocab = []
    for char in sorted({c for w in words for c in w}):
        vocab += [char, char + '</w>']
    seen, merges = set(vocab), []
    for word in words:
        pieces = list(word[:-1]) + [word[-1] + '</w>']
        current = pieces[0]
        for piece in pieces[1:]:
            merges.append(f'{current} {piece}')
            current += piece
            if current not in seen:
                seen.add(current)
                vocab.append(current)
    vocab += ['<|startoftext|>', '<|endoftext|>']
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'vocab.json').write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (folder / 'merges.txt').write_text('#version: 0.2\n' + '\n'.join(dict.fromkeys(merges)) + '\n')
    return len(vocab)


def all_prompts() -> list:
    """Every default and action-agnostic H36M prompt."""
    builder = JointPromptBuilder()
    texts = [p for action in H36M_ACTION_DESCRIPTIONS for p in builder.build(action)]
    return texts + JointPromptBuilder(action_agnostic=True).build()


def tiny_text_config(vocab_size: int) -> dict:
    """HF-tester-sized CLIPTextConfig arguments (hidden 32, 2 layers, 4 heads)."""
    return dict(vocab_size=vocab_size, hidden_size=32, intermediate_size=37, projection_dim=24,
                num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=77,
                bos_token_id=vocab_size - 2, eos_token_id=vocab_size - 1, pad_token_id=0)


@pytest.fixture
def tiny_clip(tmp_path):
    """(tokenizer folder, text_config) of a tiny offline CLIP."""
    folder = tmp_path / 'tokenizer'
    return str(folder), tiny_text_config(write_tiny_clip_tokenizer(folder, all_prompts()))
