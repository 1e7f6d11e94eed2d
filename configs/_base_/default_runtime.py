# The plugin's runtime defaults: MMPose's (hooks, logging, visualizer,
# environment), plus what every training config of every method gets:
# - AtomicCheckpointHook: a checkpoint is complete or absent, last_checkpoint
#   never names a missing file, outdated checkpoints are removed only after
#   the new one is in place, leftovers of a killed save are removed at the
#   next start, and the random states travel with the checkpoint (an
#   interrupted run resumed with --resume ends with the same weights);
# - StrictLoadRunner (built by the plugin's tools/train.py and tools/test.py):
#   load_from, --resume and tools/test.py refuse a checkpoint that does not
#   fit the model (error naming the file and the first mismatching keys);
#   load_from_partial=True starts training from a partial fit on purpose
#   (multi-view MetaPose's stage-by-stage training).
# Configs built on an MMPose recipe (video_pose_lift/, motionbert/) cannot
# take a second runtime base (MMEngine refuses keys shared by two bases) and
# set these three keys themselves; tests/test_configs/test_runtime_configs.py
# checks that every training config resolves to them.
_base_ = ['mmpose::_base_/default_runtime.py']

runner_type = 'StrictLoadRunner'
load_from_partial = False
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))
