"""The two faces in a real browser against the running lab: a customer books, sees the booking
and its email, is refused with the API's own words, cancels; the instructor sees the lab drawn
live, kills a consumer and watches its lag rise and fall once it is started again, runs a load
and reads the checker's verdict. Screenshots of both faces go to test-output/screenshots/
(the README's are copies of them in docs/images/).

Events and customers made here are named "UI …". The one test that breaks the lab on purpose
is marked `lab_faults` (`-m "not lab_faults"` leaves it out on a lab others are using); it
starts again what it stopped, whatever happens.
"""

from __future__ import annotations

import re
import time

import pytest
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from boletia import config
from boletia.lab.notebook.client import Boletia


# ---------------------------------------------------------------- helpers
def wait(driver, what: str, condition, timeout: float = 30.0):
    """Wait until `condition(driver)` is truthy and return it; fail naming `what`."""
    def probe(d):
        try:
            return condition(d)
        except (NoSuchElementException, StaleElementReferenceException):
            return None
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        probe, message=f"{what} (after {timeout:.0f}s)")


def css(driver, selector: str):
    return driver.find_element(By.CSS_SELECTOR, selector)


def content(element) -> str:
    """An element's text, shown or not."""
    return (element.get_attribute("textContent") or "").strip()


def event_row(driver, name: str):
    return driver.find_element(By.XPATH, f"//table[@id='events-table']//tr[th[normalize-space()='{name}']]")


def tickets_left(driver, name: str) -> str:
    return event_row(driver, name).find_elements(By.TAG_NAME, "td")[1].text


def group_lag(driver, group: str) -> int:
    row = driver.find_element(By.XPATH, f"//table[@id='lag-table']//tr[th[normalize-space()='{group}']]")
    return int(content(row.find_elements(By.TAG_NAME, "td")[0]))


def component_state(driver, name: str) -> str:
    row = driver.find_element(
        By.XPATH, f"//table[@id='components-table']//tr[th[normalize-space()='{name}']]")
    return content(row.find_elements(By.TAG_NAME, "td")[0])


def open_control(driver, ui: str, lab, view: str = "overview") -> None:
    """The control room in `view`, the token entered (once per tab) and the stream live."""
    driver.get(f"{ui}/control#{view}")
    wait(driver, "the sign-in form or the room", lambda d: css(d, "#signin").is_displayed()
         or css(d, "#room").is_displayed())
    if css(driver, "#signin").is_displayed():
        field = css(driver, "#token")
        field.send_keys(lab.admin_token() + Keys.ENTER)
    wait(driver, "the room shown", lambda d: css(d, "#room").is_displayed())
    wait(driver, "the stream live", lambda d: css(d, "#live").text == "live")


UNLABELLED = """
return [
  ...[...document.querySelectorAll('input, select, textarea')]
      .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
      .map(e => 'control ' + (e.id || e.name || e.outerHTML.slice(0, 60))),
  ...[...document.querySelectorAll('button, a')]
      .filter(b => !(b.textContent.trim() || b.getAttribute('aria-label')))
      .map(b => 'button ' + b.outerHTML.slice(0, 60)),
];
"""


def readable_when_projected(driver) -> None:
    size = driver.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
    heading = driver.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    colours = driver.execute_script(
        "const s = getComputedStyle(document.body); return [s.color, s.backgroundColor]")
    assert size >= 20 and heading >= 32, (size, heading)
    assert colours == ["rgb(17, 17, 17)", "rgb(255, 255, 255)"]
    assert driver.execute_script(UNLABELLED) == []


def tab_stops(driver, count: int) -> list[str]:
    driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    stops = []
    for _ in range(count):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        stops.append(active.get_attribute("id") or active.text.strip())
    return stops


