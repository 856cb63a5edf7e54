"""Large delimited files are split by pandas' C reader into codes (issue 8): wherever it is
used, it must give the records the csv module gives, cell for cell."""

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings, strategies as st

from estate.load import delimited, load_inventories
from estate.load.base import CodedRecords
from estate.settings import Settings

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PIECES = st.sampled_from([",", ";", "\t", "|", '"', '""', " ", "\n", "\n\n", "a", "b c", "é",
                          "£1,200", "\ufeff", "\x0b", "\u2028", "x\ty", "'"])


def _by_csv(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', strict=False))


def _trimmed(records) -> list[list[str]]:
    """Records without their trailing empty cells (the C reader pads short records)."""
    out = []
    for record in records:
        record = list(record)
        while record and record[-1] == "":
            record.pop()
        out.append(record)
    return out


@SETTINGS
@given(pieces=st.lists(PIECES, max_size=40), delimiter=st.sampled_from(list(delimited.DELIMITERS)))
@example(pieces=['"', "a", "\n", "b"], delimiter=",")            # a quote open at the end
@example(pieces=["a", ",", '"', "b", "\n", "c", '"', ",", "d"], delimiter=",")  # quoted line break
@example(pieces=["\ufeff", "a", ",", "b"], delimiter=",")       # the C reader drops a BOM
@example(pieces=['"', "a", '"', "b", ",", "c", "\n", "\n"], delimiter=",")
def test_the_c_reader_splits_like_the_csv_module_or_declines(pieces, delimiter):
    text = "".join(pieces)
    coded = delimited.read_coded(text, delimiter)
    if coded is None:
        return
    records, lines = coded
    expected = _by_csv(text, delimiter)
    assert _trimmed(records) == _trimmed(expected)
    assert lines == list(range(1, len(expected) + 1))


def test_declines_quoted_line_breaks_and_open_quotes():
    assert delimited.read_coded('a,"b\nc"\nd,e\n', ",") is None
    assert delimited.read_coded('a,b\n"c,d\n', ",") is None
    assert delimited.read_coded("\ufeffa,b\n", ",") is None
    assert delimited.read_coded("a,b\x00\n", ",") is None


def test_codes_share_one_dictionary_and_blank_is_code_zero():
    records, lines = delimited.read_coded('x,y,x\n\n"y",,z\n', ",")
    assert isinstance(records, CodedRecords)
    assert records.texts[0] == ""
    assert records.cells.tolist() == [[1, 2, 1], [0, 0, 0], [2, 0, 3]]
    assert records[2] == ["y", "", "z"] and records[:1] == [["x", "y", "x"]]
    assert lines == [1, 2, 3]


def test_a_large_file_loads_the_same_through_either_reader(tmp_path, monkeypatch):
    rows = ["Title block", "", "System ID,Name,Annual Cost,Notes,Extra"]
    rows += [f'S{i}, Name {i % 97} ,"£{i % 13},000",{"" if i % 5 else "n/a"},{"x" * (i % 3)}'
             + ("," if i % 7 == 0 else "") for i in range(6000)]
    rows += ["", "S1,Name 1,100,,", "Total,,5,,"]
    path = tmp_path / "dwp.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert len(path.read_text()) > delimited.CODED_MIN_CHARS
    used = []
    original = delimited.read_coded
    monkeypatch.setattr(delimited, "read_coded",
                        lambda *a: used.append(1) or original(*a))
    coded = load_inventories([path], Settings())
    monkeypatch.setattr(delimited, "read_coded", lambda *a: None)
    plain = load_inventories([path], Settings())
    assert used
    assert coded.systems.equals(plain.systems)
    assert coded.findings == plain.findings


def test_every_corpus_file_loads_the_same_through_either_reader(monkeypatch):
    corpus = [Path(__file__).parent / "corpus"]
    monkeypatch.setattr(delimited, "CODED_MIN_CHARS", 0)
    coded = load_inventories(corpus, Settings(keep_going=True))
    monkeypatch.setattr(delimited, "read_coded", lambda *a: None)
    plain = load_inventories(corpus, Settings(keep_going=True))
    assert coded.systems.equals(plain.systems)
    assert coded.findings == plain.findings
    assert coded.inputs == plain.inputs


def test_declines_a_grid_far_larger_than_the_text():
    text = "a,b\n" * 50 + '"' + "," * 5000 + '",x\n'
    assert delimited.read_coded(text, ",") is None
    assert delimited.read_coded("a,b\n" * 50, ",") is not None
