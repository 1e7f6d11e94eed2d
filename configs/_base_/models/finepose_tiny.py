# A tiny FinePOSE for CPU smoke runs on the shipped samples: 27 frames, width
# 32, 2 block pairs, a random 2-layer CLIP text tower with the offline
# tokenizer of the MetaPose tiny config (1037 tokens, the last two BOS/EOS),
# H = 2 hypotheses, K = 2 steps. A tiny config applies it to a FinePOSE
# config's model with `model = _base_.finepose_tiny_model` and windows of
# `_base_.finepose_tiny_seq_len` frames.
finepose_tiny_seq_len = 27
finepose_tiny_model = dict(
    backbone=dict(num_frames=finepose_tiny_seq_len, embed_dims=32, depth=2, num_heads=4),
    text_encoder=dict(
        model_name_or_path=None,
        tokenizer_name_or_path='metapose_plugin::tiny_clip_tokenizer',
        text_config=dict(
            vocab_size=1037,
            hidden_size=32,
            intermediate_size=37,
            projection_dim=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            hidden_act='quick_gelu',
            bos_token_id=1035,
            eos_token_id=1036,
            pad_token_id=0),
        num_layers=1,
        num_heads=4,
        feedforward_channels=64),
    test_cfg=dict(num_hypotheses=2, num_steps=2))
