"""Open a `snakemake --report` HTML file in headless Chromium, check that it shows the
summary table and the per-session figures, and save screenshots of what a person sees.

    python tests/workflow/report_screenshot.py report.html OUTDIR

Needs Debian's `chromium` and `chromium-driver`, and selenium (in the `test` extra); the demo's
workflow test runs it where Chromium is installed. Each category of figures the report has
(face, pose, calibration, motifs: a report of a run without pose has none of pose) must show its figure,
and the summary table must render; otherwise this exits non-zero.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000"]


def poll(condition, timeout: float = 10.0, step: float = 0.1):
    """The first true value of ``condition()`` within ``timeout`` seconds, else None (the
    report renders in the page's own scripts after it has loaded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value or None
        time.sleep(step)


def shown(driver: webdriver.Chrome, text: str) -> list:
    return [el for el in driver.find_elements(By.XPATH, f"//*[contains(normalize-space(text()), '{text}')]")
            if el.is_displayed()]


def click_text(driver: webdriver.Chrome, text: str, timeout: float = 10.0) -> None:
    found = poll(lambda: shown(driver, text), timeout)
    if not found:
        raise RuntimeError(f"no clickable '{text}' in the report")
    found[0].click()


def open_item(driver: webdriver.Chrome, text: str) -> None:
    """Click the 'view' (eye) icon of the result listed as ``text``."""
    for el in driver.find_elements(By.XPATH, f"//*[contains(normalize-space(text()), '{text}')]"):
        if not el.is_displayed():
            continue
        node = el
        for _ in range(4):  # climb to the row that also holds the icons
            node = node.find_element(By.XPATH, "./..")
            icons = [i for i in node.find_elements(By.XPATH, ".//*[name()='svg']") if i.is_displayed()]
            if icons:
                icons[0].click()
                return
    raise RuntimeError(f"no viewable '{text}' in the report")


def rendered_images(driver: webdriver.Chrome) -> list:
    return [im for im in driver.find_elements(By.TAG_NAME, "img")
            if driver.execute_script("return arguments[0].naturalWidth", im) > 100]


def home(driver: webdriver.Chrome, report: Path) -> None:
    """Load the report's start page and wait until its menu is drawn."""
    driver.get(report.resolve().as_uri())
    poll(lambda: shown(driver, "Summary"))


def figures(driver: webdriver.Chrome, report: Path, category: str, shot: Path, item: str = ".png",
            subcategory: str = "") -> list:
    """Open ``category`` (and ``subcategory``), view the figure listed as ``item``; (width,
    height) of the images rendered."""
    click_text(driver, category)
    if subcategory:
        click_text(driver, subcategory)
    poll(lambda: shown(driver, item))
    driver.save_screenshot(str(shot.with_name(shot.stem + "-list.png")))
    open_item(driver, item)
    images = poll(lambda: rendered_images(driver)) or []
    driver.save_screenshot(str(shot))
    return [(driver.execute_script("return arguments[0].naturalWidth", im),
             driver.execute_script("return arguments[0].naturalHeight", im)) for im in images]


def table_cells(driver: webdriver.Chrome) -> int:
    """Cells of the tables shown in the report's frames (the summary page)."""
    cells = 0
    for frame in driver.find_elements(By.TAG_NAME, "iframe"):
        driver.switch_to.frame(frame)
        cells += len(driver.find_elements(By.TAG_NAME, "td"))
        driver.switch_to.default_content()
    return cells


# (what is seen, report category, the item to view, subcategory)
CATEGORIES = [
    ("figures", "Face motion", ".png", ""),
    ("pose_figures", "Pose training", "loss", ""),
    ("motif_figures", "Behaviour motifs", "usage", "all sessions"),
    ("calibration_figures", "Calibration", "error vs confidence", ""),
]


def check_report(report: Path, outdir: Path) -> dict:
    """Browse the report; return what was seen (image sizes, table cells) and save PNGs."""
    outdir.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={outdir / 'chromium-profile'}")
    driver = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=options)
    seen: dict = {}
    try:
        home(driver, report)
        driver.save_screenshot(str(outdir / "report-home.png"))
        click_text(driver, "Summary")
        poll(lambda: shown(driver, "results/summary.html"))
        open_item(driver, "results/summary.html")
        seen["table_cells"] = poll(lambda: table_cells(driver)) or 0
        driver.save_screenshot(str(outdir / "report-summary.png"))
        for key, category, item, subcategory in CATEGORIES:
            home(driver, report)
            if shown(driver, category):  # the run made this stage's figures
                seen[key] = figures(driver, report, category, outdir / f"report-{key}.png", item,
                                    subcategory)
    finally:
        driver.quit()
    empty = [key for key, *_ in CATEGORIES if key in seen and not seen[key]]
    if empty:
        raise RuntimeError(f"figures listed but not rendered in {report}: {', '.join(empty)} ({seen})")
    if not seen.get("table_cells"):
        raise RuntimeError(f"the summary table did not render in {report}")
    return seen


if __name__ == "__main__":
    print(check_report(Path(sys.argv[1]), Path(sys.argv[2])))
