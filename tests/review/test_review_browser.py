#!/usr/bin/env python3
"""The review page in a real browser: headless Chromium driven by Selenium (Debian: python3-selenium,
chromium, chromium-driver; scripts/setup.sh installs them).

On two simulated micrographs picked by the bundled KLH picker it opens the page and checks: the boxes drawn
(count and colour on the canvas) against the server's picks at the threshold; the counts after moving the
confidence slider with the keyboard and with the mouse; adding, moving, resizing, re-classing and deleting a box
with mouse and keys, undo and redo, each checked in the label file on disk; navigation between micrographs;
"pick this micrograph"; that a reload shows what was saved; and that an edit made while the server is stopped is
kept by the browser and written when the page opens again. Screenshots are kept in --artifacts; with the shared
data present (real KLH micrographs with labels, ../shared) it also takes the screenshots of docs/review.md.

Exit code 77 (ctest: skipped) with the reason when Selenium, Chromium or its driver is missing.
"""
import argparse
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

SKIP = 77


def skip(reason):
    print(f"SKIPPED: {reason}")
    sys.exit(SKIP)


try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    skip("python3-selenium is not installed (bash scripts/setup.sh installs it)")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)


# --- the server ------------------------------------------------------------------------------------------
class Review:
    """`yolopick review` as a child process (started in `cwd`); its URL is read from what it prints."""

    def __init__(self, exe, flags, log_path, port=0, cwd=None):
        self.log_path = log_path
        log = open(log_path, "w")
        cmd = [exe, "review", "--port", str(port)] + flags
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        deadline = time.time() + 60
        self.url = None
        while time.time() < deadline and self.url is None:
            time.sleep(0.1)
            text = open(log_path).read()
            m = re.search(r"Open (http://\S+) in a browser", text)
            if m:
                self.url = m.group(1)
            if self.proc.poll() is not None:
                raise RuntimeError(f"yolopick review exited: {text}")
        if self.url is None:
            raise RuntimeError("yolopick review printed no URL")
        self.port = int(re.search(r":(\d+)/", self.url).group(1))

    def api(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=60) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        assert code == 0, f"yolopick review exited with {code}: {open(self.log_path).read()}"


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


# --- the browser -----------------------------------------------------------------------------------------
def browser(width=1500, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              f"--window-size={width},{height}", "--force-device-scale-factor=1", "--lang=en-GB"]:
        options.add_argument(a)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def js(d, script, *args):
    return d.execute_script(script, *args)


def wait(d, condition, what, timeout=60):
    try:
        return WebDriverWait(d, timeout, poll_frequency=0.05).until(lambda _: js(d, f"return {condition}"))
    except TimeoutException:
        status = js(d, "return document.getElementById('save-status').textContent")
        raise AssertionError(f"timed out waiting for {what} ({condition}); status line: {status}")


def loaded(d, name):
    """The micrograph `name` is on screen with its boxes and at least its preview tile."""
    wait(d, f"window.review && review.app.current && review.app.current.name === {json.dumps(name)} && "
            "!review.app.current.loading && review.viewer.tiles.size > 0 && review.viewer.frame === 0",
         f"{name} to load")


def saved(d):
    wait(d, "review.app.saver.unsaved === 0 && document.getElementById('save-status').className === 'state-ok'",
         "the save")


def page_boxes(d):
    return js(d, "return review.app.current.boxes.map(b => ({...b}))")


def screen_of(d, x, y):
    """Screen position (CSS px, relative to the overlay canvas's top-left) of micrograph point (x, y)."""
    return js(d, "return [review.viewer.toScreenX(arguments[0]), review.viewer.toScreenY(arguments[1])]", x, y)


def at(d, x, y):
    """An ActionChains whose pointer is on micrograph point (x, y), placed in viewport coordinates (offsets from
    an element count from its in-view centre, which moves when part of it is scrolled out of view)."""
    sx, sy = js(d, """const r = document.getElementById('overlay-canvas').getBoundingClientRect();
                      return [r.left + review.viewer.toScreenX(arguments[0]), r.top + review.viewer.toScreenY(arguments[1])];""", x, y)
    chain = ActionChains(d)
    chain.w3c_actions.pointer_action.move_to_location(int(round(sx)), int(round(sy)))
    chain.w3c_actions.key_action.pause()
    return chain


