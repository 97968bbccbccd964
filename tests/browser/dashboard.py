#!/usr/bin/python3
"""The admin dashboard in a real browser (headless Chromium, Selenium).

Run by tests/integration/test_console.sh against the real responder behind
the shipped nginx over HTTPS. Checks what an admin sees and does:

* the numbers on the page equal the database's (read here with sqlite3);
* text from the database (a contest id, a last_error with <script>) shows
  as text, and the page's CSP lets its hashed style apply, with no CSP
  report in the console;
* the page reads without horizontal scrolling at 1280, 390 and 360 px
  (screenshots of both are saved);
* the cron warning is shown when the test seeded a stale retry run;
* "Retry now" on a dead row puts it back to pending and lands on the
  dashboard again;
* a form on another origin that posts to the requeue URL, in the same
  browser with the same credentials, is refused and changes nothing;
* search by order id opens the detail view, whose links lead on to the
  buyer's telegram id (tickets per contest) and to the contest's page;
* the queue is paged for real: page 2 holds the rows after page 1;
* "Acknowledge" on a dead row records who and when, keeps the row listed
  as dead and takes it out of the strip's red count;
* detail, queue and overview read without sideways scrolling at 1280, 390
  and 360 px (screenshots of each).

Usage: dashboard.py BASE TOKEN DB OUTDIR EVIL_URL
Prints "FAIL: why" and exits 1 on the first failed check.
"""
import base64
import sqlite3
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException

BASE, TOKEN, DB, OUT, EVIL = sys.argv[1:6]
PAGE = 50   # DASHBOARD_ROWS
FIRST = 10  # DASHBOARD_OVERVIEW_ROWS


class Fail(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Fail(why)


def q(sql, *args):
    con = sqlite3.connect(DB, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def q1(sql, *args):
    rows = q(sql, *args)
    return rows[0][0] if rows else None


def browser():
    o = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--ignore-certificate-errors",
              "--window-size=1280,900", "--hide-scrollbars"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(30)
    # Basic credentials on every request this browser makes, as a browser
    # that has logged in sends them: also on a form another site posts.
    d.execute_cdp_cmd("Network.enable", {})
    cred = base64.b64encode(("admin:" + TOKEN).encode()).decode()
    d.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                      {"headers": {"Authorization": "Basic " + cred}})
    return d


def text(d, css):
    els = d.find_elements(By.CSS_SELECTOR, css)
    check(els, "no element %s on the page" % css)
    return els[0].text.strip()


def num(d, css):
    t = text(d, css)
    try:
        return int(t)
    except ValueError:
        raise Fail("%s is not a number: %r" % (css, t))


def no_csp_reports(d):
    for e in d.get_log("browser"):
        check("Content Security Policy" not in e.get("message", ""),
              "CSP report: %s" % e.get("message"))


def no_hscroll(d, width):
    sw = d.execute_script("return document.documentElement.scrollWidth")
    iw = d.execute_script("return window.innerWidth")
    check(iw == width, "viewport is %s px, wanted %s" % (iw, width))
    check(sw <= iw, "horizontal scrolling at %s px: page is %s px wide"
          % (width, sw))


def screenshot(d, width, path):
    h = d.execute_script("return document.documentElement.scrollHeight")
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": min(int(h), 4000),
        "deviceScaleFactor": 1, "mobile": width < 600})
    time.sleep(0.2)
    d.save_screenshot(path)


