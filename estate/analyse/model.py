"""Result dataclasses of the analysis: the contract the reports and the audit read.

The classes made once per system (references, cluster members, dispositions) use slots:
no attribute dict each, which at a million systems is hundreds of megabytes.

The two per-system lists of the analysis, every cluster's ``members`` and
``Analysis.dispositions``, are :class:`TableItems`: read-only sequences over one column
table (a DataFrame with one column per field of the item type) that build a
:class:`ClusterMember` / :class:`SystemDisposition` only when an item is read. The analysis
computes them as columns and the reports write them as columns, so a million systems are
never a million objects; a caller that indexes, iterates, compares or counts them sees the
same items a list would hold. A plain list of items is still accepted wherever they are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from estate.arrays import object_array
from estate.errors import Finding


class ItemTable:
    """Rows of ``frame`` read as items of the dataclass ``kind``, shared by the
    :class:`TableItems` ranges over it.

    ``frame`` has one object column per field of ``kind``, in declared order, holding the
    field values themselves (Python ``str``/``int``/``float``/``None``), so a column copied
    out of it is what reading that attribute of every item would give. Nobody changes it
    after the analysis made it.
    """

    __slots__ = ("frame", "kind", "_columns")

    def __init__(self, frame: pd.DataFrame, kind: type):
        self.frame = frame
        self.kind = kind
        self._columns: list[np.ndarray] | None = None

    @classmethod
    def from_columns(cls, kind: type, columns: dict) -> "ItemTable":
        """A table of ``kind`` from one sequence of field values per field name."""
        names = [f.name for f in fields(kind)]
        frame = pd.DataFrame({n: object_array(columns[n]) for n in names}, dtype=object,
                             copy=False)
        return cls(frame, kind)

    def columns(self) -> list[np.ndarray]:
        """The object array of each field (made once, on the first item read)."""
        if self._columns is None:
            self._columns = [self.frame[f.name].to_numpy(dtype=object)
                             for f in fields(self.kind)]
        return self._columns

    def items(self, start: int, stop: int) -> list:
        kind = self.kind
        return [kind(*row) for row in zip(*(c[start:stop].tolist() for c in self.columns()))]

    def __len__(self) -> int:
        return len(self.frame)

    def __getstate__(self):
        return self.frame, self.kind

    def __setstate__(self, state) -> None:
        self.frame, self.kind = state
        self._columns = None


def range_item(index, length: int, read: Callable[[int, int], list],
               one: Callable[[int], object] | None = None):
    """``sequence[index]`` for a sequence of ``length`` items that ``read(a, b)`` lists
    items ``a:b`` of (and ``one(i)``, when given, reads item ``i`` alone): an int, negative
    ones included, or a slice, as for a list."""
    if isinstance(index, slice):
        a, b, step = index.indices(length)
        return read(a, max(a, b)) if step == 1 else read(0, length)[index]
    i = index + length if index < 0 else index
    if not 0 <= i < length:
        raise IndexError(index)
    return one(i) if one is not None else read(i, i + 1)[0]


class _ReadOnlyList(Sequence):
    """What the column-held sequences below share: indexing and slicing through
    ``_range(a, b)`` (and ``_item(i)``), equality with the list (or tuple) of what they
    hold, no hash, the list's repr, and, being read-only, being their own copies."""

    __slots__ = ()

    def _range(self, a: int, b: int) -> list:
        raise NotImplementedError

    def _item(self, i: int):
        return self._range(i, i + 1)[0]

    def __getitem__(self, index):
        return range_item(index, len(self), self._range, self._item)

    def __eq__(self, other) -> bool:
        if isinstance(other, (type(self), list, tuple)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self) -> str:
        return repr(list(self))


class TableItems(_ReadOnlyList):
    """Rows ``start:stop`` of an :class:`ItemTable`, read as a list of its items.

    Indexing, iteration, ``len``, ``in`` and ``==`` (with another :class:`TableItems`, a
    list or a tuple of items) behave as for the list of items; every read builds fresh
    items, so changing an item changes nothing here (the sequence is read-only, and a copy
    of it is itself). ``table``, ``start`` and ``stop`` let a reader take the columns
    instead: the items are ``table.frame.iloc[start:stop]``.
    """

    __slots__ = ("table", "start", "stop")

    def __init__(self, table: ItemTable, start: int = 0, stop: int | None = None):
        self.table = table
        self.start = start
        self.stop = len(table) if stop is None else stop

    def __len__(self) -> int:
        return self.stop - self.start

    def _range(self, a: int, b: int) -> list:
        return self.table.items(self.start + a, self.start + b)

    def _item(self, i: int):
        at = self.start + i
        return self.table.kind(*(c[at] for c in self.table.columns()))

    def __iter__(self) -> Iterator:
        step = 50_000
        for a in range(self.start, self.stop, step):
            yield from self.table.items(a, min(a + step, self.stop))