def counts_table(d):
    rows = d.find_elements(By.CSS_SELECTOR, "#counts tbody tr")
    return {r.find_elements(By.TAG_NAME, "td")[0].text: (int(r.find_elements(By.TAG_NAME, "td")[1].text),
                                                       int(r.find_elements(By.TAG_NAME, "td")[2].text)) for r in rows}


def read_labels(path, width, height):
    """A YOLO label file 'class cx cy w h' as boxes in micrograph pixels (centre x = cx W - 0.5)."""
    boxes = []
    for line in open(path):
        if line.strip():
            c, cx, cy, w, h = line.split()
            boxes.append((int(c), float(cx) * width - 0.5, float(cy) * height - 0.5, float(w) * width, float(h) * height))
    return boxes


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def empty_spot(boxes, width, height, margin=120):
    """A point of the micrograph at least `margin` px from every box edge and from the image border."""
    best, best_d = None, -1
    for gy in range(margin, height - margin, 16):
        for gx in range(margin, width - margin, 16):
            d = min([max(abs(gx - b["x"]) - b["w"] / 2, abs(gy - b["y"]) - b["h"] / 2) for b in boxes] + [1e9])
            if d > best_d:
                best, best_d = (gx, gy), d
    return best


# --- the test --------------------------------------------------------------------------------------------
def test_page(a, shots):
    work = a.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    run([a.yolopick, "simulate", "--n", "2", "--size", "1024", "--seed", "5", "--particles", "12", "--format", "png", "-o", f"{work}/mics"])
    run([a.yolopick, "pick", "--model", a.model, "--input", f"{work}/mics", "-o", f"{work}/picks", "--no-png",
         "--quiet"])
    with open(f"{work}/mics/broken.png", "wb") as f:  # a file that is not a picture: listed, reported, never edited
        f.write(b"not a picture")
    flags = ["--micrographs", f"{work}/mics", "--picks", f"{work}/picks", "--labels", f"{work}/labels",
             "--out", f"{work}/out", "--model", a.model]
    review = Review(a.yolopick, flags, f"{work}/server.log")
    d = browser()
    try:
        d.get(review.url)
        loaded(d, "sim_00000")
        W = H = 1024
        server = review.api("/api/micrographs/sim_00000/boxes")["boxes"]
        threshold = js(d, "return review.app.threshold")
        check(threshold == 0.25, f"threshold {threshold}, expected the default 0.25")

        # 1. The boxes drawn are the server's picks at the threshold, in their class colour.
        shown = [b for b in server if b["confidence"] >= threshold]
        check(len(shown) > 0, "the bundled picker found nothing on the simulated micrograph")
        drawn = js(d, "return review.viewer.drawnBoxes")
        check(drawn == len(shown), f"{drawn} boxes drawn, {len(shown)} picks >= {threshold}")
        colours = [c["colour"] for c in review.api("/api/session")["classes"]]
        for b in shown[:5]:
            # The line is anti-aliased against its dark halo: the pixel closest to the colour within 2 px of the
            # middle of the box's top edge must be the class colour. An edge at a sub-pixel position shares its
            # coverage between two rows, so the best pixel may be only mostly opaque.
            sx, sy = screen_of(d, b["x"], b["y"] - b["h"] / 2)
            strip = js(d, """const c = document.getElementById('overlay-canvas');
                             const p = c.getContext('2d').getImageData(Math.round(arguments[0]), Math.round(arguments[1]) - 2, 1, 5).data;
                             return Array.from(p);""", sx, sy)
            want = [int(colours[b["class"]][i:i + 2], 16) for i in (1, 3, 5)]
            pixels = [strip[i:i + 4] for i in range(0, len(strip), 4)]
            best = min(pixels, key=lambda p: max(abs(p[i] - want[i]) for i in range(3)) if p[3] >= 192 else 999)
            check(best[3] >= 192 and max(abs(best[i] - want[i]) for i in range(3)) <= 16,
                  f"box at ({b['x']:.0f}, {b['y']:.0f}): canvas {pixels} across its top edge, class colour {want}")
        d.save_screenshot(f"{shots}/review_opened.png")

        # 2. The slider hides picks below it and the counts follow, per class.
        def expect_counts(t):
            table = counts_table(d)
            for k, name in enumerate(["top", "side"]):
                want_shown = sum(1 for b in server if b["class"] == k and b["confidence"] >= t)
                want_hidden = sum(1 for b in server if b["class"] == k and b["confidence"] < t)
                check(table[name] == (want_shown, want_hidden),
                      f"threshold {t}: {name} counts {table[name]}, expected {(want_shown, want_hidden)}")
            check(js(d, "return review.viewer.drawnBoxes") == sum(1 for b in server if b["confidence"] >= t),
                  f"threshold {t}: boxes drawn differ from the picks above it")

        slider = d.find_element(By.ID, "threshold")
        slider.send_keys(Keys.HOME)
        wait(d, "review.app.threshold === 0 && review.viewer.frame === 0", "the slider at 0")
        expect_counts(0.0)
        slider.send_keys(*([Keys.ARROW_RIGHT] * 60))
        wait(d, "Math.abs(review.app.threshold - 0.6) < 1e-9 && review.viewer.frame === 0", "the slider at 0.60")
        expect_counts(0.6)
        check(d.find_element(By.ID, "threshold-value").text == "0.60", "the threshold is not shown as 0.60")
        ActionChains(d).click_and_hold(slider).move_by_offset(slider.size["width"] // 4, 0).release().perform()
        t = js(d, "return review.app.threshold")
        check(t > 0.6, f"dragging the slider right left it at {t}")
        wait(d, "review.viewer.frame === 0", "a render")
        expect_counts(t)
        slider.send_keys(Keys.HOME)
        slider.send_keys(*([Keys.ARROW_RIGHT] * 25))
        wait(d, "Math.abs(review.app.threshold - 0.25) < 1e-9 && review.viewer.frame === 0", "the slider back at 0.25")
        js(d, "document.activeElement.blur()")  # keys go to the page again (a click would add a box)

        # 3. A training label: L writes the boxes >= threshold to labels/NAME.txt.
        label_path = f"{work}/labels/sim_00000.txt"
        ActionChains(d).send_keys("l").perform()
        saved(d)
        check(js(d, "return review.app.current.label") is True, "L did not make it a training label")
        on_disk = read_labels(label_path, W, H)
        check(len(on_disk) == len(shown), f"label file has {len(on_disk)} boxes, {len(shown)} shown")

        # 4. Click on empty ice adds a box of the active class, where the click was.
        before = page_boxes(d)
        x, y = empty_spot(before, W, H)
        at(d, x, y).click().perform()
        boxes = page_boxes(d)
        check(len(boxes) == len(before) + 1, "a click on empty ice added no box")
        new = boxes[-1]
        scale = js(d, "return review.viewer.scale")
        check(abs(new["x"] - x) <= 1 / scale + 0.5 and abs(new["y"] - y) <= 1 / scale + 0.5,
              f"box added at ({new['x']:.1f}, {new['y']:.1f}), clicked at ({x}, {y})")
        check(new["cls"] == 0 and new["conf"] == 1, f"new box {new}")
        saved(d)
        on_disk = read_labels(label_path, W, H)
        match = [b for b in on_disk if abs(b[1] - new["x"]) < 0.01 and abs(b[2] - new["y"]) < 0.01]
        check(len(match) == 1 and abs(match[0][3] - new["w"]) < 0.01, f"new box not in {label_path}: {new}")
        check(os.path.exists(f"{work}/out/sim_00000.cbox") and os.path.exists(f"{work}/out/sim_00000_autopick.star"),
              "no reviewed .cbox/STAR in out/")

        # 5. Drag it: it moves by the drag / scale; the label file follows.
        x0, y0 = new["x"], new["y"]
        at(d, x0, y0).click_and_hold().move_by_offset(20, 10).move_by_offset(20, 15).release().perform()
        moved = page_boxes(d)[-1]
        check(abs(moved["x"] - (x0 + 40 / scale)) < 0.51 / scale + 1e-6 and abs(moved["y"] - (y0 + 25 / scale)) < 0.51 / scale + 1e-6,
              f"dragged by (40, 25) px at scale {scale}: ({x0:.2f}, {y0:.2f}) -> ({moved['x']:.2f}, {moved['y']:.2f})")
        saved(d)
        check(any(abs(b[1] - moved["x"]) < 0.01 and abs(b[2] - moved["y"]) < 0.01 for b in read_labels(label_path, W, H)),
              "the moved box is not in the label file")

        # 6. Resize from the bottom-right corner; the top-left corner stays.
        left, top = moved["x"] - moved["w"] / 2, moved["y"] - moved["h"] / 2
        at(d, moved["x"] + moved["w"] / 2, moved["y"] + moved["h"] / 2).click_and_hold().move_by_offset(15, 30).release().perform()
        resized = page_boxes(d)[-1]
        check(abs(resized["x"] - resized["w"] / 2 - left) < 0.01 and abs(resized["y"] - resized["h"] / 2 - top) < 0.01,
              f"resizing moved the fixed corner: {moved} -> {resized}")
        check(resized["w"] > moved["w"] + 5 and resized["h"] > moved["h"] + 10, f"resize did not grow the box: {resized}")

        # 7. Key 2 turns the selected box into class 1 (side).
        ActionChains(d).send_keys("2").perform()
        check(page_boxes(d)[-1]["cls"] == 1, "key 2 did not change the selected box's class")
        saved(d)
        check(any(b[0] == 1 and abs(b[1] - resized["x"]) < 0.01 for b in read_labels(label_path, W, H)),
              "the class change is not in the label file")
        d.save_screenshot(f"{shots}/review_edited.png")

        # 8. Delete it (Del), undo (Ctrl+Z), redo (Ctrl+Shift+Z): each saved.
        n = len(page_boxes(d))
        ActionChains(d).send_keys(Keys.DELETE).perform()
        check(len(page_boxes(d)) == n - 1, "Delete did not remove the selected box")
        saved(d)
        check(len(read_labels(label_path, W, H)) == len(shown), "the deleted box is still in the label file")
        ActionChains(d).key_down(Keys.CONTROL).send_keys("z").key_up(Keys.CONTROL).perform()
        check(len(page_boxes(d)) == n, "Ctrl+Z did not bring the box back")
        saved(d)
        check(len(read_labels(label_path, W, H)) == len(shown) + 1, "undo is not in the label file")
        ActionChains(d).key_down(Keys.CONTROL).key_down(Keys.SHIFT).send_keys("z").key_up(Keys.SHIFT).key_up(Keys.CONTROL).perform()
        check(len(page_boxes(d)) == n - 1, "Ctrl+Shift+Z did not redo the delete")
        # ... and a right-click deletes the box under the cursor.
        victim = max(page_boxes(d), key=lambda b: b["conf"])
        at(d, victim["x"], victim["y"]).context_click().perform()
        check(len(page_boxes(d)) == n - 2, "right-click did not delete the box")
        saved(d)
        check(len(read_labels(label_path, W, H)) == len(shown) - 1, "the right-click delete is not in the label file")

        # 9. The list says what happened; N/P move between micrographs; a broken file is reported, not edited.
        items = d.find_elements(By.CSS_SELECTOR, "#mic-list li")
        check("error" in items[0].get_attribute("class"), f"broken.png's list item: {items[0].get_attribute('class')}")
        check("labelled" in items[1].get_attribute("class"), f"sim_00000's list item: {items[1].get_attribute('class')}")
        ActionChains(d).send_keys(Keys.ESCAPE).send_keys("p").perform()
        wait(d, "review.app.current.name === 'broken' && !document.getElementById('viewer-message').hidden", "broken.png")
        check("broken.png" in d.find_element(By.ID, "viewer-message").text, "broken.png's problem is not shown")
        check(d.find_element(By.ID, "accept").get_attribute("disabled") is not None, "a broken micrograph can be accepted")
        n_before = len(os.listdir(f"{work}/out"))
        ActionChains(d).move_to_element(d.find_element(By.ID, "overlay-canvas")).click().perform()
        check(len(os.listdir(f"{work}/out")) == n_before and js(d, "return review.app.current.boxes.length") == 0,
              "a click on a broken micrograph changed something")
        ActionChains(d).send_keys("n").perform()
        loaded(d, "sim_00000")
        ActionChains(d).send_keys(Keys.ESCAPE).send_keys("n").perform()
        loaded(d, "sim_00001")
        check(d.find_element(By.ID, "title-name").text == "sim_00001", "N did not open the next micrograph")
        check(js(d, "return review.app.current.label") is False, "a micrograph with picks starts as no training label")

        # 10. Enter accepts the picks as they are (reviewed, no training label); then "Pick" replaces them with the
        # model's picks, saved.
        ActionChains(d).send_keys(Keys.ENTER).perform()
        saved(d)
        check(os.path.exists(f"{work}/out/sim_00001_autopick.star") and not os.path.exists(f"{work}/labels/sim_00001.txt"),
              "Enter did not save sim_00001 as reviewed (and only that)")
        check("reviewed" in d.find_elements(By.CSS_SELECTOR, "#mic-list li")[2].get_attribute("class"),
              "sim_00001 is not marked reviewed in the list")
        d.find_element(By.ID, "pick").click()
        wait(d, "review.app.saver.unsaved === 0 && /^All changes saved/.test(document.getElementById('save-status').textContent)",
             "the picks to be saved", timeout=120)
        picked = page_boxes(d)
        check(len(picked) > 0 and all(0.01 <= b["conf"] <= 1 for b in picked), "pick returned no usable boxes")
        check(os.path.exists(f"{work}/out/sim_00001.cbox"), "the picks were not saved")
        # The export threshold: "Export all reviewed at >= 0.50" keeps it in review.json.
        slider = d.find_element(By.ID, "threshold")
        slider.send_keys(Keys.HOME, *([Keys.ARROW_RIGHT] * 50))
        js(d, "document.activeElement.blur()")
        d.find_element(By.ID, "export").click()
        wait(d, "/Rewrote/.test(document.getElementById('export-note').textContent)", "the export")
        check(json.load(open(f"{work}/out/review.json"))["threshold"] == 0.5, "review.json does not hold 0.5")
        check("2 reviewed micrographs" in d.find_element(By.ID, "export-note").text, d.find_element(By.ID, "export-note").text)
        slider.send_keys(Keys.HOME, *([Keys.ARROW_RIGHT] * 25))
        js(d, "document.activeElement.blur()")
        saved(d)
        ActionChains(d).send_keys("p").perform()
        loaded(d, "sim_00000")

        # 11. A reload shows what was saved.
        kept = page_boxes(d)
        d.refresh()
        loaded(d, "sim_00000")
        again = page_boxes(d)
        check(len(again) == len(kept) and all(abs(a_["x"] - b_["x"]) < 2e-3 and a_["cls"] == b_["cls"] for a_, b_ in zip(again, kept)),
              "after a reload the boxes differ from those saved")
        check(d.find_element(By.ID, "title-status").text.lower() == "labelled", "status badge is not 'labelled'")

        # 12. The server stops mid-edit: the edit stays in the browser and reaches the file when the page opens again.
        port = review.port
        review.stop()
        x, y = empty_spot(again, W, H)
        at(d, x, y).click().perform()
        wait(d, "document.getElementById('save-status').className === 'state-bad'", "the page to say it could not save")
        check("Kept in this browser" in d.find_element(By.ID, "save-status").text, "the failed save does not say the edit is kept")
        d.save_screenshot(f"{shots}/review_server_stopped.png")
        review = Review(a.yolopick, flags, f"{work}/server2.log", port=port)
        d.get(review.url)
        loaded(d, "sim_00000")
        saved(d)
        check(any(abs(b[1] - x) <= 1 / scale + 0.5 and abs(b[2] - y) <= 1 / scale + 0.5 for b in read_labels(label_path, W, H)),
              "the edit made while the server was stopped never reached the label file")
        check(js(d, "return Object.keys(JSON.parse(localStorage.getItem(review.app.saver.storageKey))).length") == 0,
              "the browser still holds edits the server has saved")

        severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE" and "Failed to fetch" not in e["message"]
                  and "ERR_CONNECTION_REFUSED" not in e["message"]]
        check(not severe, f"errors in the browser console: {severe}")
    finally:
        d.quit()
        review.stop()
    print(f"page test passed; screenshots in {shots}")