# ---------------------------------------------------------------- the box office
def test_the_box_office_books_shows_the_email_refuses_and_cancels(page, ui, lab, run_id, images):
    admin = Boletia(token=lab.admin_token(), settings=lab.settings)
    evento = f"UI e2e {run_id}"
    email = f"ui-e2e-{run_id}@example.com"
    assert admin.create_event(evento, 10, "Prueba UI").ok
    admin.wait_available(evento, 10, timeout=60)

    page.get(f"{ui}/")
    wait(page, "the stream live", lambda d: css(d, "#live").text == "live")
    readable_when_projected(page)
    # the keyboard goes through the page in reading order
    # (the language switch, en | es, sits in the header after the control room's link)
    assert tab_stops(page, 12) == ["Skip to the booking form", "Control room (instructor)", "en", "es",
                                   "book-event",
                                   "book-qty", "book-email", "book-button", "mine-email", "mine-button",
                                   "filter", "show-cancelled"]

    css(page, "#filter").send_keys(evento)
    wait(page, f"{evento} on sale with 10 tickets", lambda d: tickets_left(d, evento) == "10")
    event_row(page, evento).find_element(By.TAG_NAME, "button").click()
    assert page.switch_to.active_element.get_attribute("id") == "book-qty"
    assert css(page, "#book-event").get_attribute("value") == evento
    page.switch_to.active_element.send_keys("3")  # the field's text is selected: typed over
    css(page, "#book-email").send_keys(email + Keys.ENTER)

    result = wait(page, "the booking's answer", lambda d: re.search(
        r"Booked: reservation ([0-9a-f]{24})", css(d, "#book-result").text))
    rid = result.group(1)
    wait(page, "the reservation, active", lambda d: css(d, f"#mine-table tr[data-id='{rid}']")
         .get_attribute("data-state") == "A")
    wait(page, "the confirmation email", lambda d: css(
        d, f"#mail-list li[data-reserva='{rid}'][data-estado='A']").is_displayed())
    assert "reserva confirmada" in css(page, f"#mail-list li[data-reserva='{rid}'][data-estado='A']").text
    wait(page, "7 tickets left", lambda d: tickets_left(d, evento) == "7")

    # too many: the API's own words
    qty = css(page, "#book-qty")
    qty.clear()
    qty.send_keys("100" + Keys.ENTER)
    wait(page, "the refusal", lambda d: "Not booked (404)" in css(d, "#book-result").text)
    assert f"no hay 100 boletos para '{evento}': quedan 7" in css(page, "#book-result").text

    css(page, f"#mine-table tr[data-id='{rid}'] button").click()
    wait(page, "the reservation, cancelled", lambda d: css(d, f"#mine-table tr[data-id='{rid}']")
         .get_attribute("data-state") == "X")
    wait(page, "the cancellation email", lambda d: css(
        d, f"#mail-list li[data-reserva='{rid}'][data-estado='X']").is_displayed())
    wait(page, "10 tickets left again", lambda d: tickets_left(d, evento) == "10")
    wait(page, "the follow-up done", lambda d: "email arrived" in css(d, "#mine-status").text)
    assert css(page, f"#mine-table tr[data-id='{rid}'] button").get_attribute("disabled") is not None

    page.set_window_size(1600, 1500)
    page.execute_script("window.scrollTo(0, 0)")
    page.save_screenshot(str(images / "box-office.png"))
    page.set_window_size(1600, 1000)


# ---------------------------------------------------------------- the control room
def test_the_control_room_asks_for_the_token_and_draws_the_lab_live(page, ui, lab):
    page.get(f"{ui}/control")
    page.execute_script("sessionStorage.clear(); location.reload()")
    wait(page, "the sign-in form", lambda d: css(d, "#signin").is_displayed())
    assert page.switch_to.active_element.get_attribute("id") == "token"
    assert not css(page, "#room").is_displayed()
    page.switch_to.active_element.send_keys("not-the-token" + Keys.ENTER)
    wait(page, "the refusal", lambda d: "not the lab's admin token" in css(d, "#token-result").text)

    open_control(page, ui, lab)
    readable_when_projected(page)
    for node in ("api-reservas", "con-inventario", "con-reembolsos", "con-notificaciones", "ses"):
        wait(page, f"{node} drawn running", lambda d, n=node: css(d, f"g[data-node='{n}']")
             .get_attribute("data-state") == "running")
    wait(page, "every component listed", lambda d: len(d.find_elements(
        By.CSS_SELECTOR, "#components-table tbody tr")) == len(lab.components()))
    wait(page, "the sink running", lambda d: "RUNNING" in d.find_element(
        By.XPATH, "//table[@id='connectors-table']//tr[th[normalize-space()='mongo-sink']]").text)
    wait(page, "messages/s per topic", lambda d: "boletia.reservas" in css(d, "#topics-table").text)
    wait(page, "the last reservation messages", lambda d: d.find_elements(
        By.CSS_SELECTOR, ".tail[data-topic='boletia.reservas'] li"))
    first = css(page, ".tail[data-topic='boletia.reservas'] li summary")
    first.click()
    assert '"_id"' in css(page, ".tail[data-topic='boletia.reservas'] li pre").text
    for group in ("inventario", "reembolsos", "notificaciones", "connect-mongo-sink"):
        wait(page, f"the lag of {group}", lambda d, g=group: group_lag(d, g) >= 0)

    # views by URL fragment, for the notebooks' links
    page.get(f"{ui}/control#booking-flow")
    wait(page, "the booking-flow view", lambda d: d.execute_script("return document.body.dataset.view")
         == "booking-flow")
    shown = {s: css(page, f"#{s}").is_displayed() for s in
             ("architecture", "lag", "topics", "faults", "load", "connectors")}
    assert shown == {"architecture": True, "lag": True, "topics": True, "faults": False, "load": False,
                     "connectors": False}
    assert css(page, "nav.views a[aria-current='page']").text == "Booking flow"


