"""Run every benchmark (make bench), each in a fresh process: peak memory is then its own
(Linux keeps a parent's peak across exec). Each prints its table and ratios against pandas.
Every bench/bench_*.py is run, in name order (bench_accounts.py, issue 17, first)."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in sorted(HERE.glob("bench_*.py")):
    print(f"\n=== {script.name} ===", flush=True)
    subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=True)
