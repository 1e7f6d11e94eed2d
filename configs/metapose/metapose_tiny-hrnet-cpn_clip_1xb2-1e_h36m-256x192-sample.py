# Tiny MetaPose for tests and the embedded sample: random small HRNet, a
# random 2-layer CLIP text tower and the offline tokenizer shipped next to
# this file (vocabulary of the H36M prompts only), narrow lifter, one epoch.
# Nothing is downloaded.
_base_ = ['./metapose_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py']

embed_dims = 16
text_vocab_size = 1037

model = dict(
    backbone={{_base_.hrnet_tiny.backbone}},
    text_encoder=dict(
        model_name_or_path=None,
        tokenizer_name_or_path='metapose_plugin::tiny_clip_tokenizer',
        text_config=dict(
            vocab_size=text_vocab_size,
            hidden_size=32,
            intermediate_size=37,
            projection_dim=24,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            bos_token_id=text_vocab_size - 2,
            eos_token_id=text_vocab_size - 1,
            pad_token_id=0)),
    neck=dict(
        feat_channels={{_base_.hrnet_tiny.neck.feat_channels}},
        text_channels=24,
        embed_dims=embed_dims,
        num_blocks=2,
        num_heads=2,
        num_points=2,
        align_heads=2),
    head=dict(embed_dims=embed_dims, num_blocks=1, num_heads=2))

train_cfg = dict(max_epochs=1)
param_scheduler = [dict(type='ExponentialLR', gamma=0.99, by_epoch=True, end=1)]
# the 4-frame sample shipped in data/h36m_sample, loaded in the main process
loader = dict(
    batch_size=2, num_workers=0, persistent_workers=False, dataset={{_base_.h36m_sample}})
train_dataloader = loader
val_dataloader = loader
test_dataloader = loader
