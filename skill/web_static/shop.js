// The staff dashboard: today's orders, live. Served inline (with a CSP nonce) by GET /shop.
//
// 1. GET /shop/orders: today's orders and a cursor.
// 2. EventSource /shop/events?after=CURSOR: each event replaces one order's row. The
//    server ends each stream after ~25 s; the browser reconnects by itself and sends
//    the last event id (Last-Event-ID), so it gets exactly what it missed. "reload"
//    means it missed too much: fetch the list again.
// 3. If the stream fails for good (the server was down), reconnect with backoff from
//    the last cursor; a 401 anywhere means the session ended: back to the login page.
// 4. Stock switches: GET /shop/catalog, one POST /shop/catalog/ITEM/in|out per change.
// Everything shown is set with textContent: nothing from the server becomes markup.
"use strict";
(function () {
  const csrf = document.body.dataset.csrf;
  const rows = document.getElementById("order-rows");
  const live = document.getElementById("live");
  const notice = document.getElementById("notice");
  const empty = document.getElementById("no-orders");
  const ACTIONS = { placed: ["ready", "cancel"], ready: ["collected", "cancel"], collected: [], cancelled: [] };
  const LABELS = { ready: "Ready", collected: "Collected", cancel: "Cancel" };
  let zone = "UTC";
  let today = "";
  let cursor = null;
  let source = null;
  let backoff = 1000;
  let retryTimer = null;

  function setLive(state, text) {
    live.dataset.state = state;
    live.textContent = text;
  }

  function say(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  function toLogin() {
    window.location.assign("/shop/login");
  }

  function money(minor, currency) {
    try {
      const format = new Intl.NumberFormat("en", { style: "currency", currency });
      const digits = format.resolvedOptions().maximumFractionDigits;
      return format.format(minor / Math.pow(10, digits));
    } catch (e) {
      return (minor / 100).toFixed(2) + " " + currency;
    }
  }

  function localTime(iso) {
    if (!iso) return "";
    return new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit" })
      .format(new Date(iso));
  }

  function localDay(iso) {
    // en-CA writes dates as YYYY-MM-DD, the form the server sends as "today".
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
      .format(new Date(iso));
  }

  function cell(row, className, text) {
    const td = document.createElement("td");
    td.className = className;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function render(order, fresh) {
    if (today && localDay(order.created_at) !== today) return; // not today's
    const id = "order-" + order.number;
    const row = document.createElement("tr");
    row.id = id;
    row.dataset.status = order.status;
    row.dataset.number = String(order.number);
    cell(row, "number", String(order.number));
    cell(row, "items", order.lines.map(function (l) { return l[2] + " × " + l[1]; }).join(", "));
    cell(row, "total", money(order.total, order.currency));
    cell(row, "pickup", localTime(order.pickup_at));
    cell(row, "status", order.status);
    const actions = cell(row, "actions", "");
    (ACTIONS[order.status] || []).forEach(function (action) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = action;
      button.textContent = LABELS[action];
      button.addEventListener("click", function () { act(order.number, action, button); });
      actions.appendChild(button);
    });
    if (fresh) row.classList.add("fresh");
    const old = document.getElementById(id);
    if (old) {
      old.replaceWith(row);
    } else {
      // Newest first: before the first row with a smaller number.
      let before = null;
      for (const other of rows.children) {
        if (Number(other.dataset.number) < order.number) { before = other; break; }
      }
      rows.insertBefore(row, before);
    }
    empty.hidden = rows.children.length > 0;
  }

  async function act(number, action, button) {
    button.disabled = true;
    say("");
    try {
      const resp = await fetch("/shop/orders/" + number + "/" + action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      });
      if (resp.status === 401) return toLogin();
      const data = await resp.json();
      if (!resp.ok) {
        say(data.error || "That did not work.");
        button.disabled = false;
        return;
      }
      render(data.order, false);
    } catch (e) {
      say("The shop could not be reached. Try again.");
      button.disabled = false;
    }
  }

  async function loadOrders() {
    const resp = await fetch("/shop/orders", { credentials: "same-origin", headers: { "Accept": "application/json" } });
    if (resp.status === 401) { toLogin(); return false; }
    if (!resp.ok) throw new Error("orders " + resp.status);
    const data = await resp.json();
    zone = data.zone;
    today = data.today;
    cursor = data.cursor;
    rows.replaceChildren();
    data.orders.forEach(function (order) { render(order, false); });
    empty.hidden = rows.children.length > 0;
    return true;
  }

  function listen() {
    if (source) source.close();
    source = new EventSource("/shop/events?after=" + encodeURIComponent(cursor));
    source.onopen = function () {
      backoff = 1000;
      setLive("live", "live");
    };
    source.onmessage = function (message) {
      const event = JSON.parse(message.data);
      if (message.lastEventId) cursor = message.lastEventId;
      if (event.type === "order") render(event.order, true);
    };
    source.addEventListener("reload", function () { restart(); });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (401, 503) or gone for good: try again ourselves, from our cursor.
        setLive("reconnecting", "reconnecting…");
        schedule(function () { checkSession().then(function (ok) { if (ok) listen(); }); });
      } else {
        setLive("reconnecting", "reconnecting…"); // the browser retries by itself
      }
    };
  }

  async function checkSession() {
    try {
      const resp = await fetch("/shop/session", { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (resp.status === 401) { toLogin(); return false; }
      return resp.ok;
    } catch (e) {
      schedule(function () { checkSession().then(function (ok) { if (ok) listen(); }); });
      return false;
    }
  }

  function schedule(fn) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(fn, backoff);
    backoff = Math.min(backoff * 2, 10000);
  }

  async function restart() {
    if (source) { source.close(); source = null; }
    try {
      if (await loadOrders()) listen();
    } catch (e) {
      setLive("reconnecting", "reconnecting…");
      schedule(restart);
    }
  }

  // Stock switches: one checkbox per catalog item; each change is one request.
  async function loadStock() {
    const section = document.getElementById("stock");
    const list = document.getElementById("stock-items");
    let data;
    try {
      const resp = await fetch("/shop/catalog", { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (!resp.ok) return;
      data = await resp.json();
    } catch (e) {
      return;
    }
    list.replaceChildren();
    data.items.forEach(function (item) {
      const li = document.createElement("li");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = "stock-" + item.id;
      box.dataset.item = item.id;
      box.checked = item.in_stock;
      box.addEventListener("change", function () { switchStock(box); });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + item.name));
      li.appendChild(label);
      list.appendChild(li);
    });
    section.hidden = false;
  }

  async function switchStock(box) {
    const wanted = box.checked;
    box.disabled = true;
    say("");
    try {
      const resp = await fetch("/shop/catalog/" + encodeURIComponent(box.dataset.item) + "/" + (wanted ? "in" : "out"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      });
      if (resp.status === 401) return toLogin();
      const data = await resp.json();
      if (!resp.ok) {
        box.checked = !wanted;
        say(data.error || "That did not work.");
      } else {
        box.checked = data.item.in_stock;
      }
    } catch (e) {
      box.checked = !wanted;
      say("The shop could not be reached. Try again.");
    } finally {
      box.disabled = false;
    }
  }

  // A new day in the shop's time zone: start from the new day's list.
  setInterval(function () {
    if (today && localDay(new Date().toISOString()) !== today) restart();
  }, 60000);

  restart();
  loadStock();
})();
