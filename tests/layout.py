"""Phone-layout checks any browser test can reuse: a page must not scroll sideways, its visible text boxes must not
overlap, its controls must be at least 44x44 CSS px, and axe-core must find nothing serious.

    from tests.layout import phone_context, layout_problems

    context = phone_context(browser, web_server, viewport="phone", language="en")
    page = context.new_page()
    page.goto("/reports/new/")
    assert layout_problems(page, "report-form-phone-en") == {}

``layout_problems`` also saves a full-page screenshot as ``test-output/layout-<name>.png``: look at it, a page can
pass every check and still read badly.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from tests.processes import OUTPUT_DIR

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
MIN_TARGET_PX = 44
# A phone (iPhone 12-15 class) and the narrowest width WCAG 1.4.10 (reflow) asks a page to work at.
VIEWPORTS = {
    "phone": {"width": 390, "height": 844},
    "narrow": {"width": 320, "height": 640},
}


def phone_context(browser, base_url: str, *, viewport: str = "phone", language: str = "it", javascript: bool = True):
    """A touch phone's browser context on the test server, in ``language`` (the site's cookie), whose requests
    to any other host (map tiles) fail: pages must work without them."""
    size = VIEWPORTS[viewport]
    context = browser.new_context(
        base_url=base_url,
        viewport=size,
        screen=size,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=1,
        locale="it-IT" if language == "it" else "en-GB",
        java_script_enabled=javascript,
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
    context.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url else route.continue_())
    return context


def horizontal_overflow(page) -> int:
    """How many CSS px the page is wider than the viewport (0: it never scrolls sideways)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


# Shared by the checks below: is an element drawn for a sighted person (not hidden, not a visually-hidden text,
# not transparent)?
_VISIBLE_JS = """
const drawn = (el) => {
  if (!el.getClientRects().length) return false;
  // Inside a closed <details> (content-visibility: hidden) an element keeps a box but is not drawn.
  if (el.checkVisibility && !el.checkVisibility()) return false;
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const style = getComputedStyle(node);
    if (style.visibility === 'hidden' || style.display === 'none' || parseFloat(style.opacity) === 0) return false;
  }
  const box = el.getBoundingClientRect();
  return box.width > 1 && box.height > 1;
};
"""

_OVERLAP_JS = (
    """
(root) => {
"""
    + _VISIBLE_JS
    + """
  const selector = 'h1, h2, h3, h4, h5, h6, label, legend, a, button, .btn';
  const items = [...document.querySelector(root).querySelectorAll(selector)].filter(drawn).map((el) => {
    // The boxes of its text, node by node, leaving out text a screen-reader-only element clips away.
    const rects = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim() || !drawn(node.parentElement)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      rects.push(...[...range.getClientRects()].filter((r) => r.width > 1 && r.height > 1));
    }
    const name = (el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' +
                  (el.innerText || el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40) + '"');
    return {el, rects, name};
  }).filter((item) => item.rects.length);
  const tolerance = 2;  // px: anti-aliasing and sub-pixel rounding are not overlaps
  const problems = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i], b = items[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;  // a link inside a heading, a span in a button
      const hit = a.rects.some((r) => b.rects.some((s) =>
        Math.min(r.right, s.right) - Math.max(r.left, s.left) > tolerance &&
        Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top) > tolerance));
      if (hit) problems.push(a.name + ' overlaps ' + b.name);
    }
  }
  return problems;
}
"""
)


def overlapping_text(page, root: str = "html") -> list[str]:
    """Pairs of visible headings, labels, legends, links and buttons inside ``root`` (a CSS selector) whose text
    boxes overlap (one line box at a time, so a link wrapping over two lines is two boxes, not the rectangle
    around both)."""
    return page.evaluate(_OVERLAP_JS, root)


_TARGETS_JS = (
    """
([minimum, root]) => {
"""
    + _VISIBLE_JS
    + """
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], ' +
                   '[tabindex]:not([tabindex="-1"]), .form-check > label';
  // WCAG 2.5.8's inline exception: a link inside a sentence is sized by the line it sits in.
  const inSentence = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    if (!block) return false;
    const own = (el.textContent || '').replace(/\\s+/g, '');
    const all = (block.textContent || '').replace(/\\s+/g, '');
    return all.length > own.length;
  };
  const problems = [];
  for (const el of document.querySelector(root).querySelectorAll(selector)) {
    if (!drawn(el) || inSentence(el)) continue;
    if (el.closest('.visually-hidden, .visually-hidden-focusable, [aria-hidden=true]')) continue;
    const box = el.getBoundingClientRect();
    if (box.width + 0.5 < minimum || box.height + 0.5 < minimum) {
      const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
      problems.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + text.slice(0, 40) + '" ' +
                    Math.round(box.width) + 'x' + Math.round(box.height));
    }
  }
  return problems;
}
"""
)


def small_targets(page, minimum: int = MIN_TARGET_PX, root: str = "html") -> list[str]:
    """Visible controls inside ``root`` (links, buttons, fields, the labels of radio and checkbox rows) smaller
    than ``minimum`` CSS px either way; links inside running text are exempt, as WCAG 2.5.8 exempts them."""
    return page.evaluate(_TARGETS_JS, [minimum, root])


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of these impacts, one line each."""
    # Not a script tag: the CSP refuses inline scripts; DevTools evaluation is not subject to it.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def screenshot(page, name: str) -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    path = OUTPUT_DIR / f"layout-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def layout_problems(page, name: str, *, axe: bool = True) -> dict[str, object]:
    """Every check on the page as it is now, keyed by check (empty: none failed); saves the screenshot first."""
    screenshot(page, name)
    problems: dict[str, object] = {}
    overflow = horizontal_overflow(page)
    if overflow > 0:
        problems["scrolls sideways by px"] = overflow
    if overlaps := overlapping_text(page):
        problems["overlapping text"] = overlaps
    if small := small_targets(page):
        problems["targets under 44x44 px"] = small
    if axe and (violations := axe_violations(page)):
        problems["axe-core"] = violations
    return problems
