"""Adam in the update form of Keras 2.x (``tf.keras.optimizers.Adam``)."""
from typing import Iterable, Tuple

import torch
from mmpose.registry import OPTIMIZERS
from torch import Tensor


@OPTIMIZERS.register_module()
class KerasAdam(torch.optim.Optimizer):
    """Adam with Keras's update order and epsilon placement.

    Per step ``t`` (all arithmetic in the parameter's dtype)::

        alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
        m += (g - m) * (1 - beta1);  v += (g^2 - v) * (1 - beta2)
        p -= m * alpha / (sqrt(v) + eps)

    ``torch.optim.Adam`` adds ``eps`` after the bias correction of ``v`` and
    differs by about 2e-5 after four steps of multi-view MetaPose's stage 1
    (fixture README); this form matches the TensorFlow reference to float32
    rounding.

    Args:
        params (Iterable): Parameters or groups.
        lr (float): Learning rate. Defaults to 1e-3 (Keras).
        betas (tuple[float, float]): Defaults to (0.9, 0.999).
        eps (float): Added to ``sqrt(v)``. Defaults to 1e-7 (Keras).
    """

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-7):
        if lr <= 0 or eps <= 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f'KerasAdam: need lr > 0, eps > 0, 0 <= betas < 1; '
                             f'got lr={lr}, betas={betas}, eps={eps}')
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            for param in group['params']:
                if param.grad is not None:
                    self._update(param, group['lr'], beta1, beta2, group['eps'])
        return loss

    def _update(self, param: Tensor, lr: float, beta1: float, beta2: float, eps: float):
        state = self.state[param]
        if not state:
            state['step'] = 0
            state['exp_avg'] = torch.zeros_like(param)
            state['exp_avg_sq'] = torch.zeros_like(param)
        state['step'] += 1
        dtype, device = param.dtype, param.device
        step = torch.tensor(float(state['step']), dtype=dtype, device=device)
        b1 = torch.tensor(beta1, dtype=dtype, device=device)
        b2 = torch.tensor(beta2, dtype=dtype, device=device)
        alpha = torch.tensor(lr, dtype=dtype, device=device) * torch.sqrt(
            1 - b2.pow(step)) / (1 - b1.pow(step))
        grad, m, v = param.grad, state['exp_avg'], state['exp_avg_sq']
        m.add_((grad - m) * (1 - beta1))
        v.add_((grad.square() - v) * (1 - beta2))
        param.sub_(m * alpha / (v.sqrt() + eps))
