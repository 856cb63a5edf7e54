"""Random tables and random bytes: the loader raises only the project's own errors, and
every non-blank data row comes back exactly once."""

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings, strategies as st

from estate.errors import EstateError
from estate.load import load_inventories
from estate.schema import FIELD_NAMES
from estate.settings import Settings

HEADERS = st.sampled_from(["System ID", "Name", "Application Name", "Supplier", "Annual Cost (£)",
                           "Users", "Renewal date", "Classification", "Integrates With",
                           "Department", "Notes", "Mystery", "", "Tenant"])
CELLS = st.one_of(
    st.text(st.characters(blacklist_characters="\r", blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["£12,500", "(1,200)", "12.5k", "~300", "Mar-27", "31/03/2027", "2027",
                     "OFFSEN", "n/a", "", " ", "A;B", '"', "\n", "Total", "System ID"]),
)
FORMAT_DELIMITER = {"csv": ",", "tsv": "\t", "csv-semicolon": ";", "csv-pipe": "|"}
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _load(name: str, data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return load_inventories([path], Settings())
        except EstateError:
            return None


@SETTINGS
@given(data=st.binary(max_size=600), name=st.sampled_from(["x.csv", "x.xlsx", "x.tsv", "x.txt"]))
def test_random_bytes_raise_only_estate_errors(data, name):
    _load(name, data)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes_after_a_valid_header(data):
    _load("dwp.csv", b"System ID,Name,Annual Cost\n" + data)


@SETTINGS
@given(
    header=st.lists(HEADERS, min_size=1, max_size=6),
    rows=st.lists(st.lists(CELLS, max_size=7), max_size=12),
    delimiter=st.sampled_from([",", "\t", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
@example(header=["System ID"], rows=[["", "", "", "", "0,"], ["", "", ",", "\n"], ["SYSTEMID"]],
         delimiter="\t", encoding="utf-8")  # sniffed as comma: records start where commas split
def test_random_tables_account_for_every_row(header, rows, delimiter, encoding):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["System ID", "Name", *header])
    writer.writerows(rows)
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = buffer.getvalue().encode("utf-8")
    result = _load("dwp.csv", data)
    if result is None:
        return
    s = result.systems
    assert s["system_key"].is_unique
    assert set(s["status"]) <= {"analysed", "quarantined"}
    assert s.loc[s["status"] == "quarantined", "status_reason"].notna().all()
    assert list(s.columns[:len(FIELD_NAMES)]) == list(FIELD_NAMES)
    assert result.inputs[0].rows == len(s)
    blank = sum(int(f.message.split()[0]) for f in result.findings if f.code == "blank-rows")
    header_line = next(f.line for f in result.findings if f.code == "header-mapping")
    used = FORMAT_DELIMITER[result.inputs[0].format]  # the sniffer may pick another one
    reader = csv.reader(io.StringIO(buffer.getvalue()), delimiter=used)
    starts, previous = [], 0
    for _ in reader:
        starts.append(previous + 1)
        previous = reader.line_num
    after_header = len(starts) - starts.index(header_line) - 1
    assert len(s) + blank == after_header


def _sniff_by_csv(text: str, prefer_tab: bool, sample_chars: int) -> str:
    """The delimiter sniffing rule, spelled out with the csv module on every sample."""
    from collections import Counter

    sample = text[:sample_chars]
    if len(text) > sample_chars and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best, best_score = ",", (0, 0, 0)
    order = ["\t", ",", ";", "|"] if prefer_tab else [",", "\t", ";", "|"]
    for rank, delimiter in enumerate(order):
        counts = Counter(len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter)
                         if "".join(r).strip())
        wide = {n: k for n, k in counts.items() if n >= 2}
        if wide:
            modal = max(wide, key=lambda n: (wide[n], n))
            score = (wide[modal], modal, -rank)
            if score > best_score:
                best, best_score = delimiter, score
    return best


@SETTINGS
@given(text=st.text(st.sampled_from(list("ab ,;|\t\n\"")), min_size=1, max_size=120),
       prefer_tab=st.booleans(), sample_chars=st.sampled_from([8, 30, 1000]))
def test_delimiter_sniffing_shortcuts_agree_with_the_csv_module(text, prefer_tab, sample_chars,
                                                                 monkeypatch):
    from estate.load import delimited

    monkeypatch.setattr(delimited, "_SAMPLE_CHARS", sample_chars)
    delimiter, records = delimited._sniff(text, prefer_tab)
    assert delimiter == _sniff_by_csv(text, prefer_tab, sample_chars)
    if records is not None:  # reused as the split of the whole text
        assert records == list(csv.reader(io.StringIO(text), delimiter=delimiter))
