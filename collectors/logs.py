"""Log collector: the stack's own error lines, counted by signature each sample.

Why: when requests fail, an engineer reads the logs first: Laravel's exception, PHP-FPM's
master log (pm.max_children reached, a child killed, a request timed out), nginx's error
log (upstream timed out, connection refused). Counted per sample by signature (see
collectors/logsig.py), the analysis can say which message began with a failure: the
culprit in the stack's own words, where no metric names it.

Files are followed from their end when the collector starts (what was written before
the run is not this run's), read locally or over the host's SSH connection in one
round trip, at most TAIL_LIMIT bytes per file and sample; a rotated or truncated file
is read again from the top, and patterns are expanded again now and then, so
Laravel's daily files are picked up as they appear.
"""

from __future__ import annotations

import glob
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from collectors.base import Sample
from collectors.logsig import TRACEBACK, announces, raised, signature, slowlog_frame, slowlog_header
from collectors.shell import Shell, ShellError

TAIL_LIMIT = 1 << 20       # bytes per file and sample: a flood is counted, not all of it
MAX_PARTIAL = 64 << 10     # an unfinished line kept for the next sample, at most
DISCOVER_EVERY = 30        # samples between expansions of the patterns
TOP_SIGNATURES = 30        # signatures reported by name; the rest add up in OTHER
OTHER = "other messages"


@dataclass
class LogCollector:
    shell: Shell
    patterns: tuple[str, ...]
    name: str = "log"
    _positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    _partial: dict[str, str] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)
    _slow_entry: set[str] = field(default_factory=set)  # files whose next frame is wanted
    _traceback: set[str] = field(default_factory=set)   # files inside a Python traceback
    _samples: int = 0

    @property
    def target(self) -> str:
        return self.shell.name

    def check(self) -> list[str]:
        """A file named exactly must be there and readable; a pattern may match nothing yet
        (daily files, workers not started), as long as something is followed."""
        problems, followed = [], 0
        try:
            for pattern in self.patterns:
                found = self.shell.files((pattern,))
                readable = self.shell.appended({path: (-1, -1) for path in found}, 0)
                followed += len(readable)
                if not readable and not glob.has_magic(pattern):
                    problems.append(f"log on {self.target}: cannot read {pattern} (is the log "
                                    "there, and readable by the collecting user?)")
        except (ShellError, ValueError) as error:
            return [f"log on {self.target}: {error}"]
        if not followed and not problems:
            problems.append(f"log on {self.target}: no file matches "
                            f"{', '.join(self.patterns)}")
        return problems

    def sample(self, ts: float) -> Sample:
        if self._samples % DISCOVER_EVERY == 0:
            for path in self.shell.files(self.patterns):
                # Files there at the start are followed from their end; later ones are new.
                self._positions.setdefault(path, (-1, -1 if self._samples == 0 else 0))
        self._samples += 1
        counts: Counter[str] = Counter()
        lines = 0
        for appended in self.shell.appended(self._positions, TAIL_LIMIT):
            _inode, expected = self._positions[appended.path]
            self._positions[appended.path] = (appended.inode, appended.start + appended.length)
            # An unfinished line of a file since rotated ends in that file, not this one.
            partial = self._partial.pop(appended.path, "")
            text = (partial if appended.start == expected else "") + appended.text
            *complete, rest = text.split("\n")
            if rest:
                self._partial[appended.path] = rest[-MAX_PARTIAL:]
            lines += len(complete)
            counts.update(self._signatures(complete, appended.path))
        named: dict[str, float] = {}
        other = 0
        for key, value in counts.most_common():
            if key in self._seen or len(self._seen) < TOP_SIGNATURES:
                self._seen.add(key)
                named[key] = value
            else:
                other += value
        if other:
            named[OTHER] = other
        out = Sample()
        out.add("log.lines", lines)
        out.add_per_label("log.errors", named, self._seen, TOP_SIGNATURES + 1)
        return out

    def _signatures(self, lines: list[str], path: str) -> Iterator[str]:
        """The lines' signatures, where a Python logging line that only announces the
        traceback after it ("Exception in ASGI application") gives way to the
        traceback's last line, which names what failed."""
        announced = None
        for line in lines:
            if announced is not None and not line.startswith(TRACEBACK):
                yield announced
            announced = None
            found = self._signature(line, path)
            if found is not None and announces(line):
                announced = found
            elif found is not None:
                yield found
        if announced is not None:
            yield announced

    def _signature(self, line: str, path: str) -> str | None:
        """The line's signature; for PHP-FPM's slowlog, an entry's innermost frame; for
        a Python traceback, its last line (the exception raised)."""
        if path in self._traceback:
            if line[:1].isspace() or not line.strip():
                return None
            self._traceback.discard(path)
            return raised(line, path)
        if line.startswith(TRACEBACK):
            self._traceback.add(path)
            return None
        if path in self._slow_entry:
            frame = slowlog_frame(line, path)
            if frame is not None or not line.strip():  # its first frame, or no stack
                self._slow_entry.discard(path)
                return frame
            if line.startswith("script_filename"):
                return None
            self._slow_entry.discard(path)
        if slowlog_header(line):
            self._slow_entry.add(path)
            return None
        return signature(line, path)

    def close(self) -> None:
        self.shell.close()

