"""A file of packed sketches: a magic line, then fixed-size records (`Sketch.pack`), by time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from sekimori.errors import InputError
from sekimori.watch.sketch import PACKED_SIZE, Sketch

MAGIC = b"SEKIMORI-SKETCHES 1\n"


def write_sketches(path: Path, sketches: Iterable[Sketch]) -> int:
    count = 0
    with path.open("wb") as out:
        out.write(MAGIC)
        for sketch in sketches:
            out.write(sketch.pack())
            count += 1
    return count


def read_sketches(path: Path) -> Iterator[Sketch]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read the sketch file: {exc.strerror}", source=str(path)) from None
    with handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise InputError(
                "not a sketch file (made by `sekimori watch simulate`) "
                "/ スケッチファイルではありません",
                source=str(path),
            )
        while chunk := handle.read(PACKED_SIZE * 65_536):
            if len(chunk) % PACKED_SIZE:
                raise InputError("the file ends inside a record (cut short?)", source=str(path))
            yield from Sketch.unpack_many(chunk)