class ColumnRows(_ReadOnlyList):
    """A read-only list of flat dicts held as one list per key (a cluster's per-system
    saving inputs): the reports encode the columns, never a dict per row.

    Row i is ``{key: columns[k][i]}`` over ``keys`` in order, except that the keys from
    position ``optional`` on are left out of a row whose value in the first of them is
    None (a system's saving and cost on the target: both or neither). Reading,
    iterating and comparing (with a list or tuple of dicts) behave as for that list; every
    read builds fresh dicts, and a copy is the sequence itself.
    """

    __slots__ = ("keys", "columns", "optional")

    def __init__(self, keys: Sequence[str], columns: Sequence[list],
                 optional: int | None = None):
        self.keys = tuple(keys)
        self.columns = tuple(columns)
        self.optional = len(self.keys) if optional is None else optional

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def _range(self, start: int, stop: int) -> list[dict]:
        keys, cut = self.keys, self.optional
        columns = [c[start:stop] for c in self.columns]
        if cut >= len(keys):
            return [dict(zip(keys, row)) for row in zip(*columns)]
        return [dict(zip(keys, row)) if row[cut] is not None else dict(zip(keys[:cut], row))
                for row in zip(*columns)]


    def __iter__(self) -> Iterator[dict]:
        return iter(self._range(0, len(self)))



def table_ranges(table: ItemTable, starts, stops) -> list[TableItems]:
    """One :class:`TableItems` per ``start:stop`` range of ``table``."""
    return [TableItems(table, a, b) for a, b in zip(list(starts), list(stops))]


@dataclass(frozen=True, order=True, slots=True)
class SystemRef:
    department: str
    system_id: str

    @property
    def key(self) -> str:
        return f"{self.department}:{self.system_id}"


@dataclass
class DuplicateGroup:
    """Several implementations of one thing.

    ``kind`` is ``same-product`` (one product run as several separate instances or
    tenants) or ``same-capability`` (several different products, or bespoke systems,
    serving one capability). ``capability`` and ``product`` are display names, the
    ``*_id`` fields the catalogue ids. ``annual_cost`` sums the members whose cost is
    known (``cost_known`` of them); it is None when no member's cost is known.
    """

    id: str
    kind: str
    capability: str | None
    product: str | None
    members: list[SystemRef]
    instances: int
    departments: list[str]
    annual_cost: float | None
    reason: str
    capability_id: str | None = None
    product_id: str | None = None
    cost_known: int = 0
    tiers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ClusterMember:
    """One system of a consolidation cluster: its role, TIME disposition, wave and why.

    A cluster the analysis made holds its members as a :class:`TableItems` range of one
    table of every cluster's members, in the order the reports show them: the target
    first, then the migrating systems by ``order``.
    """

    department: str
    system_id: str
    name: str
    product: str | None
    role: str  # "target" | "migrate"
    disposition: str  # TIME: Tolerate | Invest | Migrate | Eliminate
    users: int | None
    annual_cost: float | None
    contract_end: str | None  # ISO date
    wave: int | None
    earliest_date: str | None
    product_id: str | None = None
    score: float | None = None
    """Target score (None when the system cannot be the target)."""
    order: int | None = None
    """Suggested migration order inside the cluster (1 = first); None for the target."""
    wave_reason: str = ""
    disposition_reason: str = ""
    tier: str | None = None
    region: str | None = None

    @property
    def key(self) -> str:
        return f"{self.department}:{self.system_id}"


@dataclass
class ConsolidationCluster:
    """Systems of one capability and tier that could merge onto one target.

    ``annual_saving`` is None when an input is missing; ``saving_inputs`` holds every
    number used (and the list of ``missing`` inputs; its per-system ``migrating`` rows
    are a :class:`ColumnRows` as the analysis makes them) and ``saving_explanation`` says
    it in words. ``payback_years`` is None unless the saving is known and positive.
    """

    id: str
    capability: str
    tier: str
    members: Sequence[ClusterMember]
    """A list, or (as the analysis makes them) a :class:`TableItems`: see the module doc."""
    target: SystemRef
    target_reasons: list[str]
    runner_up: SystemRef | None
    annual_saving: float | None
    saving_inputs: dict
    saving_explanation: str
    one_off_cost: float | None
    payback_years: float | None
    integrations_to_repoint: list[tuple[str, str]]
    blockers: list[str]
    waves: int
    """The last wave a migration of this cluster falls in (0 when no date is known)."""
    capability_id: str = ""
    runner_up_reasons: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    """What set this cluster apart from others of its capability and tier (e.g. a
    sovereignty zone or a rule), also the suffix of its id."""


@dataclass
class StandardsFlag:
    """A system on a product the standards put on hold or retire, or off-standard."""

    department: str
    system_id: str
    capability: str | None
    product: str | None
    ring: str | None  # hold | retire | None when off-standard
    reason: str


@dataclass(slots=True)
class SystemDisposition:
    """The TIME disposition of one analysed system, and why."""

    department: str
    system_id: str
    disposition: str  # Tolerate | Invest | Migrate | Eliminate
    reason: str
    cluster: str | None = None


@dataclass
class Analysis:
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    clusters: list[ConsolidationCluster] = field(default_factory=list)
    blocked_pairs: list[dict] = field(default_factory=list)
    """Each place a hard constraint split candidates: ``{id, constraint, capability,
    capability_id, tier, reason, groups: [{label, members: [keys]}]}``."""
    standards_flags: list[StandardsFlag] = field(default_factory=list)
    dispositions: Sequence[SystemDisposition] = field(default_factory=list)
    """Sorted by department and system id; a :class:`TableItems` as the analysis makes it
    (see the module doc)."""
    findings: list[Finding] = field(default_factory=list)
    """Problems with the standards file (bad ring, unknown capability or product)."""
    as_of: str | None = None
