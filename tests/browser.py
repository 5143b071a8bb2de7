"""Open a page in Debian's headless Chromium: the DOM after load and a screenshot.

Without chromium the browser tests skip saying why, except in CI (`CI=true`), where .ci/run
installs it and its absence is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists()
                                         else None)
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium); CI runs this test")
    return found


def render(page: Path, workdir: Path, *, width: int = 1200, height: int = 2400) -> tuple[str, Path]:
    """The DOM Chromium holds once `page` has loaded (scripts run, if any could), and a PNG."""
    program = chromium()
    workdir.mkdir(parents=True, exist_ok=True)
    shot = workdir / "screenshot.png"
    proc = subprocess.run(
        [program, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-extensions", "--mute-audio",
         f"--user-data-dir={workdir / 'profile'}", f"--window-size={width},{height}",
         f"--screenshot={shot}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, cwd=workdir)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists(), proc.stderr[-2000:]
    return proc.stdout, shot


def distinct_colours(png: Path) -> int:
    """How many colours the screenshot has (a blank page has one)."""
    from PIL import Image  # matplotlib's dependency, in the dev extras

    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours or ())
