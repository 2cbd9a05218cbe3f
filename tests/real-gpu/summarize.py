"""Writes OUT/summary.json from what run.sh left in OUT (python3 only, no packages).

    python3 summarize.py OUT CHOSEN_ICD MANIFEST SUITE_EXIT_STATUS

Tests: from suite-results.json, or, when the suite's process died before writing it, from the
per-test lines of log.txt. Adapter: nvidia-smi, vulkaninfo --summary and ONNX Runtime's device
discovery (probe.txt). Placement: the table the placement test printed into log.txt.
"""

import json
import os
import re
import subprocess
import sys

out, chosen, manifest_path, suite_rc = sys.argv[1:5]


def read(name):
    try:
        with open(os.path.join(out, name), encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


summary = {"manifest": load(manifest_path), "vulkanDriver": chosen, "suiteExitStatus": suite_rc}

try:
    summary["nvidiaSmi"] = subprocess.run(
        ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
except (OSError, subprocess.SubprocessError):
    summary["nvidiaSmi"] = None

vk = read("vulkaninfo.txt")
if vk:
    keys = ("deviceName", "deviceType", "driverName", "driverInfo", "apiVersion", "vendorID")
    summary["vulkaninfo"] = [
        line.strip() for line in vk.splitlines() if line.strip().startswith(keys)
    ]
probe = read("probe.txt") or ""
summary["ortDevices"] = sorted(
    set(re.findall(r"Discovered OrtHardwareDevice \{[^}]*\}", probe))
)

log = read("log.txt") or ""
results = load(os.path.join(out, "suite-results.json"))
if results:
    tests = results["results"]
    summary["suite"] = {
        "source": "suite-results.json",
        "totals": results["totals"],
        "byFile": results["byFile"],
        "durationMs": results["durationMs"],
        "errors": results["errors"],
        "slowest": results["slowest"],
    }
else:
    marks = {"ok": "pass", "FAIL": "fail", "skip": "skip", "todo": "todo", "not-run": "not-run"}
    tests = []
    for m in re.finditer(r"^(ok|FAIL|skip|todo|not-run) (.*) \((\d+) ms\)$", log, re.M):
        tests.append({"name": m.group(2), "state": marks[m.group(1)], "durationMs": int(m.group(3))})
    totals = {}
    for t in tests:
        totals[t["state"]] = totals.get(t["state"], 0) + 1
    summary["suite"] = {
        "source": "log.txt (the suite wrote no results: it crashed or was killed)",
        "totals": totals,
    }
summary["failures"] = [
    {"name": t["name"], "error": (t.get("error") or "")[:2000]}
    for t in tests
    if t["state"] == "fail"
]
# Test name → state; a name that two tests share (the suite has one) gets " #2".
summary["tests"] = {}
for t in tests:
    name = (f"{t['file']} > " if t.get("file") else "") + t["name"]
    key, k = name, 1
    while key in summary["tests"]:
        k += 1
        key = f"{name} #{k}"
    summary["tests"][key] = t["state"]

table = re.search(r"^\| kernel \| ONNX ops on WebGPU .*?(?=\n\s*\n|\Z)", log, re.M | re.S)
if table:
    placement = {}
    for row in table.group(0).splitlines()[2:]:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) >= 3:
            placement[cells[0].strip("`")] = {"webgpu": cells[1], "cpu": cells[2]}
    summary["placement"] = placement

summary["timing"] = load(os.path.join(out, "timing.json"))

samples = read("gpu-samples.csv")
if samples:
    util, mem = [], []
    for line in samples.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3:
            try:
                util.append(float(parts[1].split()[0]))
                mem.append(float(parts[2].split()[0]))
            except (ValueError, IndexError):
                pass
    if util:
        summary["gpuSamples"] = {
            "count": len(util),
            "maxUtilizationPercent": max(util),
            "meanUtilizationPercent": round(sum(util) / len(util), 1),
            "maxMemoryUsedMiB": max(mem),
        }

with open(os.path.join(out, "summary.json"), "w", encoding="utf-8") as f:
    json.dump(summary, f, indent=1)
    f.write("\n")
s = summary["suite"]
print(f"suite ({s['source']}): {json.dumps(s['totals'])}")
for t in summary["failures"]:
    print(f"FAILED {t['name']}: {t['error'].splitlines()[0] if t['error'] else ''}")
print(f"placement rows: {len(summary.get('placement', {}))}; timing rows: "
      f"{len((summary['timing'] or {}).get('rows', []))}; wrote {os.path.join(out, 'summary.json')}")