def numbers_match(d):
    for st in ("pending", "dead", "done"):
        want = q1("SELECT count(*) FROM failed_awards WHERE status = ?", st)
        check(num(d, "#count-" + st) == want,
              "count-%s: page %s, database %s" % (st, text(d, "#count-"
                                                             + st), want))
        if want:
            if st == "done":
                continue    # listed on its own page only
            shown = len(d.find_elements(By.CSS_SELECTOR,
                                        "#%s-rows tbody tr" % st))
            check(shown == min(want, FIRST), "%s rows shown: %s of %s"
                  % (st, shown, want))
            check(text(d, "#%s-showing" % st).startswith(
                "rows 1–%d of %d" % (min(want, FIRST), want)),
                  "%s-showing says %r" % (st, text(d, "#%s-showing" % st)))
    for reason, rows, tickets in q(
            "SELECT reason, count(*), sum(delta) FROM ticket_ledger"
            " GROUP BY reason"):
        tr = "#ledger tr[data-reason='%s']" % reason
        check(num(d, tr + " td.rows") == rows, "ledger %s rows" % reason)
        check(num(d, tr + " td.tickets") == tickets,
              "ledger %s tickets" % reason)
        # Every seeded row was made within the last 24 h.
        check(num(d, tr + " td.day") == rows, "ledger %s last 24 h" % reason)
    contest = q1("SELECT id FROM contests WHERE is_active = 1")
    check(text(d, "#contest-id") == contest,
          "contest shown as %r, database has %r"
          % (text(d, "#contest-id"), contest))
    want = q("SELECT referrer_id, sum(delta) AS t FROM ticket_ledger"
             " WHERE contest_id = ? GROUP BY referrer_id HAVING t > 0"
             " ORDER BY t DESC, referrer_id LIMIT 10", contest)
    got = [(int(r.find_element(By.CSS_SELECTOR, "td.owner").text),
            int(r.find_element(By.CSS_SELECTOR, "td.tickets").text))
           for r in d.find_elements(By.CSS_SELECTOR, "#top tbody tr")]
    check(got == [tuple(w) for w in want],
          "top 10: page %s, database %s" % (got, want))
    for outcome, n in q("SELECT coalesce(outcome, 'none'), count(*)"
                        " FROM payments GROUP BY 1"):
        tr = "#payment-outcomes tr[data-outcome='%s']" % outcome
        check(num(d, tr + " td.payments") == n, "payments %s" % outcome)
    npay = q1("SELECT count(*) FROM payments")
    shown = len(d.find_elements(By.CSS_SELECTOR, "#payments tbody tr"))
    check(shown == min(npay, 20), "latest payments: %s rows for %s"
          % (shown, npay))
    last = q("SELECT picked, awarded, failed, dead FROM retry_runs"
             " ORDER BY id DESC LIMIT 1")
    if last:
        cells = [int(c.text) for c in d.find_elements(
            By.CSS_SELECTOR, "#last-run tbody td.n")[:4]]
        check(cells == list(last[0]), "last run: page %s, database %s"
              % (cells, last[0]))


def main():
    d = browser()
    try:
        d.get(BASE + "/v1/admin/dashboard")
        check("award" in d.title, "no dashboard: title %r, %s"
              % (d.title, d.page_source[:200]))
        no_csp_reports(d)
        numbers_match(d)

        # Text from the database stays text.
        check(d.find_elements(By.TAG_NAME, "script") == [],
              "a <script> element on the page")
        check("<script>" in text(d, "#contest-id"),
              "contest id not shown as text: %r" % text(d, "#contest-id"))
        check("<script>alert(2)</script>" in text(d, "#dead-rows"),
              "last_error not shown as text")

        # The hashed style applies (a blocked style would leave it white).
        warn = d.find_elements(By.ID, "retry-stale")
        check(warn and warn[0].is_displayed(),
              "no cron warning with the last run 16 min ago")
        bg = warn[0].value_of_css_property("background-color")
        check(bg in ("rgba(253, 226, 225, 1)", "rgb(253, 226, 225)"),
              "style not applied (CSP?): warning background %s" % bg)

        no_hscroll(d, 1280)
        screenshot(d, 1280, OUT + "/dashboard-1280.png")
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 1280, "height": 1000, "deviceScaleFactor": 1,
            "mobile": False})
        d.save_screenshot(OUT + "/dashboard-1280-top.png")
        # Phones; 360 px is a common Android width: the menu wraps.
        for w, h in ((390, 844), (360, 800)):
            d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": w, "height": h, "deviceScaleFactor": 1,
                "mobile": True})
            d.get(BASE + "/v1/admin/dashboard")
            no_hscroll(d, w)
            screenshot(d, w, "%s/dashboard-%d.png" % (OUT, w))
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        # "Retry now" on a dead row.
        d.get(BASE + "/v1/admin/dashboard")
        dead = q1("SELECT max(id) FROM failed_awards WHERE status = 'dead'")
        check(dead is not None, "no dead row seeded")
        btn = d.find_element(
            By.CSS_SELECTOR, "#dead-rows tr[data-id='%d'] button" % dead)
        # Its name says which row, for a screen reader.
        check(btn.accessible_name == "Retry row %d now" % dead,
              "the button's name is %r" % btn.accessible_name)
        btn.click()
        for _ in range(600):
            if q1("SELECT status FROM failed_awards WHERE id = ?",
                  dead) == "pending":
                break
            time.sleep(0.05)
        st = q1("SELECT status FROM failed_awards WHERE id = ?", dead)
        check(st == "pending", "dead row %d is %s after Retry now"
              % (dead, st))
        url = arrived(d, lambda u: u.endswith("/v1/admin/dashboard") and
                      d.find_elements(By.CSS_SELECTOR,
                                      "#pending-rows tr[data-id='%d']"
                                      % dead))
        check(url.endswith("/v1/admin/dashboard"),
              "after Retry now the browser is at %s" % url)
        check(d.find_elements(By.CSS_SELECTOR,
                              "#pending-rows tr[data-id='%d']" % dead),
              "the requeued row is not listed as pending")
        numbers_match(d)

        # A form on another origin, posting with this browser's credentials.
        victim = q1("SELECT max(id) FROM failed_awards WHERE status = 'dead'")
        check(victim is not None, "a second dead row is needed")
        before = q("SELECT * FROM failed_awards ORDER BY id")
        d.get(EVIL + "/?id=%d" % victim)
        d.find_element(By.ID, "go-%d" % victim).click()
        arrived(d, lambda u: u.endswith(
            "/v1/admin/failed-awards/%d/retry" % victim))
        body = d.find_element(By.TAG_NAME, "body").text
        check("cross-origin request refused" in body,
              "the cross-origin post was not refused: %r at %s"
              % (body[:200], d.current_url))
        check(q("SELECT * FROM failed_awards ORDER BY id") == before,
              "the cross-origin post changed failed_awards")

        search_and_links(d)
        paging(d)
        acknowledge(d)
    finally:
        d.quit()


