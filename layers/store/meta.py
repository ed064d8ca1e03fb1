"""What the store knows about itself: its version, when each layer last changed, what is stale.

Two attribute tables inside ``build/peakmap.gpkg``:

``_store_meta`` (key, value)
    ``version`` — a new random id at every write (the key of every cache of results
    computed from the store); ``counter`` — how many writes the store has seen;
    ``written_at``; ``stale:<result>`` — a derived result (PV fields, uncovered land) that
    no longer matches its inputs, with the reason; ``inputs:<proposal layer>`` — the layers a
    siting proposal was computed from, with their digests at that moment (JSON), so the
    proposal is stale exactly when one of them differs now.
``_layer_versions`` (layer, digest, changed_in, changed_at)
    A digest of every layer's content and the write (counter, UTC time) in which it last
    changed. A rebuild that reproduces a layer keeps its ``changed_in``, so a siting
    proposal is stale exactly when a layer it was computed from changed after it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["META_TABLE", "VERSIONS_TABLE", "FrameDigest", "InputRecord", "LayerVersion",
           "StoreMeta", "frame_digest"]

META_TABLE = "_store_meta"
VERSIONS_TABLE = "_layer_versions"
STALE_PREFIX = "stale:"
INPUTS_PREFIX = "inputs:"


def frame_digest(frame: pd.DataFrame) -> str:
    """A SHA-256 of a layer's columns, values, geometries (WKB) and CRS."""
    return FrameDigest().add(frame).hexdigest()


class FrameDigest:
    """:func:`frame_digest` of a layer fed in consecutive parts (a build writing in chunks).

    ``FrameDigest().add(a).add(b).hexdigest()`` equals ``frame_digest(pd.concat([a, b]))``
    when the parts have the same columns and CRS: the geometries' WKB go into the hash as
    they come, the attributes' row hashes (8 bytes a row) are kept until the end.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> f = gpd.GeoDataFrame({"a": [1, 2, 3]}, geometry=[shapely.Point(i, 0) for i in range(3)])
    >>> FrameDigest().add(f.iloc[:1]).add(f.iloc[1:]).hexdigest() == frame_digest(f)
    True
    """

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self._started = False
        self._rows = 0
        self._crs = b""
        self._attrs: list[bytes] = []

    def add(self, frame: pd.DataFrame) -> FrameDigest:
        """Feed the next rows of the layer; returns self."""
        import geopandas as gpd
        import shapely

        spatial = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns
        if not self._started:
            self._h.update("\x1f".join(map(str, frame.columns)).encode("utf-8"))
            if spatial:
                self._crs = str(frame.crs.to_wkt() if frame.crs else "").encode("utf-8")
            self._started = True
        if spatial:
            if len(frame):
                geoms = np.asarray(frame.geometry.values, dtype=object)
                wkb = shapely.to_wkb(geoms, hex=False)
                if self._rows:
                    self._h.update(b"\x1e")
                self._h.update(b"\x1e".join(b"" if w is None else w for w in wkb))
            attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        else:
            self._crs = b""
            attrs = pd.DataFrame(frame).drop(columns=["geometry"], errors="ignore")
        self._rows += len(frame)
        if len(attrs.columns):
            try:
                hashed = pd.util.hash_pandas_object(attrs, index=False)
            except TypeError:
                hashed = pd.util.hash_pandas_object(attrs.astype("string"), index=False)
            self._attrs.append(np.asarray(hashed, dtype=np.uint64).tobytes())
        return self

    def hexdigest(self) -> str:
        """The digest of every row fed so far."""
        h = self._h.copy()
        h.update(self._crs)
        for part in self._attrs:
            h.update(part)
        return h.hexdigest()


