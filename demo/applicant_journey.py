"""An applicant finishes and submits an online application on a phone, walked by a browser and written down tap by
tap (issue 16). Not a test: a record, like ``demo/newcomer_journey.py`` (whose walk and counting it shares).

Against a running observatory with the demo data (``./dev run``), Playwright drives Debian's Chromium at 390x844
with touch, in Italian, with the map tile host blocked, and walks what the demo's applicant does: open /apply/,
log in with the e-mail, open the draft begun on the open call, fill what is missing (codici fiscali, address,
summary, dates), place the project's site with a tap on the drawn map, name the team's coordinator, write the
budget line, attach the project form (a PDF), make the six self-declarations, submit, and download the receipt.
Screenshots go to ``test-output/applicant-journey-*.png`` and the walk to ``test-output/applicant-journey.json``.

    ./dev run &                       # the demo: richiedente@example.org has a draft
    .venv/bin/python demo/applicant_journey.py --base-url http://127.0.0.1:8000

Run it once per fresh demo: the walk submits the draft, after which it is read only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from demo.newcomer_journey import OUTPUT, VIEWPORT, Walk, bring_into_view, phone

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def shot(page: Page, name: str) -> str:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"applicant-journey-{name}.png"
    page.screenshot(path=str(path))
    return path.name


def tap(page: Page, walk: Walk, selector: str, label: str, *, screenshot: str = "") -> None:
    bring_into_view(page, walk, selector, label)
    page.locator(selector).first.tap()
    walk.record("tap", label, screenshot=shot(page, screenshot) if screenshot else "")


def type_into(page: Page, walk: Walk, selector: str, label: str, text: str) -> None:
    """A tap on the field, then the text typed (counted by characters for the person's estimate)."""
    tap(page, walk, selector, label)
    page.locator(selector).first.fill(text)
    walk.record("type", label, text)


def journey(base_url: str, *, password: str, chromium: str = "/usr/bin/chromium") -> dict:
    walk = Walk()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        context, blocked = phone(browser, base_url, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30000)
        walk.started = time.perf_counter()

        page.goto("/apply/")
        walk.record("page", "applicants' home: open calls", page.title(), shot(page, "01-home"))
        tap(page, walk, "#to-login", "«Accedi»")
        type_into(page, walk, "#id_username", "e-mail", "richiedente@example.org")
        type_into(page, walk, "#id_password", "password", password)
        tap(page, walk, "#applicant-login button[type=submit]", "«Accedi» (send)")
        page.wait_for_url("**/apply/mine/")
        walk.record("page", "my applications", page.title(), shot(page, "02-mine"))
        tap(page, walk, "#my-applications a", "the draft «Piazze accese»")
        page.wait_for_selector("#draft-form")
        walk.record("page", "the draft, map drawn without tiles", page.title(), shot(page, "03-draft"))

        type_into(page, walk, "#id_org_tax_code", "codice fiscale", "97512340015")
        type_into(page, walk, "#id_org_address", "registered address", "Via Nizza 12, 10125 Torino")
        type_into(page, walk, "#id_legal_rep_name", "legal representative", "Chiara Ferrero")
        type_into(page, walk, "#id_legal_rep_tax_code", "legal representative's codice fiscale", "RSSMRA80A01L219M")
        type_into(page, walk, "#id_summary", "summary", "Tre sere a settimana di animazione e presidio in piazza.")
        year = time.localtime().tm_year + 1
        type_into(page, walk, "#id_start_on", "start (date picker)", f"{year}-03-01")
        type_into(page, walk, "#id_end_on", "end (date picker)", f"{year + 1}-02-28")
        tap(page, walk, "label[for=id_night_service]", "night-time service")

        type_into(page, walk, "#site-0-name", "site 1: name", "Piazza Madama Cristina")
        bring_into_view(page, walk, "#sites-map", "the sites' map")
        page.locator("#sites-map").tap()
        page.locator("#sites-confirmation", has_text="Sei in:").wait_for()
        walk.record("tap", "the map: site placed", page.locator("#sites-confirmation").inner_text(),
                    shot(page, "04-site"))  # fmt: skip

        type_into(page, walk, "#team-0-full_name", "team: name", "Chiara Ferrero")
        type_into(page, walk, "#team-0-role", "team: role", "Coordinatrice")
        type_into(page, walk, "#line-0-description", "budget: item", "Animatori serali")
        type_into(page, walk, "#line-0-requested", "budget: requested", "20000")
        type_into(page, walk, "#line-0-co_financing", "budget: co-financing", "3000")
        document = page.locator(".document-field input[type=file]").first
        bring_into_view(page, walk, ".document-field input[type=file]", "project form (PDF)")
        document.set_input_files(files=[{"name": "formulario.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        walk.record("tap", "project form: choose the file", "formulario.pdf")
        boxes = page.locator("#declarations .declaration label").evaluate_all("ls => ls.map(l => l.htmlFor)")
        for index, box in enumerate(boxes, start=1):
            tap(page, walk, f"label[for={box}]", f"declaration {index}")
        walk.record("page", "declarations made", "", shot(page, "05-declarations"))
        tap(page, walk, "#submit-application", "«Invia la domanda»")
        page.wait_for_selector("#protocol-number")
        protocol = page.locator("#protocol-number").inner_text()
        walk.record("page", "submitted: protocol number", protocol, shot(page, "06-submitted"))
        with page.expect_download() as download:
            tap(page, walk, "#receipt-link", "«Scarica la ricevuta (PDF)»")
        receipt = OUTPUT / "applicant-journey-receipt.pdf"
        download.value.save_as(receipt)
        walk.record("page", "receipt downloaded", download.value.suggested_filename)
        browser.close()

    return {
        "base_url": base_url,
        "viewport": VIEWPORT,
        "language": "it",
        "blocked_hosts": sorted(set(blocked)),
        "protocol": protocol,
        "taps": walk.count("tap"),
        "scrolls": walk.count("scroll"),
        "typed_characters": sum(len(s.detail) for s in walk.steps if s.action == "type"),
        "automated_seconds": walk.steps[-1].seconds,
        "person_estimate_seconds": walk.human_estimate(),
        "steps": [asdict(s) for s in walk.steps],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    figures = journey(args.base_url, password=os.environ.get("DEMO_PASSWORD", "observatory-demo"),
                      chromium=args.chromium)  # fmt: skip
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "applicant-journey.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in figures.items() if k != "steps"}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
