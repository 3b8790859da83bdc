# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Pure-Python codec for the mrelay wire protocol, version 1.

It follows dataplane/proto.h and the validation rules of docs/protocol.md,
with the same drop reason names as dataplane/drop_reasons.def, so that it
can check the C parser and encoder against tests/vectors/.

    decode(udp_payload) -> (dgram, frames)
        dgram: {"drop": None or reason, "magic", "version", "flags",
                "hdr_len", "reserved", "nframes", "hdr_ext_hex"} (the header
                fields present once the payload holds 8 bytes)
        frames: [] when the datagram is dropped, else one dict per frame:
                {"type": "MSG", "flags": ..., <fields of proto.h>} or
                {"error": "frame_unknown_type"} for a frame dropped alone.
    encode(dgram_flags, frames, hdr_ext=b"") -> bytes

Reserved fields are checked on decode and omitted from frame dicts. Bytes a
v1 reader ignores (past the fixed size of ACK..PONG) appear as "ext_hex".
Only the standard library is used; scapy lives in mrelay_scapy.py.
"""
import struct

MAGIC = 0x4D52
VERSION = 1
DEFAULT_UDP_PORT = 7400
DGRAM_HDR = struct.Struct(">HBBBBH")
FRAME_HDR = struct.Struct(">HBB")
DGRAM_F_MASK = 0x01
DGRAM_F_FROM_RELAY = 0x01

FT = {"MSG": 1, "ACK": 2, "REJECT": 3, "RECEIPT": 4, "NAK": 5, "PING": 6,
      "PONG": 7}
FT_NAME = {v: k for k, v in FT.items()}
DST_KIND = {"GROUP": 1, "USER": 2, "TOPIC": 3}
RECEIPT_KIND = {"DELIVERED": 1, "READ": 2}
REJECT_REASON = ["NONE", "NOT_MEMBER", "UNKNOWN_GROUP", "UNKNOWN_USER",
                 "UNKNOWN_DEVICE", "NOT_ALLOWED", "TOO_LARGE", "RATE_LIMITED",
                 "NO_SUBSCRIBERS", "NO_PERMISSION", "OVERLOADED",
                 "BAD_SUBJECT"]

_ACK = [("dst_kind", "B"), ("reserved", "B"), ("reason", "H"),
        ("sender_user", "Q"), ("sender_device", "I"), ("reserved2", "I"),
        ("client_msg_id", "Q"), ("dst_id", "Q"), ("seq", "Q"),
        ("relay_ts", "Q")]
_PING = [("reserved", "I"), ("token", "Q"), ("sender_ts", "Q"),
         ("relay_ts", "Q")]
# Fields after the 4-byte frame header, in wire order (proto.h names).
LAYOUT = {
    "MSG": [("dst_kind", "B"), ("subject_len", "B"), ("reserved", "H"),
            ("sender_user", "Q"), ("sender_device", "I"),
            ("rcpt_device", "I"), ("client_msg_id", "Q"), ("dst_id", "Q"),
            ("seq", "Q"), ("relay_ts", "Q"), ("rcpt_user", "Q")],
    "ACK": _ACK,
    "REJECT": _ACK,
    "RECEIPT": [("kind", "B"), ("dst_kind", "B"), ("reserved", "H"),
                ("from_user", "Q"), ("from_device", "I"), ("to_device", "I"),
                ("to_user", "Q"), ("dst_id", "Q"), ("seq", "Q"),
                ("relay_ts", "Q")],
    "NAK": [("dst_kind", "B"), ("reserved", "B"), ("reserved2", "H"),
            ("user", "Q"), ("device", "I"), ("reserved3", "I"),
            ("dst_id", "Q"), ("from_seq", "Q"), ("to_seq", "Q")],
    "PING": _PING,
    "PONG": _PING,
}
STRUCT = {t: struct.Struct(">" + "".join(c for _, c in f))
          for t, f in LAYOUT.items()}
# Fixed size of each type, frame header included (sizeof in proto.h).
MIN_LEN = {t: FRAME_HDR.size + s.size for t, s in STRUCT.items()}
assert MIN_LEN == {"MSG": 64, "ACK": 56, "REJECT": 56, "RECEIPT": 56,
                   "NAK": 48, "PING": 32, "PONG": 32}
FLAG_MASK = {"MSG": 0x03, "ACK": 0x01, "REJECT": 0x01, "RECEIPT": 0x01,
             "NAK": 0x00, "PING": 0x00, "PONG": 0x00}
HAS_DST_KIND = ("MSG", "ACK", "REJECT", "RECEIPT", "NAK")


class DecodeError(Exception):
    """A frame dropped on its own; args[0] is the reason name."""


def _decode_frame(buf, off, flen, ftype, flags):
    """Decode one frame whose bytes are buf[off:off+flen]; raise DecodeError."""
    name = FT_NAME.get(ftype)
    if name is None:
        raise DecodeError("frame_unknown_type")
    if flen < MIN_LEN[name]:
        raise DecodeError("frame_too_short")
    vals = STRUCT[name].unpack_from(buf, off + FRAME_HDR.size)
    f = {"type": name, "flags": flags}
    reserved_set = flags & ~FLAG_MASK[name]
    for (field, _), val in zip(LAYOUT[name], vals):
        if field.startswith("reserved"):
            reserved_set |= val
        else:
            f[field] = val
    if reserved_set:
        raise DecodeError("frame_reserved_bits")
    # checked in field order: a RECEIPT's kind comes before its dst_kind
    if name == "RECEIPT" and f["kind"] not in RECEIPT_KIND.values():
        raise DecodeError("frame_bad_receipt_kind")
    if name in HAS_DST_KIND and f["dst_kind"] not in DST_KIND.values():
        raise DecodeError("frame_bad_dst_kind")
    rest = buf[off + MIN_LEN[name]:off + flen]
    if name == "MSG":
        slen = f["subject_len"]
        if f["dst_kind"] == DST_KIND["TOPIC"]:
            if slen < 1 or slen > len(rest):
                raise DecodeError("frame_bad_subject")
        elif slen != 0:
            raise DecodeError("frame_bad_subject")
        f["subject_hex"] = rest[:slen].hex()
        f["payload_hex"] = rest[slen:].hex()
        return f
    if name == "NAK" and (f["from_seq"] == 0 or f["from_seq"] > f["to_seq"]):
        raise DecodeError("frame_bad_nak_range")
    if rest:
        f["ext_hex"] = rest.hex()  # appended by a later version: ignored
    return f


def _walk(buf, hdr_len, nframes):
    """Check the frame chain; return (drop reason or None, [(off, len)])."""
    end, off, spans = len(buf), hdr_len, []
    for _ in range(nframes):
        if off == end:
            return "frame_count_mismatch", spans
        if end - off < FRAME_HDR.size:
            return "frame_truncated", spans
        flen = FRAME_HDR.unpack_from(buf, off)[0]
        if flen < FRAME_HDR.size:
            return "frame_bad_len", spans
        if flen > end - off:
            return "frame_truncated", spans
        spans.append((off, flen))
        off += flen
    if off != end:
        return "frame_count_mismatch", spans
    return None, spans


def decode(buf):
    """Decode one UDP payload; see the module docstring for the result."""
    buf = bytes(buf)
    if len(buf) < DGRAM_HDR.size:
        return {"drop": "dgram_truncated"}, []
    magic, version, flags, hdr_len, reserved, nframes = \
        DGRAM_HDR.unpack_from(buf)
    d = {"drop": None, "magic": magic, "version": version, "flags": flags,
         "hdr_len": hdr_len, "reserved": reserved, "nframes": nframes,
         "hdr_ext_hex": buf[DGRAM_HDR.size:hdr_len].hex()}
    if magic != MAGIC:
        d["drop"] = "dgram_bad_magic"
    elif version != VERSION:
        d["drop"] = "dgram_bad_version"
    elif flags & ~DGRAM_F_MASK or reserved:
        d["drop"] = "dgram_reserved_bits"
    elif hdr_len < DGRAM_HDR.size or hdr_len > len(buf):
        d["drop"] = "dgram_bad_hdr_len"
    elif nframes == 0:
        d["drop"] = "dgram_no_frames"
    else:
        d["drop"], spans = _walk(buf, hdr_len, nframes)
    if d["drop"]:
        return d, []
    frames = []
    for off, flen in spans:
        _, ftype, fflags = FRAME_HDR.unpack_from(buf, off)
        try:
            frames.append(_decode_frame(buf, off, flen, ftype, fflags))
        except DecodeError as e:
            frames.append({"error": e.args[0]})
    return d, frames


def encode_frame(f):
    """Encode one frame dict as decode() returns it; missing fields are 0.

    The dict is taken literally so tests can build invalid frames: an
    explicit "len", "subject_len" or reserved field is written as given. An
    integer "type" outside 1..7 writes "body_hex" after the frame header.
    """
    ftype = f["type"]
    name = ftype if isinstance(ftype, str) else FT_NAME.get(ftype)
    code = FT[name] if name else ftype
    if name is None:
        body = bytes.fromhex(f.get("body_hex", ""))
    else:
        vals = dict(f)
        if name == "MSG":
            subject = bytes.fromhex(f.get("subject_hex", ""))
            vals.setdefault("subject_len", len(subject))
            tail = subject + bytes.fromhex(f.get("payload_hex", ""))
        else:
            tail = bytes.fromhex(f.get("ext_hex", ""))
        body = STRUCT[name].pack(*(vals.get(k, 0) for k, _ in LAYOUT[name]))
        body += tail
    flen = f.get("len", FRAME_HDR.size + len(body))
    return FRAME_HDR.pack(flen, code, f.get("flags", 0)) + body


def encode(dgram_flags, frames, hdr_ext=b"", nframes=None, version=VERSION):
    """Encode a datagram: header (8 bytes + hdr_ext) then the frames."""
    body = b"".join(encode_frame(f) for f in frames)
    hdr = DGRAM_HDR.pack(MAGIC, version, dgram_flags,
                         DGRAM_HDR.size + len(hdr_ext), 0,
                         len(frames) if nframes is None else nframes)
    return hdr + bytes(hdr_ext) + body


if __name__ == "__main__":
    import json
    import sys
    if len(sys.argv) != 2:
        sys.exit("usage: mrelay_codec.py UDP_PAYLOAD_HEX")
    dgram, frames = decode(bytes.fromhex(sys.argv[1]))
    print(json.dumps({"dgram": dgram, "frames": frames}, indent=1))
