"""What every function's init does first and last: import and build without the cyclic GC.

A cold start imports a few hundred modules and builds thousands of classes, schemas and clients, all
of which live as long as the environment. The cyclic garbage collector would walk them again and again
while they are being made (each collection of the oldest generation visits every tracked object), and
once more at the first collections after init, and it finds almost nothing to free: about 430 objects of
garbage in a whole init (measured on the code reconciler with tracing on, against about 130,000 that
stay). So each handler module calls :func:`begin` before its first import and :func:`end` as its last
statement: the collector is off while init runs, then everything init made is frozen (moved to the
permanent generation, which no collection visits) and the collector is turned back on for the
invocations. That is CPython's own advice for a process about to fork, which is what a SnapStart
snapshot is to the environments restored from it: a collection there would otherwise touch every
object of the snapshot, pulling all its memory pages in at the first collection after a restore.

Nested inits (a handler module importing another) count depth, so only the outermost ``end`` freezes.
"""

from __future__ import annotations

import gc


class _State:
    depth = 0
    was_enabled = True


def begin() -> None:
    """Turn the cyclic garbage collector off until the matching :func:`end`."""
    if _State.depth == 0:
        _State.was_enabled = gc.isenabled()
        gc.disable()
    _State.depth += 1


def end() -> None:
    """Freeze what init made and turn the collector back on (the outermost call only)."""
    if _State.depth == 0:
        return
    _State.depth -= 1
    if _State.depth == 0:
        gc.freeze()
        if _State.was_enabled:
            gc.enable()
