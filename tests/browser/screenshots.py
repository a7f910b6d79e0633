"""`make screenshots`: the main pages at 375 px (a touch phone) and 1920 px (a laptop or the
wall), in the light and the dark theme, as each role sees them, written to screenshots/ (not
committed), so anyone can look at the pages after a change.

    .venv/bin/python -m tests.browser.screenshots [--out screenshots] [--only board,marketplace]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import ARGS, CHROMIUM
from tests.browser.pages import ROLES, ids, open_page, pages_for, setup, show_notes_editor
from tests.live import DEMO_PASSWORD, LiveServer

SIZES = {
    "375": {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2,
            "is_mobile": True, "has_touch": True},
    "1920": {"viewport": {"width": 1920, "height": 1080}},
}


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def shoot(base: str, out: Path, only: set[str] | None, smtp=None) -> int:
    values = ids(base, smtp)
    count = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for role, email in ROLES.items():
            for size, options in SIZES.items():
                for theme in ("light", "dark"):
                    context = browser.new_context(color_scheme=theme, **options)
                    page = context.new_page()
                    if email:
                        log_in(page, base, email)
                    for spec in pages_for(role):
                        if only and spec.name not in only:
                            continue
                        if any(f"{{{key}}}" in spec.path and key not in values
                               for key in ("reset", "signin", "invite")):
                            continue  # a server given by --url: no mailed links from it
                        open_page(page, base, spec, values)
                        show_notes_editor(page)
                        path = out / f"{spec.name}-{role}-{size}-{theme}.png"
                        page.screenshot(path=str(path), full_page=size == "375")
                        count += 1
                    context.close()
        browser.close()
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots", type=Path)
    parser.add_argument("--only", help="comma-separated page names (tests/browser/pages.py)")
    parser.add_argument("--url", help="an already running server with the demo event")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    if args.url:
        count = shoot(args.url.rstrip("/"), args.out, only)
    else:
        with tempfile.TemporaryDirectory() as folder:
            server = LiveServer(Path(folder))
            smtp = setup(server)
            server.start()
            try:
                count = shoot(server.url, args.out, only, smtp)
            finally:
                server.stop()
                smtp.stop()
    print(f"{count} screenshots in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
