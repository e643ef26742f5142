#!/usr/bin/python3
"""torch-epoch.py: the same training run in PyTorch, timed per epoch, as the
yardstick of README's epoch figures: an MLP with ReLU hidden layers and a
softmax cross-entropy, He-uniform weights, Adam (Keras' epsilon 1e-7) and a
weight average updated after every step (Keras' use_ema), on all of MNIST's
training images in batches reshuffled every epoch, then the test accuracy of
the average.  Plain PyTorch: tensors sliced per batch, no DataLoader, the
thread count set with torch.set_num_threads.  Reads the raw IDX files of
`make data`.  Needs Debian's python3-torch.

Usage: harness/tools/torch-epoch.py [--layers 784,128,64,10] [--batch 32]
           [--epochs 3] [--threads 1] [--data data/mnist] [--seed 42]
Prints one line per epoch (seconds, loss) and the test accuracy.
"""
import argparse
import sys
import time

import numpy as np
import torch


def read_idx(path, dims):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[2] != 8 or raw[3] != dims:
        sys.exit(f"torch-epoch: {path}: not an IDX file of unsigned bytes with {dims} dimensions")
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layers", default="784,128,64,10")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--ema", type=float, default=0.999)
    a = ap.parse_args()
    sizes = [int(s) for s in a.layers.split(",")]
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    def images(name):
        x = read_idx(f"{a.data}/{name}-images-idx3-ubyte", 3)
        return torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255.0)

    def labels(name):
        return torch.from_numpy(read_idx(f"{a.data}/{name}-labels-idx1-ubyte", 1).astype(np.int64))

    x, y = images("train"), labels("train")
    xt, yt = images("t10k"), labels("t10k")
    if x.shape[1] != sizes[0]:
        sys.exit(f"torch-epoch: --layers starts at {sizes[0]}, the images have {x.shape[1]} pixels")

    layers = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        bound = (6.0 / sizes[i]) ** 0.5  # He-uniform, zero bias, as mlp_init_he
        torch.nn.init.uniform_(lin.weight, -bound, bound)
        torch.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    params = list(model.parameters())
    avg = [p.detach().clone() for p in params]
    opt = torch.optim.Adam(params, lr=a.lr, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    n = len(x)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), layers {a.layers}, "
          f"batch {a.batch}, {n} training images")
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(n)
        total = 0.0
        for first in range(0, n, a.batch):
            idx = order[first:first + a.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            with torch.no_grad():
                torch._foreach_mul_(avg, a.ema)
                torch._foreach_add_(avg, [p.detach() for p in params], alpha=1 - a.ema)
            total += loss.item() * len(idx)
        dt = time.perf_counter() - t0
        print(f"epoch {epoch}: {dt:.3f} s, {n / dt:.0f} images/s, loss {total / n:.4f}")
    with torch.no_grad():
        for p, s in zip(params, avg):
            p.copy_(s)
        acc = (model(xt).argmax(1) == yt).float().mean().item()
    print(f"test accuracy {100 * acc:.2f}% (weight average)")


if __name__ == "__main__":
    main()
