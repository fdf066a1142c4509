#!/usr/bin/env python3
"""`make schema`: rewrite schemas/pipeline.schema.json and the stage reference in docs/stages.md
from the stage definitions (`anomsynth schema`), which the tests compare them with."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
anomsynth = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "anomsynth")
schema = subprocess.run([anomsynth, "schema"], check=True, capture_output=True, text=True).stdout
with open(os.path.join(ROOT, "schemas", "pipeline.schema.json"), "w") as f:
    f.write(schema)
reference = subprocess.run([anomsynth, "schema", "--markdown"], check=True, capture_output=True, text=True).stdout
readme_path = os.path.join(ROOT, "docs", "stages.md")
readme = open(readme_path).read()
start, end = "<!-- stage-reference:start -->", "<!-- stage-reference:end -->"
head, rest = readme.split(start, 1)
_, tail = rest.split(end, 1)
with open(readme_path, "w") as f:
    f.write(head + start + "\n" + reference.rstrip("\n") + "\n" + end + tail)
