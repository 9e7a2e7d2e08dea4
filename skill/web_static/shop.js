// The staff dashboard: today's orders, live. Served inline (with a CSP nonce) by GET /shop.
//
// 1. GET /shop/orders: today's orders, a cursor, and the state of each order's
//    "ready" notification to the customer's Echo.
// 2. Live updates, one of two ways (the page's data-live says which):
//    a. "events" (one machine): EventSource /shop/events?after=CURSOR. The server ends
//       each stream after ~25 s; the browser reconnects by itself and sends the last
//       event id (Last-Event-ID), so it gets exactly what it missed. "reload" means it
//       missed too much: fetch the list again. If the stream fails for good (the
//       server was down), reconnect with backoff from the last cursor.
//    b. "websocket" (AWS): GET /shop/live-token gives the WebSocket API's URL and a
//       token that lives two minutes, so each connection asks for a new one. Pushed
//       messages are the same order events. API Gateway keeps nothing for a client
//       that was away, so every (re)connection first fetches the list again: that is
//       the catch-up. A dropped connection is reopened with backoff; a ping every few
//       minutes keeps API Gateway from closing an idle one.
//    Either way an event replaces the order's row, unless the row already shows a
//    later status (statuses only move forward), so a list fetched just before a
//    change and an event about it may arrive in any order.
// 3. A failed notification is marked on the order's row. Its state is kept on the
//    order in the store (order.notification, whichever process sent it), so every
//    order in the list and in an event carries it; the event stream also announces
//    this process's changes at once. With the WebSocket, the page also asks
//    /shop/notifications for an order that just became ready until its notification
//    has been sent or has failed. Of two states of one notification, the later wins.
// 4. A 401 anywhere means the session ended: back to the login page.
// 5. Stock switches: GET /shop/catalog, one POST /shop/catalog/ITEM/in|out per change.
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
  const RANK = { placed: 0, ready: 1, collected: 2, cancelled: 2 };
  const ECHO = { pending: "notifying Echo…", sent: "Echo notified", failed: "Echo notification failed" };
  const websocket = document.body.dataset.live === "websocket";
  // API Gateway closes a WebSocket connection that is idle for 10 minutes.
  const PING_MS = 5 * 60 * 1000;
  const WATCH_MS = 2000;
  const WATCH_TRIES = 45;
  let zone = "UTC";
  let today = "";
  let cursor = null;
  let source = null;
  let socket = null;
  let connecting = false;
  let pingTimer = null;
  let backoff = 1000;
  let retryTimer = null;
  const notes = new Map(); // order number -> {status, detail, at}
  const watching = new Map(); // order number -> polls left (WebSocket mode)
  let watchTimer = null;

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

  function echoMark(cellElement, number) {
    const state = notes.get(number);
    let mark = cellElement.querySelector(".echo");
    if (!state || !ECHO[state.status]) {
      if (mark) mark.remove();
      return;
    }
    if (!mark) {
      mark = document.createElement("span");
      mark.className = "echo";
      cellElement.appendChild(mark);
    }
    mark.dataset.state = state.status;
    mark.textContent = ECHO[state.status];
    mark.title = state.detail || "";
  }

  function newer(state, than) {
    return !than || !state.at || !than.at || Date.parse(state.at) >= Date.parse(than.at);
  }

  function note(number, state) {
    if (!newer(state, notes.get(number))) return; // news older than what is shown
    notes.set(number, state);
    const row = document.getElementById("order-" + number);
    if (row) echoMark(row.querySelector("td.status"), number);
  }

  function render(order, fresh) {
    if (today && localDay(order.created_at) !== today) return; // not today's
    if (order.notification) note(order.number, order.notification);
    const id = "order-" + order.number;
    const old = document.getElementById(id);
    if (old && (RANK[old.dataset.status] || 0) > (RANK[order.status] || 0)) return; // stale news
    const row = document.createElement("tr");
    row.id = id;
    row.dataset.status = order.status;
    row.dataset.number = String(order.number);
    cell(row, "number", String(order.number));
    cell(row, "items", order.lines.map(function (l) { return l[2] + " × " + l[1]; }).join(", "));
    cell(row, "total", money(order.total, order.currency));
    cell(row, "pickup", localTime(order.pickup_at));
    const status = cell(row, "status", "");
    const state = document.createElement("span");
    state.className = "state";
    state.textContent = order.status;
    status.appendChild(state);
    echoMark(status, order.number);
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
      if (data.order.status === "ready") watch(data.order.number);
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
    // Merged into what is shown, not replacing it: an event that came in while the
    // list was being read may be newer than the list. Only a new day starts afresh.
    if (data.today !== today) { rows.replaceChildren(); notes.clear(); }
    today = data.today;
    cursor = data.cursor;
    Object.keys(data.notifications || {}).forEach(function (number) {
      note(Number(number), data.notifications[number]);
    });
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
      if (event.type === "notification") note(event.number, event.notification);
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
    // A little jitter, so dashboards dropped together do not all come back together.
    retryTimer = setTimeout(fn, backoff * (0.8 + 0.4 * Math.random()));
    backoff = Math.min(backoff * 2, 10000);
  }

  async function restart() {
    if (websocket) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        try { await loadOrders(); } catch (e) { /* the next reconnection catches up */ }
      } else {
        connect(); // (does nothing while a connection is being opened)
      }
      return;
    }
    if (source) { source.close(); source = null; }
    try {
      if (await loadOrders()) listen();
    } catch (e) {
      setLive("reconnecting", "reconnecting…");
      schedule(restart);
    }
  }

  // -- the WebSocket API (AWS) --------------------------------------------------------
  async function connect() {
    if (connecting || socket) return; // one connection at a time
    connecting = true;
    clearTimeout(retryTimer);
    let ticket;
    try {
      const resp = await fetch("/shop/live-token", { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (resp.status === 401) return toLogin();
      if (!resp.ok) throw new Error("live-token " + resp.status);
      ticket = await resp.json();
    } catch (e) {
      setLive("reconnecting", "reconnecting…");
      schedule(connect);
      return;
    } finally {
      connecting = false;
    }
    const ws = new WebSocket(ticket.url + "?token=" + encodeURIComponent(ticket.token));
    socket = ws;
    ws.onopen = async function () {
      // The catch-up: whatever changed while there was no connection is in the list.
      try {
        if (!(await loadOrders())) return;
      } catch (e) {
        ws.close();
        return;
      }
      if (socket !== ws) return;
      backoff = 1000;
      setLive("live", "live");
      clearInterval(pingTimer);
      pingTimer = setInterval(function () {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ action: "ping" }));
      }, PING_MS);
    };
    ws.onmessage = function (message) {
      let event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (!event || event.type !== "order" || !event.order) return;
      render(event.order, true);
      if (event.order.status === "ready") watch(event.order.number);
    };
    ws.onclose = function () {
      // Also after a refused handshake (an expired token, API Gateway down): a new
      // token, with backoff.
      if (socket !== ws) return;
      socket = null;
      clearInterval(pingTimer);
      setLive("reconnecting", "reconnecting…");
      schedule(connect);
    };
  }

  // The notification of an order that just became ready, until it is sent or failed
  // (only with the WebSocket: the event stream announces it by itself).
  function watch(number) {
    if (!websocket) return;
    watching.set(number, WATCH_TRIES);
    if (!watchTimer) watchTimer = setTimeout(checkNotifications, WATCH_MS);
  }

  async function checkNotifications() {
    watchTimer = null;
    const numbers = Array.from(watching.keys()).slice(0, 100);
    if (!numbers.length) return;
    try {
      const resp = await fetch("/shop/notifications?orders=" + numbers.join(","), { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (resp.status === 401) return toLogin();
      if (resp.ok) {
        const states = (await resp.json()).notifications || {};
        numbers.forEach(function (number) {
          const state = states[String(number)];
          if (state) note(number, state);
          // None: this process sent nothing (notifications off, not en-US, or it was
          // made ready elsewhere); sent or failed: nothing more will happen.
          const left = (watching.get(number) || 0) - 1;
          if (!state || state.status !== "pending" || left <= 0) watching.delete(number);
          else watching.set(number, left);
        });
      }
    } catch (e) {
      /* try again at the next tick */
    }
    if (watching.size && !watchTimer) watchTimer = setTimeout(checkNotifications, WATCH_MS);
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
