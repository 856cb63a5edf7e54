"""findings.json is made in UTF-8 piece by piece: the same bytes as encoding its text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from estate.report._files import LINES_AT_ONCE, _compact_utf8, dumps_json, write_json
from estate.report.rows import Rows, join_rows, json_text, utf8_texts


def test_utf8_texts_wrap_and_encode_each_text():
    texts = ['"caf\u00e9"', "null", '"\\u0000 tab\\t"', "12.5", '["a", "b"]']
    assert utf8_texts(texts, ', "k": ', "}") == [
        (', "k": ' + t + "}").encode() for t in texts]
    assert utf8_texts(texts) == [t.encode() for t in texts]
    assert utf8_texts([], "{", "}") == []
    assert utf8_texts([""], "{", "}") == [b"{}"]


def test_join_rows_joins_bytes_tables_as_it_joins_text():
    table = np.array(["a\u00a3", "b", "c"], dtype=object)
    codes = np.array([2, 0, 1, 0])
    utf8 = np.array([t.encode() for t in table], dtype=object)
    assert join_rows([(utf8, codes)], 4, b"|").decode() == join_rows([(table, codes)], 4, "|")
    assert join_rows([(utf8, codes)], 4, None).decode() == join_rows([(table, codes)], 4, None)


def _rows(n: int) -> Rows:
    frame = pd.DataFrame({
        "id": [f"S{i}" for i in range(n)],
        "cost": [f"\u00a3{i % 7}" if i % 3 else None for i in range(n)],
        "note": ["caf\u00e9 \U0001f600" if i % 5 == 0 else "plain" for i in range(n)],
    })
    return Rows(frame, [("id", "id", "text"), ("cost", "cost", "text"),
                        ("note", "note", "text")], order=np.arange(n)[::-1].copy())


@pytest.mark.parametrize("n", [0, 3, 250])
def test_rows_utf8_texts_are_the_utf8_of_their_json(n):
    rows = _rows(n)
    records = list(rows)
    assert rows.json_array_utf8() == json_text(records).encode()
    assert b"".join(rows.json_block_utf8("  ")) == "".join(rows.json_block("  ")).encode()
    if n:
        assert json.loads(b"".join(rows.json_block_utf8(""))) == records
        view = rows.view(1, n)
        assert view.json_array_utf8() == json_text(list(view)).encode()


def test_written_file_is_the_utf8_of_dumps_json(tmp_path):
    many = [{"n": i, "text": "\u00a3" * (i % 3)} for i in range(LINES_AT_ONCE * 2 + 5)]
    data = {"systems": _rows(40), "many": many, "empty": [], "nested": {"a": [1, "\u00e9"]},
            "records": [{"members": _rows(4).view(1, 3), "x": "\u00a3"}, {"plain": None}]}
    path = write_json(tmp_path / "f.json", data)
    text = dumps_json(data)
    assert path.read_bytes() == text.encode()
    assert json.loads(text)["many"] == many
    assert '  "many": [\n' + ",\n".join("    " + json_text(m) for m in many) + "\n  ],\n" \
        in text
    assert '  "nested": {\n    "a": [\n      1,\n      "\u00e9"\n    ]\n  },\n' in text
    assert _compact_utf8(data["records"][0]) == json_text(
        {"members": list(data["records"][0]["members"]), "x": "\u00a3"}).encode()