def docs_screenshots(a, shots):
    """The screenshots of docs/review.md, on the two real KLH micrographs that have labels (../shared)."""
    shared = os.environ.get("YOLOPICK_SHARED") or a.shared
    klh = os.path.join(shared or "", "data/klh_nramm_png")
    if not os.path.isdir(os.path.join(klh, "labels")):
        print(f"docs screenshots skipped: no labelled KLH micrographs under {klh}")
        return
    work = a.work + "_klh"
    shutil.rmtree(work, ignore_errors=True)
    for sub in ["mics", "labels", "mics_labelled"]:
        os.makedirs(f"{work}/{sub}")
    for name in ["KLH_002", "KLH_004"]:  # the labelled ones (the other four are kept aside)
        for sub in ["mics", "mics_labelled"]:
            os.symlink(os.path.join(klh, "processed_deepcryopicker", f"{name}.png"), f"{work}/{sub}/{name}.png")
        shutil.copy(os.path.join(klh, "labels", f"{name}.txt"), f"{work}/labels/{name}.txt")
    run([a.yolopick, "pick", "--model", a.model, "--input", f"{work}/mics", "-o", f"{work}/picks", "--no-png", "--quiet"])

    def session(flags, name, take):
        """A review started in `work` (so the page shows short folder names), opened on micrograph `name`."""
        review = Review(a.yolopick, flags, f"{work}/server_{name}.log", cwd=work)
        d = browser(1600, 1050)
        try:
            d.get(f"{review.url}#{name}")
            loaded(d, name)
            wait(d, "review.viewer.loading.size === 0 && review.viewer.frame === 0", "the tiles")
            take(d)
        finally:
            d.quit()
            review.stop()

    def reviewing(d):
        d.save_screenshot(f"{shots}/review_picks.png")
        # Zoomed in on the pre-processed view (what the network saw) with a pick selected.
        js(d, "review.viewer.zoomAt(2.6, review.viewer.cssWidth * 0.30, review.viewer.cssHeight * 0.30)")
        box = max(page_boxes(d), key=lambda b: -abs(b["x"] - 620) - abs(b["y"] - 560) if b["conf"] >= 0.25 else -1e9)
        at(d, box["x"], box["y"]).click().perform()
        js(d, "document.getElementById('view-kind').value = 'processed'; "
              "document.getElementById('view-kind').dispatchEvent(new Event('change'))")
        wait(d, "review.viewer.view && review.viewer.view.kind === 'processed' && review.viewer.loading.size === 0 && "
                "review.viewer.frame === 0", "the pre-processed view", timeout=120)
        time.sleep(0.3)
        d.save_screenshot(f"{shots}/review_zoom_processed.png")

    # Reviewing the picker's picks; labelling (the hand-made labels of KLH_002).
    session(["--micrographs", "mics", "--picks", "picks", "--labels", "labels_review", "--out", "reviewed",
             "--model", a.model], "KLH_004", reviewing)
    session(["--micrographs", "mics_labelled", "--labels", "labels", "--out", "reviewed_labels", "--classes", "top,side"],
            "KLH_002", lambda d: d.save_screenshot(f"{shots}/review_labels.png"))
    print(f"docs screenshots in {shots}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--yolopick", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--work", required=True, help="scratch folder (emptied)")
    p.add_argument("--artifacts", required=True, help="screenshots go here")
    p.add_argument("--shared", default="", help="the shared data folder (for the docs screenshots)")
    a = p.parse_args()
    a.yolopick, a.model, a.work, a.artifacts = (os.path.abspath(x) for x in (a.yolopick, a.model, a.work, a.artifacts))
    if not CHROMIUM:
        skip("chromium is not installed (bash scripts/setup.sh installs it)")
    if not DRIVER:
        skip("chromium-driver is not installed (bash scripts/setup.sh installs it)")
    os.makedirs(a.artifacts, exist_ok=True)
    test_page(a, a.artifacts)
    docs_screenshots(a, a.artifacts)


if __name__ == "__main__":
    main()