def both_widths(d, url, name):
    """url has no sideways scroll at 1280, 390 and 360 px; screenshots."""
    for w, h in ((1280, 1000), (390, 844), (360, 800)):
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": w, "height": h, "deviceScaleFactor": 1,
            "mobile": w < 600})
        d.get(url)
        no_hscroll(d, w)
        screenshot(d, w, "%s/%s-%d.png" % (OUT, name, w))
    d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def arrived(d, pred):
    """Wait (at most 30 s) until the browser's URL satisfies pred and the
    page has loaded: a form's submit() returns before the navigation it
    starts, so an immediate look at the URL depends on the machine's
    speed. Returns the URL."""
    for _ in range(600):
        try:
            url = d.current_url
            if pred(url) and d.execute_script(
                    "return document.readyState") == "complete":
                return url
        except WebDriverException:
            pass        # the page went away mid-look: look again
        time.sleep(0.05)
    return d.current_url


def search_and_links(d):
    order, buyer, pay = q("SELECT order_id, telegram_id, payment_id"
                          " FROM payments WHERE order_id = 'ord-b20'")[0]
    d.get(BASE + "/v1/admin/dashboard")
    box = d.find_element(By.ID, "q-order_id")
    box.send_keys(order)
    box.submit()
    url = arrived(d, lambda u: "order_id=" in u)
    check(url.endswith("/v1/admin/dashboard?order_id=" + order),
          "search went to %s" % url)
    check(order in text(d, "#detail"), "detail heading: %r"
          % text(d, "#detail"))
    check(text(d, "#d-payments td.outcome") == "awarded",
          "detail outcome %r" % text(d, "#d-payments td.outcome"))
    rows = q("SELECT id FROM ticket_ledger WHERE order_id = ?"
             " ORDER BY rowid", order)
    got = [c.text for c in d.find_elements(
        By.CSS_SELECTOR, "#d-ledger tbody td[data-label='row']")]
    check(got == [r[0] for r in rows], "detail ledger rows %s, database %s"
          % (got, rows))
    no_csp_reports(d)
    both_widths(d, d.current_url, "detail")
    # The buyer's link: the telegram id's detail with tickets per contest.
    d.get(BASE + "/v1/admin/dashboard?order_id=" + order)
    d.find_element(By.CSS_SELECTOR, "#d-payments td[data-label='buyer'] a"
                   ).click()
    url = arrived(d, lambda u: "telegram_id=" in u)
    check(url.endswith("?telegram_id=%d" % buyer),
          "buyer link went to %s" % url)
    want = q("SELECT contest_id, sum(delta) FROM ticket_ledger"
             " WHERE referrer_id = ? GROUP BY contest_id", buyer)
    got = [(r.find_element(By.CSS_SELECTOR, "td[data-label='contest']")
            .text, int(r.find_element(By.CSS_SELECTOR,
                                      "td[data-label='tickets']").text))
           for r in d.find_elements(By.CSS_SELECTOR, "#d-tickets tbody tr")]
    check(got == [tuple(w) for w in want], "tickets per contest %s,"
          " database %s" % (got, want))
    # A payments table of real-length ids (UUIDs, ten-digit telegram
    # ids, nine columns) fits the width too.
    both_widths(d, BASE + "/v1/admin/dashboard?telegram_id=7123456789",
                "detail-telegram")
    d.get(url)
    # The payment's own link, then the contest's page.
    d.find_element(By.CSS_SELECTOR,
                   "#d-payments td[data-label='payment'] a").click()
    url = arrived(d, lambda u: "payment_id=" in u)
    check(url.endswith("?payment_id=" + pay),
          "payment link went to %s" % url)
    d.find_element(By.CSS_SELECTOR,
                   "#d-ledger td[data-label='contest'] a").click()
    url = arrived(d, lambda u: "?contest=" in u)
    check("?contest=" in url, "contest link went to %s" % url)
    check(d.find_elements(By.CSS_SELECTOR, "#board tbody tr"),
          "the contest page has no leaderboard")