OVERLAPS = """
const box = (e) => { const b = e.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height, e]; };
const meet = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
const name = (e) => e.closest('[data-node]') ? e.closest('[data-node]').dataset.node : e.textContent;
const nodes = [...document.querySelectorAll('#diagram rect.node')].map(box);
const labels = [...document.querySelectorAll('#diagram text.edge-label')].map(box);
const out = [];
nodes.forEach((a, i) => nodes.slice(i + 1).forEach((b) =>
  meet(a, b) && out.push(`${name(a[4])} / ${name(b[4])}`)));
labels.forEach((l, i) => {
  nodes.forEach((n) => meet(l, n) && out.push(`label ${l[4].textContent} on ${name(n[4])}`));
  labels.slice(i + 1).forEach((m) =>
    meet(l, m) && out.push(`label ${l[4].textContent} on ${m[4].textContent}`));
});
return out;
"""


def test_the_diagram_is_the_component_list_laid_out_with_nothing_on_top_of_anything(page, ui, lab, images):
    from boletia.lab.notebook import layout

    open_control(page, ui, lab, "architecture")
    wait(page, "the diagram drawn", lambda d: d.find_elements(By.CSS_SELECTOR, "g[data-node]"))
    drawn = {g.get_attribute("data-node") for g in page.find_elements(By.CSS_SELECTOR, "g[data-node]")}
    assert drawn == {n["id"] for n in layout.picture()["nodes"]}
    assert len(page.find_elements(By.CSS_SELECTOR, "#diagram path.edge")) == len(layout.picture()["edges"])
    assert page.execute_script(OVERLAPS) == []
    designs = [r.get_attribute("value") for r in page.find_elements(By.CSS_SELECTOR, "input[name=design]")]
    assert designs == list(config.DESIGNS)
    page.save_screenshot(str(images / "control-room-architecture.png"))


@pytest.mark.lab_faults
def test_a_killed_consumer_lags_until_it_is_started_again(page, ui, lab, run_id):
    admin = Boletia(token=lab.admin_token(), settings=lab.settings)
    evento = f"UI lag {run_id}"
    assert admin.create_event(evento, 100, "Prueba UI").ok
    admin.wait_available(evento, 100, timeout=60)
    open_control(page, ui, lab)
    wait(page, "inventario caught up", lambda d: group_lag(d, "inventario") == 0, timeout=90)
    Select(css(page, "#component")).select_by_value("inventario")
    try:
        css(page, "button[data-verb='kill']").click()
        wait(page, "the kill done", lambda d: "kill inventario: done" in css(d, "#action-result").text)
        wait(page, "inventario drawn stopped", lambda d: component_state(d, "inventario") == "STOPPED"
             and css(d, "g[data-node='con-inventario']").get_attribute("data-state") == "stopped")
        for i in range(5):
            assert admin.book(evento, 1, f"ui-lag{i}-{run_id}@example.com").ok
        wait(page, "the lag of inventario rising", lambda d: group_lag(d, "inventario") >= 5)
        drawn = re.search(r"lag (\d+)", content(css(page, "g[data-node='con-inventario']")))
        assert drawn and int(drawn.group(1)) >= 5
        css(page, "button[data-verb='start']").click()
        try:
            wait(page, "the start done", lambda d: "start inventario: done" in css(d, "#action-result").text,
                 timeout=90)
        except TimeoutException:
            # seen once in a fresh-clone run: the consumer logged "consuming" 2 s after the start, and
            # the start never reported done; the lab's logs went with that run, so they are kept here
            pytest.fail(f"the start not done after 90 s; the page said {css(page, '#action-result').text!r}; "
                        f"inventario is {lab.state('inventario')}; its log:\n{lab.logs('inventario', 30)}")
        wait(page, "inventario drawn running", lambda d: component_state(d, "inventario") == "running")
        wait(page, "the lag of inventario back to 0", lambda d: group_lag(d, "inventario") == 0, timeout=90)
        assert "kill inventario: done" in css(page, "#jobs").text
    finally:
        if lab.state("inventario") != "running":
            lab.start("inventario")


