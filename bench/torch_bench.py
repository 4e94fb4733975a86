"""PyTorch reference for bench/run.mjs: the same workloads, Adam, random data; prints one JSON line.

/usr/bin/python3 torch_bench.py WORKLOAD [SECONDS [THREADS [BATCH [WARMUP]]]]
WORKLOAD: mlp | cnn (batch 64) | resnet18 | mobilenet_v2 (torchvision's, 10 classes, 3x32x32 inputs, batch 32).
"""
import json, resource, sys, time

import torch
import torch.nn as nn

# Batch and warm-up steps when run.mjs does not pass them (it passes workloads.mjs's own).
DEFAULTS = {"mlp": (64, 20), "cnn": (64, 20), "resnet18": (32, 3), "mobilenet_v2": (32, 3)}


def build(workload):
    if workload == "mlp":
        return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)), (64,)
    if workload in ("resnet18", "mobilenet_v2"):
        import torchvision
        return getattr(torchvision.models, workload)(num_classes=10), (3, 32, 32)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 5 * 5, 10),
    ), (1, 28, 28)


def main(workload, seconds, threads, batch, warmup):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model, shape = build(workload)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    pool = [(torch.rand(batch, *shape), torch.randint(0, 10, (batch,))) for _ in range(16)]

    def step(i):
        x, y = pool[i % len(pool)]
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    for i in range(warmup):
        step(i)
    steps, start, cpu_start = 0, time.perf_counter(), time.process_time()
    # At least two timed steps: a resnet18 step takes most of a second here.
    while time.perf_counter() - start < seconds or steps < 2:
        step(steps)
        steps += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({
        "workload": workload, "backend": "pytorch", "engine": f"torch {torch.__version__} cpu, {torch.get_num_threads()} threads",
        "samplesPerSec": steps * batch / elapsed, "steps": steps, "seconds": elapsed, "cpuSeconds": cpu,
        "parameters": sum(p.numel() for p in model.parameters()),
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    workload = sys.argv[1]
    batch, warmup = DEFAULTS[workload]
    args = sys.argv[2:] + [None] * 4
    main(
        workload,
        float(args[0]) if args[0] else 3.0,
        int(args[1]) if args[1] else torch.get_num_threads(),
        int(args[2]) if args[2] else batch,
        int(args[3]) if args[3] else warmup,
    )
