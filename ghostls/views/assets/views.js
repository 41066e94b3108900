"use strict";
(function () {
  const data = JSON.parse(document.getElementById("ghostls-data").textContent);
  const kind = document.body.dataset.kind;
  const app = document.getElementById("app");
  const tip = document.getElementById("tip");

  // -- helpers -------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "style") node.style.cssText = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  function section(title, ...children) { return el("section", {}, el("h2", {}, title), ...children); }
  function stat(label, value) { return el("div", {}, el("b", {}, value), el("span", {}, label)); }
  function fmt(x, d) { return typeof x === "number" ? x.toFixed(d === undefined ? 3 : d) : String(x); }
  function pct(x) { return (100 * x).toFixed(1) + "%"; }
  function visible(s) { return s.replace(/\n/g, "↵\n").replace(/\t/g, "→\t"); }
  function css(name) { return getComputedStyle(document.body).getPropertyValue(name).trim(); }
  function heat(v, varName) { return "rgba(" + css(varName || "--accent") + "," + Math.max(0, Math.min(1, v)).toFixed(3) + ")"; }
  function hue(i) { return "hsla(" + ((i * 47) % 360) + ",70%,55%,0.28)"; }
  function b64(s) { const bin = atob(s); const out = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i); return out; }
  async function inflate(s) {
    const stream = new Blob([b64(s)]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  function showTip(ev, text) {
    tip.textContent = text; tip.hidden = false;
    const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = Math.min(ev.clientY + 14, window.innerHeight - tip.offsetHeight - 8);
    tip.style.left = x + "px"; tip.style.top = y + "px";
  }
  function hideTip() { tip.hidden = true; }
  function hover(node, text) {
    node.addEventListener("mousemove", (ev) => showTip(ev, typeof text === "function" ? text() : text));
    node.addEventListener("mouseleave", hideTip);
    return node;
  }
  function rangeText(r) { return (r.start.line + 1) + ":" + (r.start.character + 1) + "-" + (r.end.line + 1) + ":" + (r.end.character + 1); }

  // theme toggle: auto -> dark -> light -> auto
  const themeBtn = document.getElementById("theme");
  const themes = ["", "theme-dark", "theme-light"];
  let theme = 0;
  themeBtn.addEventListener("click", () => {
    document.body.classList.remove("theme-dark", "theme-light");
    theme = (theme + 1) % themes.length;
    if (themes[theme]) document.body.classList.add(themes[theme]);
    redraw();
  });
  const redrawers = [];
  function redraw() { for (const f of redrawers) f(); }

  // -- shared: token strip -------------------------------------------------------------------
  function tokenStrip(view, opts) {
    const box = el("div", { class: "code", id: opts.id });
    view.groups.forEach((g, gi) => {
      const toks = g.tokens.map((i) => view.tokens[i]);
      const special = toks.some((t) => t.special);
      const span = el("span", { class: "tok" + (special ? " special" : "") + (opts.ctx && opts.ctx(toks) ? " ctx" : ""),
                                "data-group": gi }, visible(g.text));
      span.style.background = opts.color ? opts.color(toks, gi) : hue(gi);
      hover(span, () => opts.tip(g, toks, gi));
      if (opts.click) span.addEventListener("click", () => opts.click(g, toks, gi, span));
      box.append(span);
    });
    return box;
  }
  function tokenTip(g, toks) {
    const lines = toks.map((t) => "#" + t.index + "  id " + t.id + "  piece " + JSON.stringify(t.piece) +
      "\n   text " + JSON.stringify(t.text) + "  " + t.bytes + " B" + (t.special ? "  special" : ""));
    return "range " + rangeText(g.range) + "  " + JSON.stringify(g.text) + (toks.length > 1 ? "\n" + toks.length +
      " tokens split one character" : "") + "\n" + lines.join("\n");
  }

  // -- tokens --------------------------------------------------------------------------------
  function tokensPanel(view, id, title) {
    const t = view.totals;
    const stats = el("div", { class: "stats" }, stat("tokens", t.tokens), stat("characters", t.characters),
      stat("bytes", t.bytes), stat("chars / token", fmt(t.charactersPerToken, 2)), stat("special", t.special));
    if (t.contextWindow) stats.append(stat("of context " + t.contextWindow, pct(t.contextShare)));
    return section(title + " — " + view.tokenizer.name + " (vocab " + view.tokenizer.vocabSize + ")", stats,
      el("p", { class: "muted" }, "One box per token; tokens that split a character share one box. Hover for ids."),
      tokenStrip(view, { id: id, tip: tokenTip }));
  }
  function renderTokens() {
    if (data.note) app.append(el("div", { class: "note" }, data.note));
    app.append(tokensPanel(data, "tokens", "Tokens"));
    if (data.compare) {
      const c = data.compare;
      app.append(el("p", {}, "Compared with " + c.tokenizer.name + ": " + c.totals.tokens + " tokens (" +
        (c.totals.tokens - data.totals.tokens >= 0 ? "+" : "") + (c.totals.tokens - data.totals.tokens) + ")."));
      app.append(tokensPanel(c, "compare", "Compare"));
    }
  }

  // -- attention -----------------------------------------------------------------------------
  async function renderAttention() {
    const d = data;
    const byIndex = d.tokens;
    const maxMass = Math.max(1e-9, ...d.tokens.map((t) => t.keyMass));
    const m = d.memory || {};
    app.append(section("Summary", el("div", { class: "stats" },
      stat("tokens", d.tokens.length), stat("queries", d.queries.length), stat("layers", d.options.layers.length + "/" + d.model.layers),
      stat("heads", d.options.heads.length + "/" + d.model.heads), stat("aggregation", d.options.aggregation + (d.options.excludeSinks ? " (no sinks)" : "")),
      stat("forward s", fmt(d.timings.forwardSeconds, 2)), stat("eager twin extra", ((m.eagerTwinExtraBytes || 0) / 1048576).toFixed(1) + " MiB"))));

    // tokens coloured by the attention they receive; click a query token to see its top keys
    const top = new Map(d.topKeys.map((r) => [r.query, r]));
    let picked = null;
    const strip = tokenStrip(d, {
      id: "tokens",
      ctx: (toks) => toks.every((t) => t.context),
      color: (toks) => heat(Math.max(...toks.map((t) => t.keyMass)) / maxMass),
      tip: (g, toks) => toks.map((t) => "#" + t.index + " " + JSON.stringify(t.text) + "  received " + fmt(t.keyMass, 4) +
        (top.has(t.index) ? "\n  top keys: " + top.get(t.index).keys.map((k, i) => JSON.stringify(byIndex[k].text) + " " + fmt(top.get(t.index).weights[i], 3)).join(", ") : "")).join("\n"),
      click: (g, toks, gi, span) => {
        const q = toks.find((t) => top.has(t.index));
        strip.querySelectorAll(".tok").forEach((s) => { s.classList.remove("sel"); });
        if (!q || picked === q.index) { picked = null; recolor(null); return; }
        picked = q.index; span.classList.add("sel"); recolor(top.get(q.index));
      },
    });
    function recolor(row) {
      strip.querySelectorAll(".tok").forEach((s) => {
        const toks = d.groups[+s.dataset.group].tokens;
        let v;
        if (row) { v = 0; row.keys.forEach((k, i) => { if (toks.includes(k)) v = Math.max(v, row.weights[i] / row.weights[0]); }); s.style.background = heat(v, "--hot"); }
        else s.style.background = heat(Math.max(...toks.map((i) => d.tokens[i].keyMass)) / maxMass);
      });
    }
    redrawers.push(() => recolor(picked === null ? null : top.get(picked)));
    app.append(section("Tokens (colour: attention received; click a token for its top keys)", strip));

    // heatmap
    const mx = d.matrix, q = await inflate(mx.data);
    const scale = Math.max(1, Math.floor(512 / Math.max(mx.rows, mx.cols)));
    const canvas = el("canvas", { width: mx.cols * scale, height: mx.rows * scale, id: "heatmap" });
    let gmax = 1e-9; for (const s of mx.rowScale) gmax = Math.max(gmax, s);
    function paint() {
      const ctx = canvas.getContext("2d");
      const img = ctx.createImageData(mx.cols, mx.rows);
      const rgb = css("--accent").split(",").map(Number), bg = css("--bg");
      const dark = bg.toLowerCase() !== "#ffffff";
      for (let r = 0; r < mx.rows; r++) for (let c = 0; c < mx.cols; c++) {
        const v = Math.sqrt(q[r * mx.cols + c] / 255 * mx.rowScale[r] / gmax), o = 4 * (r * mx.cols + c);
        const base = dark ? 13 : 255;
        img.data[o] = base + (rgb[0] - base) * v; img.data[o + 1] = base + (rgb[1] - base) * v; img.data[o + 2] = base + (rgb[2] - base) * v; img.data[o + 3] = 255;
      }
      const off = document.createElement("canvas"); off.width = mx.cols; off.height = mx.rows;
      off.getContext("2d").putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false; ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
    }
    paint(); redrawers.push(paint);
    hover(canvas, () => "");
    canvas.addEventListener("mousemove", (ev) => {
      const r = Math.floor(ev.offsetY / scale), c = Math.floor(ev.offsetX / scale);
      if (r >= mx.rows || c >= mx.cols) return;
      const rb = mx.rowBins[r], cb = mx.colBins[c];
      const label = (a, b) => b - a === 1 ? JSON.stringify(byIndex[a].text) : "tokens " + a + "-" + (b - 1);
      showTip(ev, "query " + label(rb[0], rb[1]) + "\nkey   " + label(cb[0], cb[1]) + "\nweight " + fmt(q[r * mx.cols + c] / 255 * mx.rowScale[r], 4));
    });
    app.append(section("Aggregated attention (" + d.options.aggregation + "), queries × keys" +
      (mx.rows < d.queries.length || mx.cols < d.tokens.length ? ", pooled" : ""), canvas));

    // line view with layer / head pickers
    const lm = d.lineMassByHead;
    const layerSel = el("select", { id: "layer" }, el("option", { value: "all" }, "aggregate"), lm.layers.map((l, i) => el("option", { value: i }, "layer " + l)));
    const headSel = el("select", { id: "head" }, lm.heads.map((h, i) => el("option", { value: i }, "head " + h)));
    const lines = el("div", { id: "lines" });
    const lineText = new Map(d.lines.map((l) => [l.line, l]));
    function linesFor() {
      if (layerSel.value === "all") return d.lines.map((l) => l.mass);
      return lm.values[+layerSel.value][+headSel.value];
    }
    const tokText = {};
    d.groups.forEach((g) => { const ln = g.range.start.line; tokText[ln] = (tokText[ln] || "") + g.text; });
    function paintLines() {
      const vals = linesFor(); const top = Math.max(1e-9, ...vals);
      lines.replaceChildren(...lm.lines.map((ln, i) => el("div", { class: "linebar" }, el("span", { class: "muted" }, ln + 1),
        el("div", {}, el("div", { class: "b", style: "width:" + (100 * vals[i] / top).toFixed(1) + "%" }),
          el("div", { class: "t" }, (tokText[ln] || "").replace(/\n/g, ""))), el("span", {}, fmt(vals[i], 4)))));
      headSel.disabled = layerSel.value === "all";
    }
    layerSel.addEventListener("change", paintLines); headSel.addEventListener("change", paintLines);
    paintLines();
    void lineText;
    app.append(section("Attention per line", el("div", {}, layerSel, " ", headSel), lines));

    // per-head table
    const body = el("tbody");
    d.heads.forEach((h) => {
      const tr = el("tr", {}, el("td", {}, h.layer), el("td", {}, h.head), el("td", {}, fmt(h.entropy)), el("td", {}, fmt(h.sinkMass)), el("td", {}, fmt(h.meanDistance, 2)));
      tr.addEventListener("click", () => {
        const li = lm.layers.indexOf(h.layer), hi = lm.heads.indexOf(h.head);
        if (li < 0 || hi < 0) return;
        layerSel.value = String(li); headSel.value = String(hi); paintLines();
        body.querySelectorAll("tr").forEach((r) => r.classList.remove("pick")); tr.classList.add("pick");
      });
      body.append(tr);
    });
    app.append(section("Heads (click to show in the line view)", el("div", { class: "scroll" }, el("table", { id: "heads" },
      el("thead", {}, el("tr", {}, el("th", {}, "layer"), el("th", {}, "head"), el("th", {}, "entropy"), el("th", {}, "sink mass"), el("th", {}, "mean distance"))), body))));

    // identifiers
    app.append(section("Identifiers by attention received", el("table", { id: "identifiers" },
      el("thead", {}, el("tr", {}, el("th", { class: "l" }, "identifier"), el("th", {}, "mass"), el("th", {}, "occurrences"))),
      el("tbody", {}, d.identifiers.map((i) => hover(el("tr", {}, el("td", { class: "l" }, i.name), el("td", {}, fmt(i.mass, 4)), el("td", {}, i.count)),
        i.ranges.map(rangeText).join("  ")))))));
  }

  // -- positions -----------------------------------------------------------------------------
  function signedCanvas(spec, id) {
    const q = b64(spec.data);
    const sx = Math.max(1, Math.floor(384 / spec.cols)), sy = Math.max(1, Math.floor(384 / spec.rows));
    const canvas = el("canvas", { id: id, width: spec.cols * sx, height: spec.rows * sy });
    function paint() {
      const ctx = canvas.getContext("2d"), img = ctx.createImageData(spec.cols, spec.rows);
      const pos = css("--accent").split(",").map(Number), neg = css("--hot").split(",").map(Number);
      const dark = css("--bg").toLowerCase() !== "#ffffff", base = dark ? 13 : 255;
      for (let i = 0; i < spec.rows * spec.cols; i++) {
        const v = (q[i] - 128) / 127, c = v >= 0 ? pos : neg, a = Math.abs(v), o = 4 * i;
        img.data[o] = base + (c[0] - base) * a; img.data[o + 1] = base + (c[1] - base) * a; img.data[o + 2] = base + (c[2] - base) * a; img.data[o + 3] = 255;
      }
      const off = document.createElement("canvas"); off.width = spec.cols; off.height = spec.rows;
      off.getContext("2d").putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false; ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
    }
    paint(); redrawers.push(paint);
    return canvas;
  }
  function renderPositions() {
    const d = data;
    app.append(section("Model", el("div", { class: "stats" }, stat("encoding", d.kind), stat("architecture", d.architecture),
      stat("max positions", d.maxPositions), stat("context window", d.contextWindow),
      d.selection ? stat("selection occupies", "0-" + d.selection.tokens) : null)));
    if (d.kind === "learned" || d.kind === "sinusoidal") {
      const heat = signedCanvas(d.heatmap, "heatmap"), cos = signedCanvas(d.cosine, "cosine");
      heat.addEventListener("mousemove", (ev) => { const r = Math.floor(ev.offsetY / (heat.height / d.heatmap.rows)), c = Math.floor(ev.offsetX / (heat.width / d.heatmap.cols)); if (r < d.positions.length && c < d.dims.length) showTip(ev, "position " + d.positions[r] + ", dim " + d.dims[c]); });
      heat.addEventListener("mouseleave", hideTip);
      cos.addEventListener("mousemove", (ev) => { const s = cos.width / d.cosine.cols; const r = Math.floor(ev.offsetY / s), c = Math.floor(ev.offsetX / s); if (r < d.positions.length && c < d.positions.length) showTip(ev, "cos(pos " + d.positions[r] + ", pos " + d.positions[c] + ") = " + fmt((b64(d.cosine.data)[r * d.cosine.cols + c] - 128) / 127, 3)); });
      cos.addEventListener("mouseleave", hideTip);
      app.append(el("div", { class: "row" }, section("Embedding table (positions × dimensions)", heat),
        section("Cosine similarity between positions", cos)));
    } else if (d.kind === "rotary") {
      app.append(el("p", {}, "Rotary embeddings rotate " + d.rotaryDim + " of " + d.headDim + " head dimensions in " + d.pairs.length +
        " pairs (θ = " + d.theta + "). " + d.pairsLongerThanContext + " pairs have a wavelength longer than the context window: they barely turn inside it and act as position-free channels."));
      const maxLog = Math.log10(Math.max(...d.pairs.map((p) => p.wavelength), d.contextWindow));
      const ctxPos = 100 * Math.log10(d.contextWindow) / maxLog;
      app.append(section("Wavelength per frequency pair (log scale; the line marks the context window)", el("div", { id: "pairs" },
        d.pairs.map((p) => hover(el("div", { class: "linebar pair" }, el("span", { class: "muted" }, "pair " + p.pair),
          el("div", { style: "position:relative" }, el("div", { class: "b", style: "width:" + (100 * Math.log10(Math.max(1, p.wavelength)) / maxLog).toFixed(1) + "%;" + (p.wavelength > d.contextWindow ? "background:rgb(var(--hot))" : "") }),
            el("div", { style: "position:absolute;top:-2px;bottom:-2px;width:1px;background:var(--fg);left:" + ctxPos.toFixed(1) + "%" })),
          el("span", {}, fmt(p.wavelength, 1))), "frequency " + p.frequency + " rad/token\nwavelength " + p.wavelength + " tokens\nturns in context " + p.turnsInContext)))));
    } else {
      app.append(el("p", {}, "No positional encoding this view knows was found in " + d.architecture + "."));
    }
  }

  // -- why this suggestion -------------------------------------------------------------------
  function renderWhy() {
    const d = data;
    const colors = d.segments.map((s, i) => hue(i * 3 + 1));
    app.append(section("Suggestion", el("div", { class: "stats" }, stat("generated tokens", d.generated.tokens.length),
      stat("mean log-prob", fmt(d.generated.meanLogProb, 3)), stat("prompt tokens", d.prompt.tokens),
      stat("to itself", pct(d.generatedSelfMass)), stat("unsegmented", pct(d.unsegmentedMass)))));
    const gen = el("div", { class: "code", id: "generated" }, d.generated.tokens.map((t) => hover(
      el("span", { class: "tok", style: "background:" + heat(1 - t.probability, "--hot") }, visible(t.text)),
      () => "p = " + fmt(t.probability, 4) + "\nalternatives: " + t.alternatives.map((a) => JSON.stringify(a.text) + " " + fmt(a.probability, 3)).join(", ") +
        "\nattention: " + d.segments.map((s, i) => s.kind + " " + pct(t.segmentMass[i])).join(", "))));
    app.append(section("Generated tokens (redder = less probable)", gen));
    if (d.alternatives && d.alternatives.length) {
      app.append(section("Alternatives ranked with the code below (log-probability of suggestion + next lines; first = shown)",
        el("table", { id: "alternatives" },
          el("thead", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, "score"), el("th", { class: "l" }, "suggestion"))),
          el("tbody", {}, d.alternatives.map((a, i) => el("tr", {}, el("td", {}, i + 1), el("td", {}, fmt(a.score, 2)),
            el("td", { class: "l" }, el("code", {}, a.text))))))));
    }
    const maxMass = Math.max(1e-9, ...d.segments.map((s) => s.mass));
    app.append(section("Attention the generated tokens gave to each prompt part", el("table", { id: "segments" },
      el("thead", {}, el("tr", {}, el("th", { class: "l" }, "part"), el("th", { class: "l" }, "from"), el("th", {}, "tokens"), el("th", {}, "mass"), el("th", { class: "l" }, ""))),
      el("tbody", {}, d.segments.map((s, i) => el("tr", {}, el("td", { class: "l" }, el("span", { class: "seg", style: "border-color:" + colors[i] }, s.kind)),
        el("td", { class: "l" }, s.path ? s.path + ":" + (s.startLine + 1) + "-" + (s.endLine + 1) : s.source || ""), el("td", {}, s.tokens), el("td", {}, pct(s.mass)),
        el("td", { class: "l", style: "width:200px" }, el("div", { class: "linebar" }, el("div", { class: "b", style: "width:" + (100 * s.mass / maxMass).toFixed(1) + "%" })))))))));
    const prompt = el("div", { class: "code", id: "prompt" });
    let at = 0;
    const segs = d.segments.slice().sort((a, b) => a.start - b.start);
    for (const s of segs) {
      if (s.start > at) prompt.append(el("span", { class: "muted" }, d.prompt.text.slice(at, s.start)));
      prompt.append(hover(el("span", { style: "background:" + colors[s.index] }, d.prompt.text.slice(Math.max(at, s.start), s.end)), s.kind + " · " + pct(s.mass) + " of the attention"));
      at = Math.max(at, s.end);
    }
    if (at < d.prompt.text.length) prompt.append(el("span", { class: "muted" }, d.prompt.text.slice(at)));
    app.append(section("The prompt the model received", prompt));
  }

  const renderers = { tokens: renderTokens, attention: renderAttention, positions: renderPositions, why: renderWhy };
  Promise.resolve().then(() => renderers[kind]()).then(() => { document.body.dataset.ready = "1"; }, (err) => {
    app.append(el("div", { class: "note" }, "This view could not be drawn: " + err.message));
    document.body.dataset.ready = "error";
    throw err;
  });
})();
