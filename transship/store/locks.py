"""Who holds the store: DuckDB's lock error, read for the message a waiting user sees."""

from __future__ import annotations

import re

from transship.store.sqlcheck import one_line

#: The whole of the lock error DuckDB raises when another process holds the file.
LOCK_HELD = re.compile(r"Conflicting lock is held in (?P<cmd>.*?) \(PID (?P<pid>\d+)\)")


def holder(message: str) -> str:
    """What holds the store, from DuckDB's lock error: its PID and, through psutil, its command
    line (DuckDB names only the executable, which is ``python`` for every transship)."""
    found = LOCK_HELD.search(message)
    if found is None:
        return "another process"
    pid = int(found["pid"])
    command = found["cmd"]
    try:
        import psutil  # noqa: PLC0415 (only needed when the store is locked)

        command = " ".join(psutil.Process(pid).cmdline()) or command
    except Exception:  # noqa: BLE001 (the process may be gone or foreign; keep DuckDB's name)
        pass
    command = one_line(command)
    if len(command) > 300:
        command = command[:297] + "..."
    return f"PID {pid} ({command})"
