#!/usr/bin/python3
"""N tiny synthetic photos for the scale benchmark: DIR/cat and DIR/dog, 32x32 JPEGs.

Each is a random 32x32 crop (plus a brightness jitter) of one of 50 base pictures (25 per class), so the set is
mostly near-duplicates of each other, as burst shots, video frames and augmented copies are: the case that made
audit's pair list grow with N^2 (issue 30). Debian's python3 with numpy and OpenCV; about 10,000 files a second.
"""
import os, sys
import cv2
import numpy as np

def main(out, n, seed=1):
    rng = np.random.default_rng(seed)
    bases = []
    for b in range(50):
        cls = "cat" if b % 2 == 0 else "dog"
        # Smooth random pattern, 48x48, tinted by class (cats warm, dogs cool) so a head can learn something.
        small = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
        img = cv2.resize(small, (48, 48), interpolation=cv2.INTER_CUBIC).astype(np.int16)
        img[..., 2 if cls == "cat" else 0] += 60
        bases.append((cls, np.clip(img, 0, 255).astype(np.uint8)))
    for cls in ("cat", "dog"):
        os.makedirs(os.path.join(out, cls), exist_ok=True)
    for i in range(n):
        cls, base = bases[i % 50]
        x, y = rng.integers(0, 17, 2)
        crop = base[y:y + 32, x:x + 32].astype(np.int16) + int(rng.integers(-12, 13))
        cv2.imwrite(os.path.join(out, cls, f"{i:07d}.jpg"), np.clip(crop, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90])

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
