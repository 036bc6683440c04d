"""SLO results as JUnit XML: one test case per SLO and phase, so CI shows them natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from analysis.slo import SloResult


def write_junit(path: Path, results: list[SloResult], suite: str) -> None:
    failures = sum(1 for r in results if r.passed is False)
    skipped = sum(1 for r in results if r.passed is None)
    root = ET.Element("testsuites", name="eSPPD SLOs", tests=str(len(results)),
                      failures=str(failures))
    testsuite = ET.SubElement(root, "testsuite", name=suite, tests=str(len(results)),
                              failures=str(failures), skipped=str(skipped), errors="0")
    for result in results:
        case = ET.SubElement(testsuite, "testcase", classname=f"slo.{result.phase}",
                             name=result.slo)
        if result.passed is False:
            ET.SubElement(case, "failure", message=result.detail).text = result.detail
        elif result.passed is None:
            ET.SubElement(case, "skipped", message=result.detail)
        else:
            ET.SubElement(case, "system-out").text = result.detail
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
