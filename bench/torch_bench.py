"""PyTorch reference for bench/run.mjs: the same workloads, Adam, batch 64, random data; prints one JSON line."""
import json, resource, sys, time

import torch
import torch.nn as nn


def build(workload):
    if workload == "mlp":
        return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)), (64,)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 5 * 5, 10),
    ), (1, 28, 28)


def main(workload, seconds, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model, shape = build(workload)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    pool = [(torch.rand(64, *shape), torch.randint(0, 10, (64,))) for _ in range(16)]

    def step(i):
        x, y = pool[i % len(pool)]
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    for i in range(20):
        step(i)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step(steps)
        steps += 1
    elapsed = time.perf_counter() - start
    print(json.dumps({
        "workload": workload, "backend": "pytorch", "engine": f"torch {torch.__version__} cpu, {torch.get_num_threads()} threads",
        "samplesPerSec": steps * 64 / elapsed, "steps": steps, "seconds": elapsed,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 3.0, int(sys.argv[3]) if len(sys.argv) > 3 else torch.get_num_threads())
