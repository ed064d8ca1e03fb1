"""Which siting proposals are stale: a layer they were computed from differs now.

When a siting model writes its proposal (``proposal__<layer>``) it records the layers it
read — each model declares them (:data:`layers.siting.PROPOSAL_INPUTS`) — with their content
digests at that moment (:class:`layers.store.meta.InputRecord`). The proposal is stale
exactly when one of those layers' digest differs now: an upload or a rebuild that changed
it. A rebuild that reproduces the same layers, an upload of a layer the model does not
read, or an upload that is later undone leave it fresh; re-running the model makes it fresh
even when it proposes the same sites.

A proposal stored before inputs were recorded (or written by hand) falls back to the old,
cautious rule: stale when any canonical layer changed in a later write.
"""

from __future__ import annotations

from dataclasses import dataclass

from layers.schema import CANONICAL
from layers.store.meta import StoreMeta

__all__ = ["PROPOSAL_PREFIX", "ProposalState", "proposal_states"]

PROPOSAL_PREFIX = "proposal__"


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
        In layer-name order. ``changed_after`` lists the recorded inputs whose digest
        differs now (a layer gone, or one that appeared, counts as changed).
    """
    out = []
    for name in sorted(meta.layers):
        if not name.startswith(PROPOSAL_PREFIX):
            continue
        record = meta.inputs.get(name)
        if record is not None:
            changed = tuple(n for n, d in sorted(record.digests.items())
                            if meta.digest_of(n) != d)
            out.append(ProposalState(name, record.at, changed))
            continue
        made = meta.layers[name]
        changed = tuple(n for n in CANONICAL
                        if n in meta.layers and meta.layers[n].changed_in > made.changed_in)
        out.append(ProposalState(name, made.changed_at, changed))
    return out
