"""The README's knob table must list every knob of the registry with its bottleneck."""

from __future__ import annotations

from pathlib import Path

from reference_app.knobs import KNOB_SPECS, Knobs

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_knob_table_matches_the_registry() -> None:
    rows = {line.split("|")[1].strip().strip("`"): [cell.strip().strip("`") for cell in
                                                    line.split("|")[2:7]]
            for line in README.read_text().splitlines()
            if line.startswith("| `") and line.count("|") >= 6}
    defaults = Knobs()
    for spec in KNOB_SPECS:
        assert spec.name in rows, f"README lacks knob {spec.name}"
        default, bad, bottleneck, _breaks, apps = rows[spec.name]
        value = getattr(defaults, spec.name)
        shown = ("on" if value else "off") if isinstance(value, bool) else str(value)
        assert (default, bad, bottleneck) == (shown, spec.bad, spec.bottleneck), spec.name
        assert apps == ("both" if len(spec.apps) == 2 else spec.apps[0]), spec.name
