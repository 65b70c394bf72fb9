"""Turns a travel form (.fgdz, faces as WebP) back into a packed dataset
(.fgds) on a machine without the facegender tools, e.g. a GPU box whose only
C++ library is LibTorch. Needs Python 3 with Pillow (or OpenCV's cv2).

    python3 scripts/unpack-dataset.py data.fgdz data.fgds
"""
import io
import json
import os
import struct
import sys


def decode_gray(blob):
    try:
        from PIL import Image
        return Image.open(io.BytesIO(blob)).convert("L").tobytes()
    except ImportError:
        import cv2
        import numpy
        return cv2.imdecode(numpy.frombuffer(blob, numpy.uint8), cv2.IMREAD_GRAYSCALE).tobytes()


def main(source, target):
    with open(source, "rb") as f:
        data = f.read()
    if data[:8] != b"FGDZ\0\0\0\1":
        sys.exit(f"{source}: not a facegender .fgdz file")
    (length,) = struct.unpack_from("<Q", data, 8)
    header = data[16:16 + length]
    side = json.loads(header)["image_size"]
    at = 16 + length
    (count,) = struct.unpack_from("<I", data, at)
    sizes = struct.unpack_from(f"<{count}I", data, at + 4)
    blob = at + 4 + 4 * count
    out = bytearray(b"FGDS\0\0\0\1" + struct.pack("<Q", length) + header)
    for i, size in enumerate(sizes):
        face = decode_gray(data[blob:blob + size])
        if len(face) != side * side:
            sys.exit(f"{source}: face {i} does not decode to {side}x{side}")
        out += face
        blob += size
    temporary = f"{target}.tmp-{os.getpid()}"
    with open(temporary, "wb") as f:
        f.write(out)
    os.replace(temporary, target)
    print(f"wrote {target}: {count} faces")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
