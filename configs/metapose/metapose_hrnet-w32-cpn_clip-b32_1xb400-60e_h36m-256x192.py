# MetaPose, single frame, on Human3.6M with CPN 2D detections, a frozen COCO
# HRNet-W32 and a frozen CLIP ViT-B/32 text tower with learnable per-joint
# prompts. Default (fixed) behaviour, SPEC section 6: deterministic
# evaluation, an alignment prompt not erased by its layer norm, a KL term and
# optimised prompts. SPEC section 5: AdamW (weight decay 0.1), lr 1e-3 x 0.99
# per epoch, batch 400 on one GPU, MPJPE loss, flip augmentation and flip test.
# The reference has no epoch count; 60 epochs is our choice.
_base_ = [
    '../capf/capf_hrnet-w32-cpn_1xb512-60e_h36m-256x192.py',
    '../_base_/models/metapose_variants.py'
]

clip_model = 'openai/clip-vit-base-patch32'
text_channels = 512
faithful = False

model = dict(
    text_encoder=dict(
        type='CLIPJointPromptEncoder',
        model_name_or_path=clip_model,
        num_joints={{_base_.num_keypoints}},
        num_prompt_tokens=10,
        faithful=faithful,
        train_prompts=True),
    neck=dict(
        _delete_=True,
        type='MetaPoseNeck',
        feat_channels=(32, 64, 128, 256),
        text_channels=text_channels,
        embed_dims={{_base_.embed_dims}},
        num_keypoints={{_base_.num_keypoints}},
        num_blocks=4,
        num_heads=4,
        num_points=4,
        drop_path_range=(0.1, 0.2),
        faithful=faithful,
        kl_weight=1e-3),
    head=dict(drop_path_range=(0.1, 0.2), with_pos_embed=True))

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.1))
train_dataloader = dict(batch_size=400)
val_dataloader = dict(batch_size=400)
test_dataloader = val_dataloader
