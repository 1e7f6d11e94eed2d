# A tiny FinePOSE (27 frames, width 32, 2 block pairs, random 2-layer CLIP
# with the offline tokenizer of the MetaPose tiny config, H = 2, K = 2) on the
# synthetic sample in data/h36m_videopose3d_sample, one epoch on a CPU: proof
# that the recipe trains and tests through tools/train.py and tools/test.py;
# the numbers mean nothing. Validation on S5 (the sample's second training
# subject), test on S9/S11.
_base_ = ['./finepose_mixste-243frm-cpn_clip-b32_1xb4-100e_h36m-videopose3d.py']

seq_len = 27
text_vocab_size = 1037
model = dict(
    backbone=dict(num_frames=seq_len, embed_dims=32, depth=2, num_heads=4),
    text_encoder=dict(
        model_name_or_path=None,
        tokenizer_name_or_path='{{ fileDirname }}/../metapose/_tiny_clip_tokenizer',
        text_config=dict(
            vocab_size=text_vocab_size,
            hidden_size=32,
            intermediate_size=37,
            projection_dim=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            hidden_act='quick_gelu',
            bos_token_id=text_vocab_size - 2,
            eos_token_id=text_vocab_size - 1,
            pad_token_id=0),
        num_layers=1,
        num_heads=4,
        feedforward_channels=64),
    test_cfg=dict(num_hypotheses=2, num_steps=2))

sample = dict(data_root={{_base_.videopose3d_sample_root}}, seq_len=seq_len)
loader = dict(num_workers=0, persistent_workers=False, dataset=sample)
train_dataloader = dict(loader, dataset=dict(sample, subjects=['S1']))
val_dataloader = dict(loader, dataset=dict(sample, subjects=['S5']))
test_dataloader = dict(loader, dataset=dict(sample))
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [dict(type='ExponentialLR', gamma=0.993, end=1, by_epoch=True)]
default_hooks = dict(logger=dict(interval=4))
