"""PyTorch reference for bench/run.mjs: the same workloads, Adam, random data; prints one JSON line.

/usr/bin/python3 torch_bench.py WORKLOAD [SECONDS [THREADS [BATCH [WARMUP]]]]
WORKLOAD: mlp | cnn (batch 64) | resnet18 | mobilenet_v2 (torchvision's, 10 classes, 3x32x32 inputs, batch 32)
| transformer (bench/transformer-spec.mjs's encoder on random padded token ids, batch 32).
"""
import json, math, resource, sys, time

import torch
import torch.nn as nn

# Batch and warm-up steps when run.mjs does not pass them (it passes workloads.mjs's own).
DEFAULTS = {"mlp": (64, 20), "cnn": (64, 20), "resnet18": (32, 3), "mobilenet_v2": (32, 3), "transformer": (32, 5)}

# bench/transformer-spec.mjs's ENCODER.
VOCAB, TOKENS, WIDTH, HEADS, FFN, BLOCKS, CLASSES = 1000, 64, 128, 4, 512, 4, 10


class Attention(nn.Module):
    """DistilBERT's MultiHeadSelfAttention (q_lin, k_lin, v_lin, out_lin; padded keys masked)."""

    def __init__(self):
        super().__init__()
        self.q_lin, self.k_lin, self.v_lin, self.out_lin = (nn.Linear(WIDTH, WIDTH) for _ in range(4))

    def forward(self, x, mask):
        bs, depth = x.size(0), WIDTH // HEADS

        def shape(v):
            return v.view(bs, -1, HEADS, depth).transpose(1, 2)

        q = shape(self.q_lin(x)) / math.sqrt(depth)
        scores = torch.matmul(q, shape(self.k_lin(x)).transpose(2, 3))
        scores = scores.masked_fill((mask == 0).view(bs, 1, 1, -1), torch.finfo(scores.dtype).min)
        context = torch.matmul(torch.softmax(scores, dim=-1), shape(self.v_lin(x))).transpose(1, 2).reshape(bs, -1, WIDTH)
        return self.out_lin(context)


class Block(nn.Module):
    """DistilBERT's TransformerBlock without dropout: post-norm attention and GELU FFN."""

    def __init__(self):
        super().__init__()
        self.attention = Attention()
        self.sa_layer_norm = nn.LayerNorm(WIDTH, eps=1e-12)
        self.lin1, self.lin2 = nn.Linear(WIDTH, FFN), nn.Linear(FFN, WIDTH)
        self.output_layer_norm = nn.LayerNorm(WIDTH, eps=1e-12)

    def forward(self, x, mask):
        sa = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.lin2(nn.functional.gelu(self.lin1(sa))) + sa)


class Encoder(nn.Module):
    """Token + position embeddings, LayerNorm, the blocks, masked mean over the tokens, a linear classifier."""

    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, WIDTH, padding_idx=0)
        self.position_embeddings = nn.Embedding(TOKENS, WIDTH)
        self.LayerNorm = nn.LayerNorm(WIDTH, eps=1e-12)
        self.layer = nn.ModuleList(Block() for _ in range(BLOCKS))
        self.classifier = nn.Linear(WIDTH, CLASSES)

    def forward(self, inputs):
        ids, mask = inputs
        x = self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings.weight[: ids.size(1)])
        for block in self.layer:
            x = block(x, mask)
        m = mask.unsqueeze(-1).to(x.dtype)
        return self.classifier((x * m).sum(1) / m.sum(1).clamp(min=1))


def token_batch(batch):
    """Random lengths from a quarter of the tokens to all of them, ids 1..VOCAB-1 then padding 0 (transformer-spec.mjs)."""
    lengths = torch.randint(TOKENS // 4, TOKENS + 1, (batch,))
    mask = (torch.arange(TOKENS).unsqueeze(0) < lengths.unsqueeze(1)).long()
    ids = torch.randint(1, VOCAB, (batch, TOKENS)) * mask
    return (ids, mask), torch.randint(0, CLASSES, (batch,))


def build(workload):
    if workload == "transformer":
        return Encoder(), None
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


def blas():
    """The BLAS library this process loaded: Debian's python3-torch calls libblas.so.3, the slow reference BLAS unless
    OpenBLAS provides it (apt-get install libopenblas0-pthread, or its directory on LD_LIBRARY_PATH)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line and "/" in line}
    openblas = sorted(p.rsplit("/", 1)[-1].split(".so")[0] for p in paths if "libopenblas" in p.rsplit("/", 1)[-1])
    if openblas:
        return openblas[0]
    return "reference BLAS" if any("/blas/libblas" in p for p in paths) else "no BLAS seen"


def main(workload, seconds, threads, batch, warmup):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model, shape = build(workload)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    pool = [token_batch(batch) if shape is None else (torch.rand(batch, *shape), torch.randint(0, 10, (batch,))) for _ in range(16)]

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
        "workload": workload, "backend": "pytorch", "engine": f"torch {torch.__version__} cpu, {torch.get_num_threads()} threads, {blas()}",
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
