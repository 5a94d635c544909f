"""A newcomer's first report on a phone, walked by a browser and written down tap by tap (issue 15, "done means").

Not a test: a record. Against a running observatory with the demo data (``seed_demo``), Playwright drives
Debian's Chromium at 390x844 with touch, in Italian, with the map tile host blocked (every request to another
host fails), and walks what a person does the first time: open the home page, find "report", place the pin on
the drawn map, choose the category and the feeling, send, copy the tracking code, and later look the report up
with it. Every tap, scroll and typed text is recorded with the time since the start, a screenshot is saved for
each step under ``test-output/journey-*.png``, and the walk is printed as JSON (and written beside them).

    .venv/bin/python manage.py runserver 127.0.0.1:8000 &      # or any running observatory
    .venv/bin/python demo/newcomer_journey.py --base-url http://127.0.0.1:8000

Scrolls are counted as a person's swipes: one per three quarters of the screen the page has to move to bring
the next control into view. The automated times are the machine's (pages, scripts, server); the estimate for a
person adds the keystroke-level model's usual figures (1.2 s to decide and tap, 1 s a swipe, 0.3 s a key).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Page, sync_playwright

VIEWPORT = {"width": 390, "height": 844}
SWIPE_FRACTION = 0.75
HUMAN_SECONDS = {"tap": 1.2, "scroll": 1.0, "key": 0.3, "paste": 1.5}
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


@dataclass
class Step:
    number: int
    action: str  # tap | scroll | type | paste | page
    target: str
    seconds: float  # since the start of the walk
    detail: str = ""
    screenshot: str = ""


@dataclass
class Walk:
    steps: list[Step] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def record(self, action: str, target: str, detail: str = "", screenshot: str = "") -> Step:
        step = Step(len(self.steps) + 1, action, target, round(time.perf_counter() - self.started, 2), detail,
                    screenshot)  # fmt: skip
        self.steps.append(step)
        print(f"{step.number:2d} {step.seconds:6.2f}s {action:6s} {target} {detail}", file=sys.stderr)
        return step

    def count(self, action: str) -> int:
        return sum(1 for s in self.steps if s.action == action)

    def human_estimate(self) -> float:
        typed = sum(len(s.detail) for s in self.steps if s.action == "type")
        return round(
            self.count("tap") * HUMAN_SECONDS["tap"] + self.count("scroll") * HUMAN_SECONDS["scroll"]
            + typed * HUMAN_SECONDS["key"] + self.count("paste") * HUMAN_SECONDS["paste"],
            1,
        )  # fmt: skip


def shot(page: Page, name: str) -> str:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"journey-{name}.png"
    page.screenshot(path=str(path))
    return path.name


def bring_into_view(page: Page, walk: Walk, selector: str, label: str) -> None:
    """Scroll as a person would until the control is on screen, recording the swipes it takes."""
    box = page.locator(selector).first.bounding_box()
    if box is None:
        raise RuntimeError(f"{label} ({selector}) is not on the page")
    top, bottom = box["y"], box["y"] + box["height"]
    if top >= 0 and bottom <= VIEWPORT["height"]:
        return
    page.locator(selector).first.evaluate("el => el.scrollIntoView({block: 'nearest', behavior: 'instant'})")
    moved = top - page.locator(selector).first.bounding_box()["y"]  # how far the page moved under the finger
    swipes = max(1, math.ceil(abs(moved) / (VIEWPORT["height"] * SWIPE_FRACTION)))
    for _i in range(swipes):
        walk.record("scroll", label, f"{moved:+.0f} px in {swipes} swipe(s)")


def tap(page: Page, walk: Walk, selector: str, label: str, *, screenshot: str = "") -> None:
    bring_into_view(page, walk, selector, label)
    page.locator(selector).first.tap()
    walk.record("tap", label, screenshot=shot(page, screenshot) if screenshot else "")


def phone(browser, base_url: str, **options) -> tuple:
    """An Italian touch phone's browser context on ``base_url`` whose requests to any other host (the map tiles)
    fail, and the list of the hosts refused."""
    host = urlparse(base_url).netloc
    context = browser.new_context(
        base_url=base_url, viewport=VIEWPORT, screen=VIEWPORT, is_mobile=True, has_touch=True,
        device_scale_factor=1, locale="it-IT", **options,
    )  # fmt: skip
    blocked: list[str] = []

    def only_the_observatory(route):
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:  # the tile host (and anything else outside): as if the network refused it
            blocked.append(urlparse(route.request.url).netloc)
            route.abort()

    context.route("**/*", only_the_observatory)
    return context, blocked


def journey(base_url: str, *, headless: bool = True, chromium: str = "/usr/bin/chromium") -> dict:
    walk = Walk()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=headless)
        context, blocked = phone(browser, base_url)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        page = context.new_page()
        walk.started = time.perf_counter()

        page.goto("/")
        walk.record("page", "home page", page.title(), shot(page, "01-home"))
        tap(page, walk, 'main a[href="/reports/new/"]', "home: «Segnala come ti sei sentito/a»")
        page.wait_for_url("**/reports/new/")
        page.locator("#report-map path[data-zone]").first.wait_for()
        walk.record("page", "report form, map drawn without tiles", page.title(), shot(page, "02-form"))

        # The pin: a tap on the drawn map (zones and streets from the observatory's own layers).
        bring_into_view(page, walk, "#report-map", "the map")
        page.locator("#report-map").tap()
        page.locator("#place-confirmation", has_text="Sei in:").wait_for()
        confirmation = page.locator("#place-confirmation").inner_text()
        walk.record("tap", "the map: pin placed", confirmation, shot(page, "03-pin"))

        # The category: a native select on a phone is a tap to open and a tap to choose.
        bring_into_view(page, walk, "#id_category", "category")
        page.locator("#id_category").tap()
        walk.record("tap", "category: open the list")
        page.select_option("#id_category", label="Zona buia o poco visibile")
        walk.record("tap", "category: «Zona buia o poco visibile»", screenshot=shot(page, "04-category"))
        page.wait_for_timeout(600)  # the nearby-reports check runs once category and place are known
        if page.locator("#nearby").is_visible():
            walk.record("page", "«Già segnalato qui vicino?» shown", shot(page, "04b-nearby"))
            tap(page, walk, "label[for=join-new]", "nearby: «Nessuna di queste: invia la mia»")

        tap(page, walk, "label[for=id_perceived_safety_2]", "feeling: «Poco sicuro/a»", screenshot="05-feeling")
        when = page.locator("#id_occurred_at").input_value()
        if not when:
            walk.record("type", "when it happened", "empty: a person must fill it")
        tap(page, walk, "#report-form button[type=submit]", "«Invia la segnalazione»")
        page.wait_for_load_state()
        if page.locator("#duplicates-step").count():
            walk.record("page", "duplicates step after sending", shot(page, "06b-duplicates"))
            tap(page, walk, "label[for=join-new]", "duplicates: «Nessuna di queste»")
            tap(page, walk, "#report-form button[type=submit]", "«Invia la segnalazione» again")
        page.wait_for_url("**/reports/*/?new=1")
        code = page.locator("#tracking-code").inner_text().strip()
        walk.record("page", "thank-you page", f"code {code}", shot(page, "06-sent"))

        tap(page, walk, "#copy-code", "«Copia il codice»")
        page.locator("#code-action-message", has_text="copiato").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        walk.record("page", "code copied", f"clipboard holds {copied!r}", shot(page, "07-copied"))
        sent_seconds = walk.steps[-1].seconds

        # Later: the home page again, the lookup field, the code pasted.
        page.goto("/")
        walk.record("page", "later: home page", page.title())
        tap(page, walk, "#id_code", "lookup: the tracking code field")
        page.locator("#id_code").fill(copied)
        walk.record("paste", "lookup: paste the code", copied)
        tap(page, walk, ".lookup-form button[type=submit]", "lookup: «Trova»")
        page.wait_for_url(f"**/reports/{code}/")
        walk.record("page", "the report's status page", page.title(), shot(page, "08-status"))
        browser.close()

    sending = [s for s in walk.steps if s.seconds <= sent_seconds]
    return {
        "base_url": base_url,
        "viewport": VIEWPORT,
        "language": "it",
        "blocked_hosts": sorted(set(blocked)),
        "tracking_code": code,
        "to_the_tracking_code": {
            "taps": sum(1 for s in sending if s.action == "tap"),
            "scrolls": sum(1 for s in sending if s.action == "scroll"),
            "typed_characters": sum(len(s.detail) for s in sending if s.action == "type"),
            "automated_seconds": sent_seconds,
            "person_estimate_seconds": Walk(steps=sending).human_estimate(),
        },
        "whole_walk": {
            "taps": walk.count("tap"),
            "scrolls": walk.count("scroll"),
            "pastes": walk.count("paste"),
            "automated_seconds": walk.steps[-1].seconds,
            "person_estimate_seconds": walk.human_estimate(),
        },
        "steps": [asdict(s) for s in walk.steps],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--headed", action="store_true")
    args = parser.parse_args()
    figures = journey(args.base_url, headless=not args.headed, chromium=args.chromium)
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "journey.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
