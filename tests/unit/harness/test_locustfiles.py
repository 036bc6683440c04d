"""What goes to an SSH worker host with your locustfile: it and its local imports."""

from __future__ import annotations

from pathlib import Path

from harness.locustfiles import upload_files


def test_a_locustfile_goes_with_its_local_imports_only(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "__init__.py").write_text("")
    (tmp_path / "flows" / "login.py").write_text("import helpers\n")
    (tmp_path / "helpers.py").write_text("import json\n")
    (tmp_path / "unused.py").write_text("")
    (tmp_path / "load.py").write_text("import random\nfrom locust import task\n"
                                      "from flows.login import *\n")
    uploads = upload_files(tmp_path / "load.py")
    assert sorted(map(str, uploads.values())) == [
        "flows/__init__.py", "flows/login.py", "helpers.py", "load.py"]


def test_a_package_goes_whole(tmp_path: Path) -> None:
    package = tmp_path / "mine"
    (package / "users").mkdir(parents=True)
    for name in ("__init__.py", "users/__init__.py", "users/dosen.py"):
        (package / name).write_text("")
    assert sorted(map(str, upload_files(package).values())) == [
        "mine/__init__.py", "mine/users/__init__.py", "mine/users/dosen.py"]
