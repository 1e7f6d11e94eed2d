"""Stage-2 models of multi-view MetaPose: spec parsing, equivariance, the stage loop."""
import pytest
import torch

from metapose_plugin.models.heads.multiview_heads.equivariant_stage_model import (
    EquivariantStageModel, parse_mlp_spec)
from metapose_plugin.models.heads.multiview_heads.flat_stage_model import FlatStageModel
from metapose_plugin.models.utils.multiview.context_layers import ContextConcatenation
from metapose_plugin.models.utils.multiview.deep_inverse_solver import deep_inverse_solve
from metapose_plugin.models.utils.multiview.dense import Dense
from metapose_plugin.structures.multiview.multiview_packing import (pack_solution, solution_size,
                                                                    unpack_solution)

V, K, M = 3, 5, 2


def _stage_input(batch=4, seed=0, bones=False):
    gen = torch.Generator().manual_seed(seed)
    size = solution_size(V, K) + V * K * M * 4 + (16 if bones else 0) + 2 * V * K + 2
    return torch.randn(batch, size, generator=gen, dtype=torch.float64)


def _permute_views(inputs, perm, bones=False):
    """Permute the view axis of every per-view part of a stage input."""
    x_size, task = solution_size(V, K), V * K * M * 4
    parts = torch.split(inputs, [3 * K, 6 * V, V, 3 * V, task, 16 if bones else 0,
                                 2 * V * K, 2], dim=1)
    pose, rot, scale, shift, mix, bone, fwd, rest = parts
    view = lambda t: t.reshape(t.shape[0], V, -1)[:, perm].flatten(1)  # noqa: E731
    assert sum(p.shape[1] for p in parts) == inputs.shape[1] and x_size == 3 * K + 10 * V
    return torch.cat([pose, view(rot), view(scale), view(shift), view(mix), bone, view(fwd),
                      rest], dim=1)


def test_spec_parsing_builds_the_first_width_twice():
    assert parse_mlp_spec('8,8,ccat,4,cn,6') == [8, 8, 'ccat', 4, 'cn', 6]
    model = EquivariantStageModel(V, K, M, '8,ccat,4,cn,6', pose_emb_size=7, pose_mlp_sizes=(5, ))
    kinds = [type(layer).__name__ for layer in model.main_mlp]
    assert kinds == ['Dense', 'Dense', 'ContextConcatenation', 'Dense', 'ContextNormalization',
                     'Dense', 'Dense']
    assert model.main_mlp[3].in_features == 24  # ccat triples the width
    assert model.main_mlp[0].in_features == 3 * K + 2 + 10 + K * M * 4 + 2 * K
    assert not model.main_mlp[-1].activation and model.main_mlp[-1].out_features == 7 + 10
    for bad in ('ccat,8', '8,relu', ''):
        with pytest.raises(ValueError):
            parse_mlp_spec(bad)


@pytest.mark.parametrize('bones', [False, True])
def test_cameras_equivariant_pose_invariant(bones):
    model = EquivariantStageModel(V, K, M, '8,8,ccat,8,cn,8', pose_emb_size=6,
                                  pose_mlp_sizes=(5, ), use_bone_lengths=bones).double()
    inputs = _stage_input(bones=bones)
    perm = torch.tensor([2, 0, 1])
    out, out_perm = model(inputs), model(_permute_views(inputs, perm, bones))
    sol, sol_perm = unpack_solution(out, V, K), unpack_solution(out_perm, V, K)
    torch.testing.assert_close(sol_perm.pose, sol.pose)
    torch.testing.assert_close(sol_perm.rot6d, sol.rot6d[:, perm])
    torch.testing.assert_close(sol_perm.shift, sol.shift[:, perm])
    flat = FlatStageModel(V, K, M, (8, 4), bones).double()
    assert flat(inputs).shape == out.shape


def test_context_concatenation_population_std():
    feats = torch.tensor([[[1.0], [3.0]]])
    torch.testing.assert_close(ContextConcatenation()(feats),
                               torch.tensor([[[1.0, 2.0, 1.0], [3.0, 2.0, 1.0]]]))


def test_stage_loop_trains_only_the_last_stage():
    gen = torch.Generator().manual_seed(1)
    stages = [EquivariantStageModel(V, K, M, '8,ccat,8', 6, (5, )).double() for _ in range(2)]
    pose = torch.randn(2, K, 3, generator=gen, dtype=torch.float64)
    rot = torch.eye(3, dtype=torch.float64).expand(2, V, 3, 3)
    x = pack_solution(pose, rot, torch.ones(2, V, dtype=torch.float64),
                      torch.zeros(2, V, 3, dtype=torch.float64))
    mix = torch.rand(2, V * K * M * 4, generator=gen, dtype=torch.float64) + 0.1
    out = deep_inverse_solve(stages, x, mix, V, K, M)
    assert len(out['stage_inputs']) == 2 and out['stage_inputs'][1][:, -1].eq(1).all()
    out['x_opt'].sum().backward()
    assert all(p.grad is None for p in stages[0].parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in stages[1].parameters())
    assert isinstance(stages[0].main_mlp[0], Dense)


def test_dropped_inputs_leave_the_rows_and_stop_influencing_the_update():
    """``drop_inputs`` (the reference's ``--debug_drop_mlp_inputs=pose,cams,heatmaps``)."""
    dropped = ('pose', 'cams', 'heatmaps')
    full = EquivariantStageModel(V, K, M, '8,ccat,8', 6, (5, )).double()
    model = EquivariantStageModel(V, K, M, '8,ccat,8', 6, (5, ), drop_inputs=dropped).double()
    inputs = _stage_input()
    # what is left per view: the objective and stage index (2) and the projections (2K)
    assert model.main_mlp[0].in_features == 2 + 2 * K
    assert full.view_rows(inputs).shape[-1] - model.view_rows(inputs).shape[-1] == (
        3 * K + 10 + K * M * 4)
    torch.testing.assert_close(model.view_rows(inputs)[:, 0, :2], inputs[:, -2:])
    # changing the dropped parts (pose, cameras, mixtures) changes nothing; the projections do
    x_and_task = solution_size(V, K) + V * K * M * 4
    changed = inputs.clone()
    changed[:, :x_and_task] += 1.0
    torch.testing.assert_close(model(changed), model(inputs))
    assert not torch.allclose(full(changed), full(inputs))
    changed[:, x_and_task:x_and_task + 2 * V * K] += 1.0
    assert not torch.allclose(model(changed), model(inputs))
    with pytest.raises(ValueError, match="unknown \\['image'\\]"):
        EquivariantStageModel(V, K, M, '8', 6, (5, ), drop_inputs=('image', ))