def test_the_autoscaler_started_from_its_panel_reads_the_real_lag(page, ui, lab):
    """The panel starts the lag autoscaler in the control room's process: it reads inventario's
    group on the real brokers (3 partitions, one member), shows the reading, and stops."""
    open_control(page, ui, lab)
    wait(page, "the consumers listed", lambda d: d.find_elements(
        By.CSS_SELECTOR, "#autoscale-consumer option[value='inventario']"))
    Select(css(page, "#autoscale-consumer")).select_by_value("inventario")
    css(page, "#autoscale-start").click()
    try:
        wait(page, "the autoscaler's reading", lambda d: re.search(
            r"inventario · running · target 50 per member, 1 to 3 members · lag \d+: "
            r"1 member\(s\) running, [1-3] wanted \(at most 3: its largest topic's partitions\)",
            css(d, "#autoscale-state").text), timeout=30)
        assert css(page, "#autoscale-stop").is_enabled() and not css(page, "#autoscale-start").is_enabled()
    finally:
        css(page, "#autoscale-stop").click()
    wait(page, "the autoscaler stopped", lambda d: "inventario · stopped" in css(d, "#autoscale-state").text)
    lab.scale("inventario", 1)  # whatever it decided meanwhile: one member again


def test_a_load_run_then_the_checkers_verdict(page, ui, lab, images):
    open_control(page, ui, lab, view="load")
    assert not css(page, "#faults").is_displayed()
    slider = css(page, "#rate")
    slider.send_keys(Keys.HOME)
    for _ in range(4):
        slider.send_keys(Keys.ARROW_RIGHT)
    assert css(page, "#rate-out").text == "5"
    for field, value in (("#load-events", "1"), ("#load-capacity", "400"), ("#load-cancel", "20")):
        css(page, field).clear()
        css(page, field).send_keys(value)
    css(page, "#load-start").click()
    wait(page, "the load running", lambda d: "running" in css(d, "#load-stats").text, timeout=90)

    def booked(d):
        m = re.search(r"(\d+) booked of (\d+) sent", css(d, "#load-stats").text)
        return m and int(m.group(2)) >= 15 and m
    wait(page, "15 bookings sent", booked, timeout=60)
    css(page, "#load-stop").click()
    wait(page, "the load stopped", lambda d: "stopped" in css(d, "#load-stats").text)
    stats = css(page, "#load-stats").text
    assert "record" in stats and ".json" in stats

    wait(page, "the check button ready", lambda d: css(d, "#check").is_enabled())
    css(page, "#check").click()
    word = wait(page, "the verdict", lambda d: css(d, "#verdict-word").text
                if css(d, "#verdict-word").text in ("CLEAN", "VIOLATED") else None, timeout=240)
    if lab.design() == "fixed":
        assert word == "CLEAN", css(page, "#verdict-detail").text
    assert "UI Carga" in css(page, "#verdict-detail").text

    # a second run for the picture: the lab under load beside the last verdict
    slider.send_keys(Keys.ARROW_RIGHT * 5)
    css(page, "#load-start").click()
    wait(page, "the second load running", lambda d: "running" in css(d, "#load-stats").text, timeout=90)
    page.get(f"{ui}/control#overview")
    wait(page, "messages flowing", lambda d: any(
        float(content(r.find_elements(By.TAG_NAME, "td")[0]) or 0) > 0
        for r in d.find_elements(By.CSS_SELECTOR, "#topics-table tbody tr")), timeout=30)
    time.sleep(2)
    page.set_window_size(1600, 3000)
    page.execute_script("window.scrollTo(0, 0)")
    page.save_screenshot(str(images / "control-room.png"))
    page.set_window_size(1600, 1000)
    css(page, "#load-stop").click()
    wait(page, "the second load stopped", lambda d: "stopped" in css(d, "#load-stats").text)
