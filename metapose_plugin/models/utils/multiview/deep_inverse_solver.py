"""The stage loop of multi-view MetaPose's learned solver (``DeepInverseSolver``)."""
from typing import Dict, List, Sequence

import torch
from torch import Tensor, nn

from metapose_plugin.structures.multiview.multiview_packing import (forward_nll, solution_forward,
                                                                    unpack_task)


def deep_inverse_solve(stages: Sequence[nn.Module], x_init: Tensor, task: Tensor,
                       num_views: int, num_joints: int, num_components: int,
                       with_bones: bool = False) -> Dict[str, object]:
    """Run learned stages on a batch of solutions (Usman et al., CVPR 2022, "S2").

    Stage ``i``: ``fwd`` = weak projection of ``x``; ``val`` = the stage-1
    objective of ``fwd`` (float32, as the reference); the stage input
    ``[x, task, fwd, val, i]`` is detached; ``x <- x.detach() + stage(input)``.
    Only the last stage therefore receives gradients.

    Args:
        stages (Sequence[nn.Module]): Stage models, run in order.
        x_init (Tensor): (B, 3K + 10V) initial solution (stage-1 report 0).
        task (Tensor): (B, V*K*M*4 [+ 16]) mixtures in bbox units [+ bones].
        num_views, num_joints, num_components (int): V, K, M.
        with_bones (bool): The task ends with 16 bone lengths.

    Returns:
        dict: ``x_opt`` (B, 3K + 10V), ``fwd`` (B, V*K*2) its projections,
        ``vals`` (B,) float32 its objective, ``stage_inputs`` and ``xs`` (one
        (B, .) tensor per stage: the input and the solution after it).
    """
    mixtures = unpack_task(task, num_views, num_joints, num_components, with_bones)[0]
    x = x_init
    stage_inputs: List[Tensor] = []
    xs: List[Tensor] = []
    for index, stage in enumerate(stages):
        fwd = solution_forward(x, num_views, num_joints)
        val = forward_nll(fwd, mixtures)
        step = torch.full_like(val, float(index))
        inputs = torch.cat([x, task, fwd, val[:, None].to(x.dtype),
                            step[:, None].to(x.dtype)], dim=1).detach()
        stage_inputs.append(inputs)
        x = x.detach() + stage(inputs)
        xs.append(x)
    fwd = solution_forward(x, num_views, num_joints)
    return dict(x_opt=x, fwd=fwd, vals=forward_nll(fwd, mixtures), stage_inputs=stage_inputs, xs=xs)
