"""Which locustfiles a campaign runs, and what of them goes to an SSH worker host.

The built-in eSPPD scenarios (scenarios/locustfile.py), or your own file or package
next to what the harness adds to any locustfile (scenarios/esppd_harness.py: its
options, the recorder, the shape), as `locust -f a.py,b.py` would load them.
Stdlib only (importing Locust patches the process); harness/user_classes.py loads them.
"""

from __future__ import annotations

import modulefinder
from pathlib import Path

from harness.config import LoadConfig

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
BUILTIN = SCENARIOS / "locustfile.py"
HARNESS = SCENARIOS / "esppd_harness.py"


def locustfile_paths(load: LoadConfig) -> list[Path]:
    """What `-f` names: the built-in scenarios, or the harness and your locustfile."""
    return [BUILTIN] if load.locustfile is None else [HARNESS, Path(load.locustfile)]


def upload_files(locustfile: Path) -> dict[Path, Path]:
    """Your locustfile and its local imports: local path -> path relative to the upload.

    A package (a directory) goes whole; a single file goes with the modules it imports
    from its own directory tree (found by modulefinder, never run), so a worker host
    can import it as it is imported here.
    """
    if locustfile.is_dir():
        root = locustfile.parent
        return {path: path.relative_to(root) for path in sorted(locustfile.rglob("*.py"))}
    root = locustfile.resolve().parent
    finder = modulefinder.ModuleFinder(path=[str(root)])
    finder.run_script(str(locustfile))
    files = {locustfile.resolve()}
    for module in finder.modules.values():
        source = getattr(module, "__file__", None)
        if source and Path(source).resolve().is_relative_to(root):
            files.add(Path(source).resolve())
    return {path: path.relative_to(root) for path in sorted(files)}
