"""OpenAI CLIP's BPE vocabulary as an HF tokenizer folder, offline.

The MetaPose and FinePOSE fixtures were tokenized with ``clip.tokenize``
(openai-clip 1.0.1): 49408 ids, start of text 49406, end of text 49407. The
production encoders tokenize with HF ``CLIPTokenizer`` loaded from a folder;
this module writes such a folder from the same vocabulary as shipped in
``open_clip_torch`` (its ``bpe_simple_vocab_16e6.txt.gz`` is OpenAI's file;
open_clip is by Ilharco et al., LAION), so that the parity checks run the
production tokenisation without a download.
"""
import os.path as osp


def write_reference_clip_tokenizer(folder: str) -> str:
    """Save an HF ``CLIPTokenizer`` with OpenAI CLIP's vocabulary and merges
    into ``folder`` and return the folder.

    Raises:
        ImportError: ``open_clip_torch`` is not installed (the ``parity``
            extra of this package).
    """
    try:
        from open_clip.tokenizer import SimpleTokenizer
    except ImportError as err:
        raise ImportError('the MetaPose and FinePOSE parity checks tokenize with OpenAI '
                          "CLIP's vocabulary from open_clip_torch: pip install "
                          '"metapose-plugin[parity]" (or open_clip_torch)') from err
    from transformers import CLIPTokenizer

    bpe = SimpleTokenizer()
    merges = sorted(bpe.bpe_ranks, key=bpe.bpe_ranks.get)
    start, end = bpe.decoder[bpe.sot_token_id], bpe.decoder[bpe.eot_token_id]
    tokenizer = CLIPTokenizer(vocab=dict(bpe.encoder), merges=merges, bos_token=start,
                              eos_token=end, unk_token=end, pad_token=end)
    tokenizer.save_pretrained(folder)
    return osp.abspath(folder)
