"""Stage-1 solver of multi-view MetaPose: batching, reports, initialisation."""
import pytest
import torch

from metapose_plugin.models.pose_estimators.multiview_metapose_s1_solver import \
    MultiViewMetaPoseS1Solver
from metapose_plugin.structures.multiview.multiview_geometry import (align_aba, rotation_to_6d,
                                                                     scale_to_param)
from metapose_plugin.testing.multiview_problem import random_stage1_problem


def _problem(frames=3, views=4, seed=0):
    return random_stage1_problem(frames, views=views, seed=seed)


def test_batched_run_equals_frame_by_frame():
    torch.set_num_threads(1)
    mono, mixtures, _ = _problem()
    solver = MultiViewMetaPoseS1Solver(opt_steps=12, report_n_results=4)
    batched = solver(mono, mixtures)
    for frame in range(3):
        single = solver(mono[frame:frame + 1], mixtures[frame:frame + 1])
        for key in ('loss', 'pose', 'rot', 'scale', 'shift'):
            torch.testing.assert_close(batched[key][:, frame], single[key][:, 0], atol=2e-6,
                                       rtol=0)


def test_reference_reports_lag_one_step_and_skip_the_last_update():
    mono, mixtures, _ = _problem(frames=2)
    solver = MultiViewMetaPoseS1Solver(opt_steps=6, report_n_results=7, report_mode='reference')
    out = solver(mono, mixtures)
    assert out['iters'].tolist() == [0, 1, 2, 3, 4, 5]
    torch.testing.assert_close(out['loss'][0], out['loss'][1])
    for i in range(1, 5):  # report i+1 carries the objective of report i's parameters
        objective = solver.objective(out['pose'][i], rotation_to_6d(out['rot'][i]),
                                     scale_to_param(out['scale'][i]), out['shift'][i], mixtures)
        torch.testing.assert_close(out['loss'][i + 1], objective, atol=1e-5, rtol=0)
    cadence = MultiViewMetaPoseS1Solver(opt_steps=100, report_n_results=50,
                                        report_mode='reference')
    steps = [s for s in range(100) if s % cadence.report_every == 0 or s == 99]
    assert len(steps) == 51 and steps[-2:] == [98, 99]


def test_current_reports_end_after_the_last_update_and_lower_the_objective():
    mono, mixtures, _ = _problem(frames=2)
    solver = MultiViewMetaPoseS1Solver(opt_steps=30, report_n_results=4)
    out = solver(mono, mixtures)
    assert out['iters'].tolist() == [0, 10, 20, 30]
    final = solver.objective(out['pose'][-1], rotation_to_6d(out['rot'][-1]),
                             scale_to_param(out['scale'][-1]), out['shift'][-1], mixtures)
    torch.testing.assert_close(out['loss'][-1], final)
    assert (out['loss'][-1] < out['loss'][0] - 0.5).all()


def test_initialisation_view0_canonical_and_reference_leaves_view0_out():
    mono, _, _ = _problem(frames=2, views=2)
    ref = MultiViewMetaPoseS1Solver(init_with_view0=False, proper_init=False).initialise(mono)
    default = MultiViewMetaPoseS1Solver().initialise(mono)
    assert torch.equal(ref['rot'][:, 0], torch.eye(3).expand(2, 3, 3))
    assert torch.equal(ref['scale'][:, 0], torch.ones(2))
    torch.testing.assert_close(ref['shift'][:, 0], mono[:, 0].mean(1))
    view1_in_view0 = align_aba(mono[:, 0], mono[:, 1]).b2a
    torch.testing.assert_close(ref['pose'], view1_in_view0 - mono[:, 0].mean(1, keepdim=True))
    proper = align_aba(mono[:, 0], mono[:, 1], proper=True)
    both = (proper.b2a + mono[:, 0]) / 2 - mono[:, 0].mean(1, keepdim=True)
    torch.testing.assert_close(default['pose'], both)
    torch.testing.assert_close(default['scale'][:, 1], proper.scale)
    # a mirrored view: the reference keeps the reflection, the default does not
    mirrored = mono.clone()
    mirrored[:, 1, :, 2] *= -1
    assert (torch.linalg.det(MultiViewMetaPoseS1Solver(proper_init=False).initialise(
        mirrored)['rot'][:, 1]) < 0).all()
    assert (torch.linalg.det(MultiViewMetaPoseS1Solver().initialise(mirrored)['rot'][:, 1]) >
            0).all()


def test_bad_inputs_are_named():
    mono, mixtures, _ = _problem(frames=1)
    solver = MultiViewMetaPoseS1Solver(bone_lambda=1.0)
    with pytest.raises(ValueError, match='ref_bone_lengths'):
        solver(mono, mixtures)
    with pytest.raises(ValueError, match='mixtures'):
        solver(mono, mixtures[:, :2])
    with pytest.raises(ValueError, match='V >= 2'):
        solver.initialise(mono[:, :1])
    with pytest.raises(ValueError, match='report_mode'):
        MultiViewMetaPoseS1Solver(report_mode='lagged')
