"""Run every benchmark in turn: `python -m bench`."""

import importlib
import subprocess
import sys

MODULES = ["bench.engine", "bench.telegram", "bench.sms", "bench.sms_wrk", "bench.admin_api", "bench.feedback",
           "bench.inbox"]

for name in MODULES:
    try:
        importlib.util.find_spec(name)
    except ModuleNotFoundError:
        continue
    if importlib.util.find_spec(name) is None:
        continue
    print(f"\n# {name}\n", flush=True)
    subprocess.run([sys.executable, "-m", name], check=False)
