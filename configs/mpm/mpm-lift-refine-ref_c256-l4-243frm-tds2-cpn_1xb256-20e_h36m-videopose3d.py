# The reference's second fine-tuning stage: P-STMO's refine module on top of
# the fine-tuned lifter (started from its last checkpoint, `load_from`), lr
# 1e-4, loss on the refined centre frame only. The module back-projects the
# centre 2D with the GROUND-TRUTH root depth (the codec's target_root), at
# test time too: its P1/P2 use test ground truth beyond the 2D input and are
# not comparable with the lifter's (prefix `gt_root_depth`). Hence `-ref`
# only; the default lifter has no refine stage. Epoch count not in the SPEC.
_base_ = ['./mpm-lift_c256-l4-243frm-tds2-cpn_1xb256-50e_h36m-videopose3d.py']

# where `tools/train.py <the lift config>` writes, run from the repository root;
# the lifter's checkpoint has no refine module: training starts from a partial
# fit on purpose (testing and --resume stay strict)
load_from = ('{{ fileDirname }}/../../work_dirs/'
             'mpm-lift_c256-l4-243frm-tds2-cpn_1xb256-50e_h36m-videopose3d/best_P1.pth')
load_from_partial = True
model = dict(backbone=dict(init_cfg=None), refine=dict(hidden_dims=1024, drop=0.5),
             train_cfg=dict(refine_only=True))
train_cfg = dict(max_epochs=20)
val_evaluator = dict(prefix='gt_root_depth')
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='gt_root_depth/P1'))
