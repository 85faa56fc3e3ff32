// GridGame's web client: join a session, watch the board live, claim cells with the mouse or the keyboard.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  // A token handed over in the URL (the lobby puts it in the fragment, which is never sent to a server; ?token= also
  // works) is taken once and removed from the address bar and from this history entry before anything else runs.
  const handedToken = new URLSearchParams(location.hash.slice(1)).get("token") || params.get("token");
  if (handedToken) {
    const clean = new URL(location.href);
    clean.hash = "";
    clean.searchParams.delete("token");
    history.replaceState(null, "", clean);
    params.delete("token");
  }
  const state = { connection: null, session: null, me: null, size: 0, cells: [], players: new Map(), phase: "", focus: 0, endsAt: null };

  $("session").value = params.get("session") || "";
  $("player").value = params.get("player") || "";

  const colour = (player) => {
    let hash = 0;
    for (const ch of player) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return `hsl(${hash % 360} 65% 42%)`;
  };
  const say = (text) => { $("status").textContent = text; };
  const fail = (err) => {
    const message = String(err && err.message || err).replace(/^.*HubException: /, "");
    $("error").textContent = message;
  };

  async function token(player) {
    if (handedToken) return handedToken;
    const response = await fetch(`dev/token?player=${encodeURIComponent(player)}`);
    if (!response.ok) throw new Error("no token: open this page with #token=… (dev tokens are off on this server)");
    return (await response.json()).token;
  }

  function renderBoard() {
    const board = $("board");
    if (board.childElementCount !== state.size * state.size) {
      board.replaceChildren();
      board.style.gridTemplateColumns = `repeat(${state.size}, 1fr)`;
      for (let i = 0; i < state.size * state.size; i++) {
        const cell = document.createElement("button");
        cell.type = "button";
        cell.dataset.row = String(Math.floor(i / state.size));
        cell.dataset.col = String(i % state.size);
        cell.tabIndex = i === state.focus ? 0 : -1;
        cell.addEventListener("click", () => claim(i));
        cell.addEventListener("focus", () => { state.focus = i; });
        board.append(cell);
      }
    }
    for (let i = 0; i < state.cells.length; i++) renderCell(i);
    board.hidden = false;
    $("help").hidden = false;
  }

  function renderCell(i) {
    const cell = $("board").children[i];
    if (!cell) return;
    const owner = state.cells[i];
    const where = `Row ${Math.floor(i / state.size) + 1}, column ${i % state.size + 1}`;
    if (owner) {
      cell.dataset.owner = owner;
      cell.style.background = colour(owner);
      cell.textContent = owner.slice(0, 2);
      cell.setAttribute("aria-label", `${where}, taken by ${owner}`);
    } else {
      delete cell.dataset.owner;
      cell.style.background = "";
      cell.textContent = "";
      cell.setAttribute("aria-label", `${where}, free`);
    }
  }

  function renderScores(winners) {
    const list = $("scores");
    list.replaceChildren();
    const players = [...state.players.values()].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    for (const p of players) {
      const li = document.createElement("li");
      li.dataset.player = p.id;
      li.className = (p.id === state.me ? "me " : "") + (p.connected ? "" : "gone");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colour(p.id);
      li.append(swatch, `${p.id}: ${p.score}${p.connected ? "" : " (left)"}`);
      list.append(li);
    }
    if (winners) {
      $("winner").textContent = winners.length === 0 ? "Game over: no winner."
        : `Game over. Winner${winners.length > 1 ? "s" : ""}: ${winners.join(", ")}`;
    }
  }

  function renderStatus() {
    const left = state.endsAt && state.phase === "Playing" ? ` · ${Math.max(0, Math.round((state.endsAt - Date.now()) / 1000))}s left` : "";
    say(`${state.session} as ${state.me}: ${state.phase}${left}`);
  }

  function applySnapshot(s) {
    state.session = s.session; state.me = s.you; state.size = s.boardSize; state.cells = [...s.cells];
    state.phase = s.phase; state.endsAt = s.endsAt;
    state.players = new Map(s.players.map((p) => [p.id, { ...p, seq: s.seq }]));
    renderBoard();
    renderScores(s.phase === "Finished" ? s.winners : null);
    if (s.phase !== "Finished") $("winner").textContent = "";
    renderStatus();
  }

  // A claim reaches the page twice: in the claimer's answer and in the game's CellsClaimed, which can come later and
  // in batches. The cell is set either way; a score only moves forward (each claim carries its sequence number).
  function applyClaim(c) {
    const i = c.row * state.size + c.col;
    state.cells[i] = c.player;
    renderCell(i);
    const p = state.players.get(c.player);
    if (p && !(p.seq >= c.seq)) { p.score = c.score; p.seq = c.seq; }
  }

  async function claim(i) {
    if (!state.connection || state.cells[i]) return;
    $("error").textContent = "";
    try {
      applyClaim(await state.connection.invoke("ClaimCell", Math.floor(i / state.size), i % state.size));
      renderScores(null);
    } catch (err) {
      fail(err);
    }
  }

  function moveFocus(to) {
    const board = $("board");
    const from = board.children[state.focus];
    const next = board.children[to];
    if (!next) return;
    if (from) from.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  }

  $("board").addEventListener("keydown", (e) => {
    const n = state.size;
    const row = Math.floor(state.focus / n), col = state.focus % n;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], Home: [0, -col], End: [0, n - 1 - col] };
    const move = moves[e.key];
    if (!move) return;
    e.preventDefault();
    const r = Math.min(n - 1, Math.max(0, row + move[0]));
    const c = Math.min(n - 1, Math.max(0, col + move[1]));
    moveFocus(r * n + c);
  });

  async function join(session, player) {
    $("error").textContent = "";
    if (state.connection) await state.connection.stop();
    const accessToken = await token(player);
    const connection = new signalR.HubConnectionBuilder()
      .withUrl("hubs/game", { accessTokenFactory: () => accessToken })
      .withAutomaticReconnect()
      .build();
    connection.on("BoardSnapshot", applySnapshot);
    connection.on("CellsClaimed", (claims) => {
      claims.forEach(applyClaim);
      renderScores(null);
    });
    connection.on("PlayerJoined", (c) => {
      const p = state.players.get(c.player) || { id: c.player, score: 0 };
      state.players.set(c.player, { ...p, connected: true });
      renderScores(null);
    });
    connection.on("PlayerLeft", (c) => {
      const p = state.players.get(c.player);
      if (p) p.connected = false;
      renderScores(null);
    });
    connection.on("GameStarted", (g) => { state.phase = "Playing"; state.endsAt = g.endsAt; renderStatus(); });
    connection.on("GameOver", (o) => {
      state.phase = "Finished";
      state.players = new Map(o.players.map((p) => [p.id, { ...p }]));
      renderScores(o.winners);
      renderStatus();
    });
    connection.on("ServerDraining", (d) => say(d.message));
    connection.onreconnecting(() => say("Connection lost; reconnecting…"));
    connection.onreconnected(() => connection.invoke("JoinGame", session).catch(fail));
    connection.onclose(() => say("Disconnected."));
    state.connection = connection;
    say("Connecting…");
    await connection.start();
    await connection.invoke("JoinGame", session);
    const url = new URL(location.href);
    url.searchParams.set("session", session);
    if (!handedToken) url.searchParams.set("player", player);
    history.replaceState(null, "", url);
  }

  $("join").addEventListener("submit", (e) => {
    e.preventDefault();
    const player = $("player").value.trim() || `player-${Math.random().toString(36).slice(2, 7)}`;
    $("player").value = player;
    join($("session").value.trim(), player).catch(fail);
  });

  setInterval(() => { if (state.phase === "Playing") renderStatus(); }, 1000);

  if ($("session").value && ($("player").value || handedToken)) {
    join($("session").value, $("player").value || "me").catch(fail);
  }
})();