@dataclass(frozen=True)
class LayerVersion:
    """When one layer last changed."""

    layer: str
    digest: str
    changed_in: int
    changed_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class InputRecord:
    """What a derived layer (a siting proposal) was computed from.

    Attributes
    ----------
    at : str
        When it was written (UTC, ISO 8601).
    digests : dict of str to str
        Each input layer's content digest at that moment ("" = the layer did not exist).
    """

    at: str
    digests: dict[str, str]

    def to_json(self) -> str:
        """The record as stored in ``_store_meta``."""
        return json.dumps({"at": self.at, "inputs": self.digests}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> InputRecord | None:
        """Parse a stored record (None when it is not one)."""
        try:
            raw = json.loads(text)
            return cls(str(raw["at"]), {str(k): str(v) for k, v in raw["inputs"].items()})
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


@dataclass(frozen=True)
class StoreMeta:
    """The store's version, layer versions and stale marks."""

    version: str = ""
    counter: int = 0
    written_at: str = ""
    layers: dict[str, LayerVersion] = field(default_factory=dict)
    stale: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, InputRecord] = field(default_factory=dict)

    def digest_of(self, layer: str) -> str:
        """The content digest of ``layer`` now ("" when the store does not hold it)."""
        version = self.layers.get(layer)
        return version.digest if version is not None else ""

    @classmethod
    def read(cls, path: Path) -> StoreMeta:
        """Read the tables of the GeoPackage ``path`` (empty when it has none)."""
        path = Path(path)
        if not path.is_file():
            return cls()
        try:
            con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error:
            return cls()
        try:
            rows = dict(con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
            vers = con.execute(
                f"SELECT layer, digest, changed_in, changed_at FROM {VERSIONS_TABLE}"
            ).fetchall()
        except sqlite3.Error:
            return cls()
        finally:
            con.close()
        return cls.from_rows(rows, vers)

    @classmethod
    def from_rows(cls, rows: Mapping[str, object], vers: Sequence[Sequence[object]]) -> StoreMeta:
        """Build from the rows of the two tables (GeoPackage or PostGIS store).

        Parameters
        ----------
        rows : mapping of str to str
            ``_store_meta`` as key → value.
        vers : sequence of rows
            ``_layer_versions`` rows ``(layer, digest, changed_in, changed_at)``.
        """
        layers = {str(r[0]): LayerVersion(str(r[0]), str(r[1]), int(str(r[2])), str(r[3]))
                  for r in vers}
        stale = {k.removeprefix(STALE_PREFIX): str(v) for k, v in rows.items()
                 if str(k).startswith(STALE_PREFIX)}
        inputs = {}
        for k, v in rows.items():
            if str(k).startswith(INPUTS_PREFIX):
                record = InputRecord.from_json(str(v))
                if record is not None:
                    inputs[str(k).removeprefix(INPUTS_PREFIX)] = record
        return cls(version=str(rows.get("version", "")),
                   counter=int(str(rows.get("counter", 0))),
                   written_at=str(rows.get("written_at", "")), layers=layers, stale=stale,
                   inputs=inputs)

    def next(
        self,
        written: dict[str, str],
        present: set[str],
        *,
        mark: dict[str, str] | None = None,
        clear: set[str] | None = None,
        reset_stale: bool = False,
        inputs: Mapping[str, Sequence[str]] | None = None,
        merge_inputs: frozenset[str] = frozenset(),
    ) -> StoreMeta:
        """The metadata after one write.

        Parameters
        ----------
        written : dict of str to str
            Digest of every layer the write (re)wrote; a layer whose digest did not change
            keeps its ``changed_in``.
        present : set of str
            Every layer in the new store (the versions of others are dropped).
        mark, clear : optional
            Stale marks to add (result → reason) and to remove.
        reset_stale : bool, default False
            Start from no stale mark (a full build recomputes every derived result).
        inputs : mapping of str to sequence of str, optional
            For layers written now from other layers (siting proposals): the layers each
            was computed from; their digests after this write are recorded. A written layer
            without an entry here loses its record (what it was made from is unknown).
        merge_inputs : frozenset of str
            Layers only partly rewritten (one kind of proposal rows replaced, the others
            kept): the earlier record's digests are kept where both name a layer, so rows
            made from an older version of an input stay stale; without an earlier record
            the result is unknown.
        """
        counter = self.counter + 1
        now = _now()
        layers = {k: v for k, v in self.layers.items() if k in present}
        for name, digest in written.items():
            if name not in present:
                continue
            old = layers.get(name)
            if old is None or old.digest != digest:
                layers[name] = LayerVersion(name, digest, counter, now)
        stale = {} if reset_stale else dict(self.stale)
        for key in clear or set():
            stale.pop(key, None)
        stale.update(mark or {})
        records = {k: v for k, v in self.inputs.items() if k in present and k not in written}
        for name, names in (inputs or {}).items():
            if name not in present:
                continue
            digests = {n: layers[n].digest if n in layers else "" for n in names}
            if name in merge_inputs:
                kept = self.inputs.get(name)
                if kept is not None:
                    digests = {**digests, **kept.digests}
                elif name in self.layers:
                    continue  # rows kept from a write whose inputs are unknown
            records[name] = InputRecord(now, digests)
        return replace(self, version=uuid.uuid4().hex, counter=counter, written_at=now,
                       layers=layers, stale=stale, inputs=records)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The two attribute tables to write into the store."""
        meta = [("version", self.version), ("counter", str(self.counter)),
                ("written_at", self.written_at),
                *((STALE_PREFIX + k, v) for k, v in sorted(self.stale.items())),
                *((INPUTS_PREFIX + k, v.to_json()) for k, v in sorted(self.inputs.items()))]
        vers = pd.DataFrame(
            [(v.layer, v.digest, v.changed_in, v.changed_at) for v in self.layers.values()],
            columns=["layer", "digest", "changed_in", "changed_at"],
        ).astype({"layer": object, "digest": object, "changed_in": "int64",
                  "changed_at": object})
        return {META_TABLE: pd.DataFrame(meta, columns=["key", "value"]), VERSIONS_TABLE: vers}


class StaleMarks:
    """Stale marks a store's write records and applies at commit (both store backends).

    A store class sets ``self.marks = {}`` and ``self.cleared = set()`` in its constructor.
    """

    marks: dict[str, str]
    cleared: set[str]

    def mark_stale(self, result: str, reason: str) -> None:
        """Record (at commit) that derived ``result`` no longer matches its inputs."""
        self.marks[result] = reason
        self.cleared.discard(result)

    def clear_stale(self, result: str) -> None:
        """Record (at commit) that derived ``result`` was recomputed."""
        self.cleared.add(result)
        self.marks.pop(result, None)
