#!/usr/bin/env python3
"""Check that a PNG screenshot of the report is not blank: decode it (PNG's five row filters,
8-bit RGB or RGBA, no interlace: what headless Chromium writes) and count the pixels that are not
near white. Usage: render-report.py SHOT.png [MIN_SHARE]"""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (2, 6) or interlace:
                raise SystemExit(f"{path}: unexpected PNG format (depth {depth}, colour {color})")
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    rows = []
    i = 0
    for _ in range(height):
        f = raw[i]
        line = bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 1:
                line[x] = (line[x] + a) & 0xFF
            elif f == 2:
                line[x] = (line[x] + b) & 0xFF
            elif f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        rows.append(line)
        prev = line
    return width, height, channels, rows


def main():
    path = sys.argv[1]
    need = float(sys.argv[2]) if len(sys.argv) > 2 else 0.02
    width, height, channels, rows = pixels(path)
    inked = 0
    for line in rows:
        for x in range(0, width * channels, channels):
            if min(line[x], line[x + 1], line[x + 2]) < 200:
                inked += 1
    share = inked / (width * height)
    print(f"{path}: {width}x{height}, {share:.1%} of the pixels drawn")
    if share < need:
        raise SystemExit(f"{path}: looks blank ({share:.2%} drawn, at least {need:.0%} expected)")


main()
