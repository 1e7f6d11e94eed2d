# Tiny CA-PF for tests and the embedded sample: random small HRNet, narrow
# lifter, one epoch. Same data pipeline as the W32 recipe.
_base_ = ['./capf_hrnet-w32-cpn_1xb512-60e_h36m-256x192.py']

embed_dims = 16

model = dict(
    backbone={{_base_.hrnet_tiny.backbone}},
    neck=dict(
        feat_channels={{_base_.hrnet_tiny.neck.feat_channels}},
        embed_dims=embed_dims,
        num_blocks=2,
        num_heads=2,
        num_points=2),
    head=dict(embed_dims=embed_dims, num_blocks=1, num_heads=2))

train_cfg = dict(max_epochs=1)
param_scheduler = [dict(type='ExponentialLR', gamma=0.99, by_epoch=True, end=1)]
# the 4-frame sample shipped in data/h36m_sample, loaded in the main process
loader = dict(
    batch_size=2, num_workers=0, persistent_workers=False, dataset={{_base_.h36m_sample}})
train_dataloader = loader
val_dataloader = loader
test_dataloader = loader
