#!/usr/bin/env python3
"""What a Python user would write instead of `extract`: torchvision ImageFolder + DataLoader into a
frozen conv base, features collected in memory. Random weights (speed only): Debian's
python3-torch / python3-torchvision, no downloads. Prints one JSON line."""
import argparse, json, time

import torch
import torchvision
from torchvision import transforms

p = argparse.ArgumentParser()
p.add_argument("data")
p.add_argument("--model", choices=["vgg16", "resnet18"], default="vgg16")
p.add_argument("--images", type=int, default=256)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--workers", type=int, default=1)
a = p.parse_args()

torch.set_num_threads(a.threads)
if a.model == "vgg16":
    net = torchvision.models.vgg16().features          # 13 conv + 5 pool: (N, 512, 7, 7)
else:
    r = torchvision.models.resnet18()
    net = torch.nn.Sequential(*list(r.children())[:-1])  # up to global pool: (N, 512, 1, 1)
net.eval()

tf = transforms.Compose([
    transforms.Resize((224, 224)),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
ds = torchvision.datasets.ImageFolder(a.data, transform=tf)
ds = torch.utils.data.Subset(ds, range(min(a.images, len(ds))))
dl = torch.utils.data.DataLoader(ds, batch_size=a.batch, num_workers=a.workers)

with torch.inference_mode():
    net(torch.zeros(2, 3, 224, 224))                     # warm-up
    n, t0 = 0, time.perf_counter()
    feats = []
    for x, _ in dl:
        feats.append(net(x).flatten(1))
        n += x.shape[0]
    seconds = time.perf_counter() - t0

print(json.dumps({"tool": f"pytorch-dataloader-{a.model}", "images": n, "seconds": round(seconds, 3),
                  "images_per_second": round(n / seconds, 2), "torch": torch.__version__,
                  "threads": a.threads, "workers": a.workers}))
