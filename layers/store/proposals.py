"""Which siting proposals are stale: a layer they were computed from changed after them.

A proposal layer (``proposal__<layer>``) is "made" in the write that last changed it
(:class:`layers.store.meta.LayerVersion`). It is stale when one of its input layers
changed in a later write — an upload, or a rebuild from changed raw files. A rebuild that
reproduces the same layers changes nothing, so it leaves proposals fresh.
"""

from __future__ import annotations

from dataclasses import dataclass

from layers.schema import CANONICAL
from layers.store.meta import StoreMeta

__all__ = ["PROPOSAL_INPUTS", "PROPOSAL_PREFIX", "ProposalState", "proposal_states"]

PROPOSAL_PREFIX = "proposal__"
# The layers each proposal kind reads (layers/siting.py: demand from communities and
# buildings, candidates from land use / roads / buildings, existing sites, walking graph).
PROPOSAL_INPUTS: dict[str, tuple[str, ...]] = {
    "proposal__recycling_points": ("communities", "streets", "buildings", "landuse", "roads",
                                   "recycling_points"),
    "proposal__pocket_parks": ("districts", "communities", "buildings", "landuse", "roads",
                               "green_spaces", "pocket_parks"),
}


@dataclass(frozen=True)
class ProposalState:
    """One proposal layer: when it was made and which inputs changed after it."""

    layer: str
    made_at: str
    changed_after: tuple[str, ...]

    @property
    def stale(self) -> bool:
        """Whether an input changed after the proposal was made."""
        return bool(self.changed_after)

    def message(self) -> str:
        """A one-line note for the CLI and the pages (empty when fresh)."""
        if not self.stale:
            return ""
        made = self.made_at.replace("T", " ").removesuffix("+00:00")
        return (f"{self.layer}: made {made} UTC, before {', '.join(self.changed_after)} "
                "changed — re-run 'peakmap site' (方案已过期)")

    def as_dict(self) -> dict[str, object]:
        """Plain dict for JSON."""
        made = self.made_at.replace("T", " ").removesuffix("+00:00")
        return {"layer": self.layer, "made_at": made, "stale": self.stale,
                "changed_after": list(self.changed_after), "message": self.message()}


def proposal_states(meta: StoreMeta) -> list[ProposalState]:
    """The state of every proposal layer recorded in ``meta``.

    Parameters
    ----------
    meta : StoreMeta
        The store's metadata.

    Returns
    -------
    list of ProposalState
        In layer-name order. A proposal of a kind not in :data:`PROPOSAL_INPUTS`
        (``proposal__<layer>``) depends on every canonical layer.
    """
    out = []
    for name in sorted(meta.layers):
        if not name.startswith(PROPOSAL_PREFIX):
            continue
        made = meta.layers[name]
        inputs = PROPOSAL_INPUTS.get(name) or tuple(CANONICAL)
        changed = tuple(n for n in inputs
                        if n in meta.layers and meta.layers[n].changed_in > made.changed_in)
        out.append(ProposalState(name, made.changed_at, changed))
    return out
