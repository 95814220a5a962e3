"""Minimal ICC v2 profiles for tests, made by hand: LittleCMS reads them, and each
says in a few numbers what a scanner's or a press's profile says in thousands."""

import struct

D50 = (0.9642, 1.0, 0.8249)


def s15(x: float) -> bytes:
    """An ICC s15Fixed16Number."""
    return struct.pack(">i", round(x * 65536))


def icc_profile(device_class: bytes, color_space: bytes, pcs: bytes, description: bytes,
                tags: list[tuple[bytes, bytes]]) -> bytes:
    """A whole profile: the header (D50 illuminant), its description and D50 white
    point, then ``tags`` ((signature, body) pairs, each body padded to 4 bytes)."""
    text = description + b"\0"
    desc = b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 78
    white = b"XYZ " + b"\0" * 4 + b"".join(s15(v) for v in D50)
    tags = [(b"desc", desc), (b"wtPt", white), *tags]
    table, data, offset = b"", b"", 128 + 4 + 12 * len(tags)
    for signature, body in tags:
        data += b"\0" * (-(offset + len(data)) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    body = struct.pack(">I", len(tags)) + table + data
    header = (struct.pack(">I", 128 + len(body)) + b"lcms" + bytes([2, 0x10, 0, 0]) + device_class
              + color_space + pcs + b"\0" * 12 + b"acsp" + b"\0" * 28 + b"".join(s15(v) for v in D50)
              + b"\0" * 48)
    return header + body
