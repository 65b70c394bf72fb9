"""Training throughput of a facegender network in PyTorch-Python, built from
the same layer list the C++ trainer uses (bench_train --print-architecture),
for a side-by-side comparison with bench_train.

    python3 bench_train.py ARCH.json --batch 64 --steps 30 --threads 2
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Network(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.layers = arch["layers"]
        self.parts = nn.ModuleDict()
        for layer in self.layers:
            op, name = layer["op"], layer["name"]
            if op == "conv":
                top, left, bottom, right = layer["pad"]
                padding = (top, left) if (top, left) == (bottom, right) else 0
                self.parts[name] = nn.Conv2d(layer["in"], layer["out"], layer["kernel"], layer["stride"], padding)
            elif op == "batchnorm":
                self.parts[name] = nn.BatchNorm2d(layer["out"])
            elif op == "linear":
                self.parts[name] = nn.Linear(layer["in"], layer["out"])

    def forward(self, x):
        for layer in self.layers:
            op = layer["op"]
            if op == "conv":
                top, left, bottom, right = layer["pad"]
                if (top, left) != (bottom, right):
                    x = F.pad(x, (left, right, top, bottom))
                x = self.parts[layer["name"]](x)
            elif op in ("batchnorm", "linear"):
                x = self.parts[layer["name"]](x)
            elif op == "relu":
                x = F.relu(x)
            elif op == "maxpool":
                x = F.max_pool2d(x, layer["kernel"], layer["stride"])
            elif op == "avgpool":
                x = F.avg_pool2d(x, layer["kernel"], layer["stride"])
            elif op == "globalavgpool":
                x = F.adaptive_avg_pool2d(x, 1)
            elif op == "flatten":
                x = x.flatten(1)
            elif op == "dropout":
                x = F.dropout(x, layer["p"], self.training)
        return x


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("architecture")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    with open(args.architecture) as f:
        arch = json.load(f)
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    device = torch.device(args.device)
    net = Network(arch).to(device).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    size = arch["input_size"]
    x = torch.rand(args.batch, 1, size, size, device=device)
    y = torch.randint(0, 2, (args.batch,), device=device)

    def step():
        optimizer.zero_grad()
        F.cross_entropy(net(x), y).backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    json.dump({"framework": "pytorch-python " + torch.__version__, "arch": arch["name"], "batch": args.batch,
               "threads": args.threads, "device": args.device, "steps": args.steps,
               "seconds_per_step": seconds / args.steps, "samples_per_s": args.batch * args.steps / seconds,
               "parameters": sum(p.numel() for p in net.parameters())}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
