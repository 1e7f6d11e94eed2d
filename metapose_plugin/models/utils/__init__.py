"""Per-method helpers of the models, one subpackage per method (not registered):
:mod:`.finepose` (diffusion schedule and noise, part-text cross-attention),
:mod:`.mpm` (MPM's transformer blocks, pose ops, UVD refinement),
:mod:`.multiview` (multi-view MetaPose's Keras-style layers and deep inverse
solver)."""
