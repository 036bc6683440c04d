"""The User classes a campaign runs, with what weights, from its locustfiles.

Workers load every class of the files; the master (this process) picks the ones that
run and sets their weights, and checks the file brings no load shape of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from locust import LoadTestShape, User
from locust.argument_parser import parse_locustfile_paths
from locust.util.load_locustfile import load_locustfile

from harness.config import LoadConfig
from harness.locustfiles import locustfile_paths
from scenarios.shapes import EsppdShape


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
