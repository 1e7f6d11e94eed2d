# Reference behaviour (google-research/metapose, README's H36M command): the
# stage-1 initialisation leaves view 0's own estimate out and aligns with the
# reference's Procrustes (reflections allowed, norm-ratio scale), one-step-lagged
# loss reports, Keras's Adam update, validation on the first 64 training
# frames and model selection / early stopping on ground-truth 3D PMPJPE
# with the reference's Procrustes (reflections allowed, norm-ratio scale).
_base_ = ['./multiview-metapose_ccat-mlp-1stage_1xb128-3000e_h36m-4cam.py']

stage1 = dict(
    type='MultiViewMetaPoseS1Solver',
    opt_steps=100,
    report_n_results=50,
    learning_rate=1e-2,
    init_with_view0=False,
    proper_init=False,
    report_mode='reference')
train_subjects = ['S1', 'S5', 'S6', 'S7', 'S8']
train_dataloader = dict(dataset=dict(subjects=train_subjects, stage1=stage1))
val_dataloader = dict(dataset=dict(subjects=train_subjects, stage1=stage1, indices=64))
test_dataloader = dict(dataset=dict(stage1=stage1))
optim_wrapper = dict(optimizer=dict(_delete_=True, type='KerasAdam', lr=1e-4, eps=1e-7))
default_hooks = dict(checkpoint=dict(save_best='multiview/pmpjpe_ref', rule='less'))
custom_hooks = [
    dict(type='EarlyStoppingHook', monitor='multiview/pmpjpe_ref', rule='less', patience=500)
]