def paging(d):
    total = q1("SELECT count(*) FROM failed_awards WHERE status = 'pending'")
    check(total > PAGE, "seed more than %d pending rows (%d)"
          % (PAGE, total))
    d.get(BASE + "/v1/admin/dashboard?status=pending")
    first = [int(r.get_attribute("data-id")) for r in d.find_elements(
        By.CSS_SELECTOR, "#pending-rows tbody tr")]
    want = [r[0] for r in q("SELECT id FROM failed_awards WHERE status ="
                            " 'pending' ORDER BY id DESC")]
    check(first == want[:PAGE], "page 1 rows %s..., database %s..."
          % (first[:3], want[:3]))
    d.find_element(By.CSS_SELECTOR, "#pending-showing a[rel='next']").click()
    arrived(d, lambda u: "page=2" in u)
    second = [int(r.get_attribute("data-id")) for r in d.find_elements(
        By.CSS_SELECTOR, "#pending-rows tbody tr")]
    check(second == want[PAGE:2 * PAGE], "page 2 rows %s, database %s"
          % (second, want[PAGE:2 * PAGE]))
    check(text(d, "#pending-showing").startswith(
        "rows %d–%d of %d" % (PAGE + 1, min(total, 2 * PAGE), total)),
          "page 2 says %r" % text(d, "#pending-showing"))
    both_widths(d, BASE + "/v1/admin/dashboard?status=pending", "queue")


def acknowledge(d):
    dead = q1("SELECT min(id) FROM failed_awards WHERE status = 'dead'"
              " AND acked_at IS NULL")
    check(dead is not None, "no dead row to acknowledge")
    d.get(BASE + "/v1/admin/dashboard")
    before = text(d, "#s-dead")
    d.find_element(By.CSS_SELECTOR, "#dead-rows tr[data-id='%d'] button.ack"
                   % dead).click()
    for _ in range(600):
        if q1("SELECT acked_by FROM failed_awards WHERE id = ?", dead):
            break
        time.sleep(0.05)
    row = q("SELECT status, acked_by, acked_at FROM failed_awards"
            " WHERE id = ?", dead)[0]
    check(row[0] == "dead" and row[1] == "admin" and row[2],
          "after Acknowledge the row is %s" % (row,))
    url = arrived(d, lambda u: u.endswith("/v1/admin/dashboard") and
                  not d.find_elements(By.CSS_SELECTOR,
                                      "#dead-rows tr[data-id='%d'] button.ack"
                                      % dead))
    check(url.endswith("/v1/admin/dashboard"),
          "after Acknowledge the browser is at %s" % url)
    who = text(d, "#dead-rows tr[data-id='%d'] td.who" % dead)
    check(who.startswith("acknowledged by admin"), "row says %r" % who)
    check(not d.find_elements(By.CSS_SELECTOR,
                              "#dead-rows tr[data-id='%d'] button.ack"
                              % dead), "the button is still there")
    n = int(before.split()[0])
    check(text(d, "#s-dead") == "%d dead" % (n - 1),
          "strip says %r after, %r before" % (text(d, "#s-dead"), before))
    both_widths(d, BASE + "/v1/admin/dashboard", "dashboard")


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    print("ok")
