"""Which locustfiles a campaign runs, which User classes of them, with what weights.

The built-in eSPPD scenarios (scenarios/locustfile.py), or your own file or package
next to what the harness adds to any locustfile (scenarios/esppd_harness.py: its
options, the recorder, the shape), as `locust -f a.py,b.py` would load them. Workers
load every class; the master picks the ones that run and their weights.
"""

from __future__ import annotations

import modulefinder
from dataclasses import dataclass
from pathlib import Path

from locust import LoadTestShape, User
from locust.argument_parser import parse_locustfile_paths
from locust.util.load_locustfile import load_locustfile

from harness.config import LoadConfig
from scenarios.shapes import EsppdShape

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
BUILTIN = SCENARIOS / "locustfile.py"
HARNESS = SCENARIOS / "esppd_harness.py"


def locustfile_paths(load: LoadConfig) -> list[Path]:
    """What `-f` names: the built-in scenarios, or the harness and your locustfile."""
    return [BUILTIN] if load.locustfile is None else [HARNESS, Path(load.locustfile)]


@dataclass(frozen=True)
class LoadedClasses:
    available: dict[str, type[User]]  # every User class of the files
    selected: dict[str, type[User]]   # the ones this campaign runs, weights applied
    shape: LoadTestShape


def load_classes(load: LoadConfig) -> LoadedClasses:
    """Import the locustfiles once (their listeners register), pick and weigh the classes.

    ValueError says what is wrong with the file or the selection, naming the key.
    """
    files = parse_locustfile_paths([str(path) for path in locustfile_paths(load)])
    available: dict[str, type[User]] = {}
    shapes: list[LoadTestShape] = []
    for file in files:
        try:
            classes, file_shapes = load_locustfile(file)
        except Exception as error:  # noqa: BLE001  # the user's code: any error, one line
            raise ValueError(f"load.locustfile: {file} cannot be imported: "
                             f"{type(error).__name__}: {error}") from None
        available.update(classes)
        shapes += file_shapes
    if not available:
        raise ValueError(f"load.locustfile: {load.locustfile} defines no Locust User class")
    foreign = [type(shape).__name__ for shape in shapes if not isinstance(shape, EsppdShape)]
    if foreign:
        raise ValueError(f"load.locustfile: {load.locustfile} defines its own load shape "
                         f"({', '.join(foreign)}); the campaign's [load] shape drives the "
                         "users: remove it (or run the file with plain locust)")
    names = list(load.user_classes) or list(available)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(f"load.user_classes: {', '.join(unknown)} not found; the User "
                         f"classes are {', '.join(sorted(available))}")
    selected = {name: available[name] for name in names}
    if isinstance(load.user_classes, dict):
        for name, weight in load.user_classes.items():
            selected[name].weight = weight
    return LoadedClasses(available, selected, shapes[0])  # the harness's, found in its file


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
