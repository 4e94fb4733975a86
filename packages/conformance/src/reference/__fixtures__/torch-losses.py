"""Loss values and gradients of PyTorch's CrossEntropyLoss options and a distillation loss (float64).

Run with PyTorch installed: `python3 torch-losses.py > torch-losses.json`.
The model is a tiny MLP (dense 4 → 5 relu → 3, softmax applied by the loss) with weights from `val`,
laid out as headstart's canonical dense kernels ([inputs, units], row-major); loss-options.test.ts
builds the same model and batch. Gradients are written in the same layout.
"""
import json

import torch

torch.set_default_dtype(torch.float64)
F = torch.nn.functional


def val(i, a, b):
    return ((i * a) % b - b // 2) / 8.0


N, IN, HIDDEN, CLASSES = 5, 4, 5, 3
x = torch.tensor([val(i, 7, 11) for i in range(N * IN)]).reshape(N, IN)
labels = torch.tensor([0, 2, 1, 2, 0])
soft = torch.tensor([[0.75, 0.125, 0.125], [0.0, 0.5, 0.5], [0.25, 0.25, 0.5], [1.0, 0.0, 0.0], [0.125, 0.625, 0.25]])
teacher = torch.tensor([val(i, 5, 13) * 4 for i in range(N * CLASSES)]).reshape(N, CLASSES)
weights = torch.tensor([0.5, 2.0, 1.25])
start = {
    "hidden.kernel": [val(i, 3, 7) for i in range(IN * HIDDEN)],
    "hidden.bias": [val(i, 2, 5) + 1 / 32 for i in range(HIDDEN)],
    "out.kernel": [val(i, 5, 9) for i in range(HIDDEN * CLASSES)],
    "out.bias": [val(i, 3, 4) for i in range(CLASSES)],
}


def distillation(logits, target, temperature, alpha, **ce):
    kl = F.kl_div(F.log_softmax(logits / temperature, 1), F.log_softmax(teacher / temperature, 1), reduction="batchmean", log_target=True)
    return alpha * temperature ** 2 * kl + (1 - alpha) * F.cross_entropy(logits, target, **ce)


CASES = {
    "labelSmoothing": lambda z: F.cross_entropy(z, labels, label_smoothing=0.1),
    "classWeights": lambda z: F.cross_entropy(z, labels, weight=weights),
    "smoothingAndWeights": lambda z: F.cross_entropy(z, labels, weight=weights, label_smoothing=0.2),
    "softTargets": lambda z: F.cross_entropy(z, soft),
    "softTargetsSmoothingAndWeights": lambda z: F.cross_entropy(z, soft, weight=weights, label_smoothing=0.2),
    "distillation": lambda z: distillation(z, labels, 2.0, 0.7),
    "distillationSmoothed": lambda z: distillation(z, labels, 3.0, 0.5, label_smoothing=0.1),
}

results = {}
for name, loss_of in CASES.items():
    params = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    hidden = torch.relu(x @ params["hidden.kernel"].reshape(IN, HIDDEN) + params["hidden.bias"])
    loss = loss_of(hidden @ params["out.kernel"].reshape(HIDDEN, CLASSES) + params["out.bias"])
    loss.backward()
    results[name] = {"loss": loss.item(), "gradients": {k: p.grad.flatten().tolist() for k, p in params.items()}}

print(json.dumps({
    "x": x.flatten().tolist(),
    "labels": labels.tolist(),
    "soft": soft.flatten().tolist(),
    "teacher": teacher.flatten().tolist(),
    "classWeights": weights.tolist(),
    "weights": start,
    "cases": results,
}, indent=1))
