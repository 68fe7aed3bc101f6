"""Fail CI when a pinned dependency has a known vulnerability (pip-audit, PyPI's advisories).

A dependency the vulnerability service cannot answer for is listed as a warning: a package index
mirror may carry the packages without their advisories, and that must be seen, not hidden.
"""

import json
import subprocess
import sys

command = [
    sys.executable,
    "-m",
    "pip_audit",
    "--requirement",
    "requirements.txt",
    "--format",
    "json",
    "--progress-spinner",
    "off",
]
result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603 - a fixed command
try:
    report = json.loads(result.stdout)
except json.JSONDecodeError:
    print(result.stderr.strip() or result.stdout.strip())
    sys.exit("pip-audit gave no report: see above.")

vulnerable, unaudited = [], []
for dependency in report["dependencies"]:
    if dependency.get("skip_reason"):
        unaudited.append(dependency["name"])
    for vulnerability in dependency.get("vulns", []):
        fixes = ", ".join(vulnerability.get("fix_versions", [])) or "no fix yet"
        name = f"{dependency['name']} {dependency['version']}"
        vulnerable.append(f"{name}: {vulnerability['id']} (fixed in {fixes})")

audited = len(report["dependencies"]) - len(unaudited)
print(f"{audited} dependencies audited, {len(vulnerable)} known vulnerabilities.")
if unaudited:
    print(
        "WARNING: the vulnerability service had no answer for "
        f"{len(unaudited)} dependencies: {', '.join(sorted(unaudited))}"
    )
if vulnerable:
    print("\n".join(vulnerable))
    sys.exit(1)
