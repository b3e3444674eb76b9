"""The annotation page in headless Chromium: clicks, "not visible", back and forward, the
download, and the round trip into the fit's points."""

import shutil
import time

import numpy as np
import pandas as pd
import pytest

from ethoflow.calibration.annotations import read_annotations
from ethoflow.calibration.page import CSV_HEADER, write_page
from ethoflow.calibration.sampling import cut_samples
from tests.conftest import write_video

pytestmark = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                                reason="needs Debian's chromium and chromium-driver")


def browser(download_dir):
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,900",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 f"--user-data-dir={download_dir / 'profile'}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


def click(driver, element_id, dx=0, dy=0):
    """Click ``dx, dy`` CSS pixels from the element's centre."""
    from selenium.webdriver.common.action_chains import ActionChains

    el = driver.find_element("id", element_id)
    ActionChains(driver).move_to_element_with_offset(el, dx, dy).click().perform()


def test_clicks_become_keypoint_moseq_annotations(tmp_path):
    frames = np.full((8, 240, 320, 3), 90, np.uint8)
    video = write_video(tmp_path / "s1.mp4", frames)
    samples = pd.DataFrame({"key": ["s1"] * 3, "coordinate_index": [2, 5, 7], "video_frame_index": [2, 5, 7],
                            "bodypart": ["snout", "tail", "snout"], "x": [160.0, 100.0, 200.0],
                            "y": [120.0, 100.0, 150.0], "confidence": [0.9, 0.05, 0.4]})
    folder = tmp_path / "samples"
    samples = cut_samples(samples, {"s1": str(video)}, folder, crop_size=160)
    page = tmp_path / "annotate.html"
    write_page(samples, folder, page)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = browser(downloads)
    try:
        driver.get(page.as_uri())
        assert "sample 1 of 3" in driver.find_element("id", "counter").text
        # the crop (480 px, zoom 3, the point at its centre): 30 CSS px right = 10 video px
        click(driver, "crop", 30, 0)
        assert "annotated 1 of 3" in driver.find_element("id", "counter").text
        driver.save_screenshot(str(tmp_path / "page-1.png"))
        click(driver, "next")
        click(driver, "invisible")  # sample 2: not visible
        click(driver, "next")
        click(driver, "frame", -40, 20)  # sample 3 on the whole frame (320x240, scale 1)
        click(driver, "prev")
        assert "sample 2 of 3" in driver.find_element("id", "counter").text
        assert "not visible" in driver.find_element("id", "mark").text
        click(driver, "download")
        csv = downloads / "error_annotations.csv"
        deadline = time.monotonic() + 10
        while not csv.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        driver.quit()
    lines = csv.read_text().splitlines()
    assert lines[: len(CSV_HEADER)] == CSV_HEADER
    rows = pd.read_csv(csv, comment="#")
    assert list(rows["bodypart"]) == ["snout", "tail", "snout"]
    assert rows.loc[0, "x"] == pytest.approx(169.5, abs=1.0) and rows.loc[0, "y"] == pytest.approx(119.5, abs=1.0)
    assert np.isnan(rows.loc[1, "x"]) and np.isnan(rows.loc[1, "y"])
    assert rows.loc[2, "x"] == pytest.approx(119.5, abs=1.0) and rows.loc[2, "y"] == pytest.approx(139.5, abs=1.0)
    # the round trip: the page's file is read against the pose it was sampled from
    xy = np.zeros((8, 2, 2))
    xy[2, 0], xy[5, 1], xy[7, 0] = (160, 120), (100, 100), (200, 150)
    lik = np.full((8, 2), 0.5)
    points, hidden = read_annotations(csv, {"s1": (["snout", "tail"], xy, lik)})
    assert hidden == 1 and points["error_px"].tolist() == pytest.approx(
        [np.hypot(9.5, 0.5), np.hypot(80.5, 10.5)], abs=1.0)
