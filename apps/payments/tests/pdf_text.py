"""The text of a PDF made by fpdf2 with embedded TrueType fonts, for assertions.

fpdf2 writes text as 2-byte glyph ids in literal strings and a ToUnicode CMap per font; this
reads exactly that (no PDF library is a dependency of the project). Enough for tests only.
"""

from __future__ import annotations

import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*)\r?\nendstream", re.S)
_FONT_REF = re.compile(rb"/(F\d+) (\d+) 0 R")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def pdf_text(data: bytes) -> str:
    """Every shown string of every page, one text object a line."""
    objects = {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(data)}
    fonts = {}
    for body in objects.values():
        if b"/Font <<" in body:
            for name, ref in _FONT_REF.findall(body):
                match = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(ref)])
                if match:
                    fonts[name.decode()] = _cmap(_stream(objects[int(match.group(1))]))
    lines = []
    for body in objects.values():
        if b"/Type /Page\n" in body or b"/Type /Page>>" in body:
            contents = re.search(rb"/Contents (\d+) 0 R", body)
            if contents:
                lines.extend(_show(_stream(objects[int(contents.group(1))]), fonts))
    return "\n".join(lines)


def pdf_title(data: bytes) -> str:
    """The document title: a literal string, or UTF-16 hex when it is not Latin-1."""
    match = re.search(rb"/Title \((.*?)\)\n", data)
    if match:
        return match.group(1).decode("latin-1")
    match = re.search(rb"/Title <([0-9A-Fa-f]+)>", data)
    return bytes.fromhex(match.group(1).decode()).decode("utf-16") if match else ""


def _stream(body: bytes) -> bytes:
    raw = _STREAM.search(body).group(1)
    return zlib.decompress(raw) if b"/FlateDecode" in body else raw


def _cmap(text: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def _show(content: bytes, fonts: dict[str, dict[int, str]]) -> list[str]:
    lines, font = [], {}
    tokens = re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", content, re.S)
    for token in tokens:
        if token.group(1):
            font = fonts.get(token.group(1).decode(), {})
            continue
        raw = _unescape(token.group(2))
        codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
        lines.append("".join(font.get(code, "?") for code in codes))
    return lines


def _unescape(value: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(value):
        char = value[i : i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        nxt = value[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out += _ESCAPES[nxt]
            i += 2
        elif nxt.isdigit():
            octal = re.match(rb"[0-7]{1,3}", value[i + 1 : i + 4]).group(0)
            out.append(int(octal, 8))
            i += 1 + len(octal)
        else:
            out += nxt
            i += 2
    return bytes(out)
