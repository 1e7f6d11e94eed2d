# Ablation S1+S2/BL of the reference README (bone lengths): the task carries
# the 16 normalised ground-truth bone lengths and a bone-length loss is added
# (reference flags --use_bone_len=true --lambda_limb_len_loss=1). Uses 3D.
_base_ = ['./multiview-metapose_ccat-mlp-1stage_1xb128-3000e_h36m-4cam.py']

model = dict(use_bone_lengths=True, loss_weights=dict(bone=1.0))
bones = dict(dataset=dict(use_bone_lengths=True))
train_dataloader = bones
val_dataloader = bones
test_dataloader = bones
