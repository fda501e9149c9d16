// Lienzo studio: the Telegram Mini App page (see the contract in bot/studio).
// Plain DOM, no framework and no build step.  A strict CSP applies: no inline
// scripts or style attributes, so styles are classes or CSSOM custom properties.
"use strict";

(() => {
  const tg = window.Telegram && window.Telegram.WebApp;

  // The only English in the page: used when the texts themselves cannot be loaded.
  const FALLBACK_TEXTS = {
    "page.error.auth": "This page only works when opened from Lienzo in Telegram. " +
      "Close it and open it again from the bot.",
    "page.error.network": "Couldn't reach Lienzo. Check your connection and try again.",
    "page.retry": "Try again",
  };

  // Settings shown as a slider over their (ordered) choices; "on/off" ones are switches;
  // everything else is a row of segmented buttons.
  const RANGE_FIELDS = new Set(["strength", "size", "quality"]);
  const SHARE_CHAT_TYPES = ["users", "groups", "channels"];
  const SAVED_MS = 1600;
  const TOAST_MS = 4000;

  const state = {
    lang: "en",
    texts: {},
    me: null,
    paintings: [],
    artworks: null, // null until the first load of the "My paintings" tab
    tab: "paintings",
    query: "",
    painting: null, // the open painting's id
    artwork: null, // the open artwork's job
    mix: 100,
    listScroll: 0, // where the list was when a detail page opened
    fatal: false,
  };

  // ------------------------------------------------------------------ small helpers

  /** t("page.x", {name}) → the text in the current language, placeholders filled. */
  function t(key, values = {}) {
    const template = state.texts[key] ?? FALLBACK_TEXTS[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  }

  /**
   * h("button", {class: "btn", text: "Hi", onclick: f, "data-x": 1}, children) → an element.
   * "text" sets textContent; on* keys add listeners; value/checked/disabled/hidden are
   * properties; anything else is an attribute (skipped when null or false).
   */
  function h(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (["value", "checked", "disabled", "hidden"].includes(key)) node[key] = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of [].concat(children)) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  const $ = (selector, root = document) => root.querySelector(selector);

  /** Lowercase without accents, so "noche" finds "Noche" and "Munch" finds "münch". */
  function fold(text) {
    return String(text).normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
  }

  /** An <img> that fades in when loaded and shows a quiet placeholder if it fails. */
  function picture(src, alt, className, lazy = true) {
    const img = h("img", {
      class: `pic ${className}`, src, alt, decoding: "async",
      loading: lazy ? "lazy" : null,
    });
    const done = () => img.classList.add("is-loaded");
    img.addEventListener("load", done);
    img.addEventListener("error", () => img.classList.add("is-loaded", "is-broken"));
    if (img.complete && img.naturalWidth) done();
    return img;
  }

  function haptic(kind) {
    if (!tg || !tg.HapticFeedback || !tg.isVersionAtLeast("6.1")) return;
    if (kind === "select") tg.HapticFeedback.selectionChanged();
    else tg.HapticFeedback.notificationOccurred(kind);
  }

  // ------------------------------------------------------------------ talking to the server

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /**
   * One JSON call.  401 replaces the whole app with the auth error (and still throws, so
   * callers stop); network failures and 5xx become page.error.network; other errors carry
   * the server's own message (already in the person's language).
   */
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (path.startsWith("api/")) headers.Authorization = `tma ${tg ? tg.initData : ""}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin", cache: "no-store",
      });
    } catch {
      throw new ApiError(0, t("page.error.network"));
    }
    if (response.status === 401) {
      // Telegram's data, only too old (the app left open for a day): open it again.
      const why = await response.json().then((data) => data.error, () => "");
      const key = why === "expired" ? "page.error.expired" : "page.error.auth";
      showFatal(key);
      throw new ApiError(401, t(key));
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      // an HTML error page from a proxy, or an empty body: treated as a network problem
    }
    if (response.ok && data) return data;
    if (response.status >= 500 || !data || !data.message) {
      throw new ApiError(response.status, t("page.error.network"));
    }
    throw new ApiError(response.status, data.message);
  }

  /** Shows what went wrong, unless the page has already given way to the fatal error. */
  function report(error) {
    if (state.fatal) return;
    if (!(error instanceof ApiError)) console.error(error);
    toast(error instanceof ApiError ? error.message : t("page.error.network"));
    haptic("error");
  }

  function languageFromTelegram() {
    const user = tg && tg.initDataUnsafe && tg.initDataUnsafe.user;
    const code = (user && user.language_code) || "";
    return code.toLowerCase().startsWith("es") ? "es" : "en";
  }

  async function loadTexts(lang) {
    const data = await api("GET", `texts?lang=${encodeURIComponent(lang)}`);
    state.texts = data.texts || {};
    state.lang = data.lang || lang;
    document.documentElement.lang = state.lang;
    document.title = t("page.title");
  }

  /** Everything the page needs before it can show anything, in the person's language. */
  async function loadAll() {
    await loadTexts(state.me ? state.me.language : languageFromTelegram());
    const [me, catalogue] = await Promise.all([
      api("GET", "api/me"), api("GET", "api/paintings"),
    ]);
    state.me = me;
    state.paintings = catalogue.paintings.map((p) => ({
      ...p, haystack: fold([p.title, ...(p.titles || []), p.artist, p.id, p.id.replace(/_/g, " ")].join("\n")),
    }));
    if (me.language && me.language !== state.lang) await loadTexts(me.language);
  }

  // ------------------------------------------------------------------ theme

  // Telegram's theme parameter → the CSS custom property studio.css uses.  A missing
  // parameter leaves the stylesheet's default (light, or dark under [data-scheme=dark]).
  const THEME_VARS = {
    bg_color: "--bg",
    text_color: "--text",
    hint_color: "--hint",
    link_color: "--link",
    button_color: "--button",
    button_text_color: "--button-text",
    secondary_bg_color: "--secondary-bg",
    header_bg_color: "--header-bg",
    section_bg_color: "--section-bg",
    section_header_text_color: "--section-header",
    section_separator_color: "--separator",
    subtitle_text_color: "--subtitle",
    accent_text_color: "--accent",
    destructive_text_color: "--destructive",
  };

  function applyTheme() {
    const root = document.documentElement;
    const params = (tg && tg.themeParams) || {};
    root.dataset.scheme = tg && tg.colorScheme === "dark" ? "dark" : "light";
    for (const [param, property] of Object.entries(THEME_VARS)) {
      if (params[param]) root.style.setProperty(property, params[param]);
      else root.style.removeProperty(property);
    }
    if (tg && tg.isVersionAtLeast("6.1")) {
      // The page's background is the secondary colour (Telegram's settings look).
      tg.setHeaderColor("secondary_bg_color");
      tg.setBackgroundColor("secondary_bg_color");
    }
  }

  // ------------------------------------------------------------------ Telegram's buttons

  // One handler each for MainButton and BackButton, registered once; what they do
  // depends on the page that is open.
  function onMainButton() {
    if (state.painting) useForNextPhoto();
    else if (state.artwork) sendVersion();
  }

  function onBackButton() {
    if (state.painting) closePainting();
    else if (state.artwork) closeArtwork();
  }

  function syncTelegramButtons() {
    if (!tg) return;
    const main = tg.MainButton;
    const text = state.painting ? t("page.use_next") : state.artwork ? t("page.send_version") : null;
    if (text && !state.fatal) {
      main.setText(text);
      main.enable();
      main.show();
    } else {
      main.hideProgress();
      main.hide();
    }
    if ((state.painting || state.artwork) && !state.fatal) tg.BackButton.show();
    else tg.BackButton.hide();
  }

  /** Runs a MainButton action with its progress spinner, so it cannot be sent twice. */
  async function withMainProgress(action) {
    const main = tg.MainButton;
    main.showProgress(false);
    try {
      await action();
    } catch (error) {
      report(error);
    } finally {
      main.hideProgress();
    }
  }

  function alertMessage(message) {
    try {
      tg.showAlert(message);
    } catch {
      toast(message); // another popup is already open
    }
  }

  function confirmAction(message) {
    return new Promise((resolve) => {
      try {
        tg.showConfirm(message, (ok) => resolve(Boolean(ok)));
      } catch {
        resolve(false);
      }
    });
  }

  // ------------------------------------------------------------------ notices

  let toastTimer = 0;
  let savedTimer = 0;

  function toast(message) {
    const node = $("#toast");
    if (!node) return;
    node.textContent = message;
    node.hidden = false;
    $("#saved").hidden = true; // one notice at a time, in the same place
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, TOAST_MS);
  }

  function flashSaved() {
    const node = $("#saved");
    if (!node) return;
    node.textContent = t("page.saved");
    node.hidden = false;
    $("#toast").hidden = true;
    clearTimeout(savedTimer);
    savedTimer = setTimeout(() => { node.hidden = true; }, SAVED_MS);
  }

  // ------------------------------------------------------------------ whole-page states

  function mount(...nodes) {
    $("#app").replaceChildren(...nodes);
  }

  function showLoading() {
    mount(h("div", { class: "state", "aria-busy": "true" }, [
      h("span", { class: "spinner", role: "img", "aria-label": t("page.loading") }),
    ]));
  }

  /** The one plain error that replaces the app when the server does not know who this is. */
  function showFatal(key = "page.error.auth") {
    if (state.fatal) return;
    state.fatal = true;
    syncTelegramButtons();
    mount(h("div", { class: "state" }, [
      h("div", { class: "state__icon state__icon--lock", "aria-hidden": "true" }),
      h("p", { id: "fatal", class: "state__text", role: "alert", text: t(key) }),
    ]));
  }

  function showStartError(error) {
    mount(h("div", { class: "state" }, [
      h("div", { class: "state__icon state__icon--cloud", "aria-hidden": "true" }),
      h("p", { class: "state__text", role: "alert", text: error.message }),
      h("button", { class: "btn btn--primary", text: t("page.retry"), onclick: start }),
    ]));
  }

  async function start() {
    // A button may open a tab of its own: ?open=artworks beside a result in the chat.
    const asked = new URLSearchParams(window.location.search).get("open");
    if (TABS.some(([name]) => name === asked)) state.tab = asked;
    showLoading();
    try {
      await loadAll();
    } catch (error) {
      if (!state.fatal) showStartError(error instanceof ApiError ? error : new ApiError(0, t("page.error.network")));
      if (!(error instanceof ApiError)) console.error(error);
      return;
    }
    renderApp();
  }

  // ------------------------------------------------------------------ the app's frame

  const TABS = [
    ["paintings", "page.tab.paintings"],
    ["settings", "page.tab.settings"],
    ["artworks", "page.tab.artworks"],
  ];

  /** Builds the tabs and the three views from scratch (at start and on a language change). */
  function renderApp() {
    const tabs = h("nav", { class: "tabs", role: "tablist" }, TABS.map(([name, key]) => h("button", {
      class: "tabs__tab", role: "tab", "data-tab": name, text: t(key),
      onclick: () => selectTab(name),
    })));
    const views = TABS.map(([name]) => h("section", { class: "view", id: `view-${name}`, role: "tabpanel" }));
    mount(
      h("header", { class: "topbar" }, [tabs]),
      h("main", { class: "views" }, views),
      h("div", { id: "saved", class: "saved", role: "status", hidden: true }),
      h("div", { id: "toast", class: "toast", role: "alert", hidden: true }),
    );
    renderPaintings();
    renderSettings();
    selectTab(state.tab, { force: true });
  }

  function selectTab(name, { force = false } = {}) {
    if (name === state.tab && !force && !state.painting && !state.artwork) return;
    state.tab = name;
    state.painting = null;
    state.artwork = null;
    for (const tab of document.querySelectorAll("[data-tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    }
    for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
    $("#painting-page")?.remove();
    $("#artwork-page")?.remove();
    $("#saved").hidden = true; // it belongs to the settings it confirmed
    for (const list of document.querySelectorAll(".list")) list.hidden = false;
    if (name === "artworks") loadArtworks();
    if (!force) haptic("select");
    syncTelegramButtons();
    window.scrollTo(0, 0);
  }

  // ------------------------------------------------------------------ Paintings

  function renderPaintings() {
    const search = h("input", {
      id: "search", class: "search__input", type: "search", value: state.query,
      placeholder: t("page.search"), "aria-label": t("page.search"),
      autocomplete: "off", spellcheck: "false", enterkeyhint: "search",
      oninput: (event) => { state.query = event.target.value; filterPaintings(); },
    });
    const cards = state.paintings.map((p) => h("button", {
      class: "card", "data-painting": p.id, onclick: () => openPainting(p.id),
    }, [
      h("span", { class: "card__frame" }, [picture(p.thumb, p.title, "card__img")]),
      h("span", { class: "card__title", text: p.title }),
      h("span", { class: "card__subtitle", text: p.artist }),
    ]));
    $("#view-paintings").replaceChildren(h("div", { class: "list" }, [
      h("div", { class: "search" }, [h("span", { class: "search__icon", "aria-hidden": "true" }), search]),
      h("div", { class: "grid" }, cards),
      h("p", { class: "empty", id: "no-results", text: t("page.no_results"), hidden: true }),
    ]));
    filterPaintings();
  }

  /** Hides the cards that do not match the search (cheap: the images stay loaded). */
  function filterPaintings() {
    const query = fold(state.query.trim());
    let shown = 0;
    for (const card of document.querySelectorAll("[data-painting]")) {
      const painting = state.paintings.find((p) => p.id === card.dataset.painting);
      card.hidden = !painting.haystack.includes(query);
      if (!card.hidden) shown += 1;
    }
    $("#no-results").hidden = shown > 0;
  }

  function openPainting(id) {
    const painting = state.paintings.find((p) => p.id === id);
    if (!painting) return;
    state.painting = id;
    state.listScroll = window.scrollY;
    const view = $("#view-paintings");
    $(".list", view).hidden = true;
    const facts = [painting.artist, painting.year].filter(Boolean).join(" · ");
    view.append(h("article", { id: "painting-page", class: "detail" }, [
      h("div", { class: "hero" }, [picture(painting.image, painting.title, "hero__img", false)]),
      h("div", { class: "section section--padded" }, [
        h("h1", { class: "detail__title", text: painting.title }),
        h("p", { class: "detail__subtitle", text: facts }),
        h("p", { class: "hint", text: t("page.painting_hint") }),
      ]),
    ]));
    showPaintLast();
    window.scrollTo(0, 0);
    syncTelegramButtons();
    haptic("select");
    refreshMe(); // a photo sent in the chat since the page opened brings "Paint my last photo"
  }

  /** "Paint my last photo" is on the painting's page only while the bot has a recent photo. */
  function showPaintLast() {
    const page = $("#painting-page");
    const button = $("#paint-last");
    if (!page || Boolean(button) === Boolean(state.me.last_photo)) return;
    if (button) {
      button.remove();
      return;
    }
    $(".section", page).append(h("button", {
      id: "paint-last", class: "btn btn--secondary btn--wide", text: t("page.paint_last"),
      onclick: paintLastPhoto,
    }));
  }

  function closePainting() {
    state.painting = null;
    $("#painting-page")?.remove();
    $("#view-paintings .list").hidden = false;
    window.scrollTo(0, state.listScroll);
    syncTelegramButtons();
  }

  function useForNextPhoto() {
    const style = state.painting;
    return withMainProgress(async () => {
      const answer = await api("POST", "api/next-style", { style });
      haptic("success");
      alertMessage(answer.message);
    });
  }

  async function paintLastPhoto(event) {
    const button = event.currentTarget;
    button.disabled = true;
    button.classList.add("is-busy");
    try {
      const answer = await api("POST", "api/paint-last", { style: state.painting });
      haptic("success");
      alertMessage(answer.message);
      // Painted once in this painting: a second tap would queue (and spend) it again.
      button.remove();
    } catch (error) {
      report(error);
      button.disabled = false;
    } finally {
      button.classList.remove("is-busy");
    }
  }

  // ------------------------------------------------------------------ Settings

  function choicesOf(field) {
    return state.me.choices[field] || [];
  }

  function labelOf(field, value) {
    return (state.me.labels[field] && state.me.labels[field][value]) || value;
  }

  function isSwitch(field) {
    const choices = choicesOf(field);
    return choices.length === 2 && choices.includes("on") && choices.includes("off");
  }

  function renderSettings() {
    const rows = state.me.fields.map((field) => {
      if (RANGE_FIELDS.has(field)) return rangeRow(field);
      if (isSwitch(field)) return switchRow(field);
      return segmentedRow(field);
    });
    $("#view-settings").replaceChildren(
      h("p", { class: "section-hint", text: t("page.settings_hint") }),
      h("div", { class: "section" }, rows),
    );
    syncSettingsControls();
  }

  function fieldLabel(field) {
    return state.me.field_labels[field] || field;
  }

  function rangeRow(field) {
    const choices = choicesOf(field);
    const value = h("output", { class: "field__value", for: `field-${field}` });
    const input = h("input", {
      id: `field-${field}`, class: "slider", type: "range", "data-field": field,
      min: 0, max: choices.length - 1, step: 1,
      oninput: () => showRangeValue(input, value),
      onchange: () => save(field, choices[Number(input.value)]),
    });
    return h("div", { class: "field" }, [
      h("div", { class: "field__head" }, [
        h("label", { class: "field__label", for: `field-${field}`, text: fieldLabel(field) }), value,
      ]),
      input,
      h("div", { class: "slider__ends", "aria-hidden": "true" }, [
        h("span", { text: labelOf(field, choices[0]) }),
        h("span", { text: labelOf(field, choices[choices.length - 1]) }),
      ]),
    ]);
  }

  /** Writes the slider's current choice next to its label (and for screen readers). */
  function showRangeValue(input, output) {
    const field = input.dataset.field;
    const label = labelOf(field, choicesOf(field)[Number(input.value)]);
    output.textContent = label;
    input.setAttribute("aria-valuetext", label);
    input.style.setProperty("--fill", `${(100 * Number(input.value)) / Math.max(1, Number(input.max))}%`);
  }

  function switchRow(field) {
    return h("label", { class: "field field--switch", for: `field-${field}` }, [
      h("span", { class: "field__label", text: fieldLabel(field) }),
      h("input", {
        id: `field-${field}`, class: "switch", type: "checkbox", role: "switch", "data-field": field,
        onchange: (event) => save(field, event.target.checked ? "on" : "off"),
      }),
    ]);
  }

  function segmentedRow(field) {
    const labelId = `label-${field}`;
    const buttons = choicesOf(field).map((choice) => h("button", {
      class: "segmented__option", type: "button", "data-field": field, "data-value": choice,
      text: labelOf(field, choice),
      onclick: (event) => pickSegment(event.currentTarget),
    }));
    // Long labels (faces: "Painted like the rest") stack instead of squeezing.
    const long = choicesOf(field).some((c) => labelOf(field, c).length > 14);
    return h("div", { class: "field" }, [
      h("div", { class: "field__head" }, [h("span", { class: "field__label", id: labelId, text: fieldLabel(field) })]),
      h("div", { class: `segmented${long ? " segmented--stacked" : ""}`, role: "group", "aria-labelledby": labelId }, buttons),
    ]);
  }

  function pickSegment(button) {
    const { field, value } = button.dataset;
    if (button.getAttribute("aria-pressed") === "true") return;
    for (const other of document.querySelectorAll(`button[data-field="${field}"]`)) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    haptic("select");
    save(field, value);
  }

  /** Puts every control back to the settings the server last confirmed. */
  function syncSettingsControls() {
    const settings = state.me.settings;
    for (const control of document.querySelectorAll("#view-settings [data-field]")) {
      const field = control.dataset.field;
      const current = settings[field];
      if (control.type === "range") {
        control.value = String(Math.max(0, choicesOf(field).indexOf(current)));
        showRangeValue(control, control.closest(".field").querySelector("output"));
      } else if (control.type === "checkbox") {
        control.checked = current === "on";
      } else {
        control.setAttribute("aria-pressed", String(control.dataset.value === current));
      }
    }
  }

  // Saves run one after the other, so a quick second change never lands before the first.
  let saving = Promise.resolve();
  let savesPending = 0;

  function save(field, value) {
    savesPending += 1;
    saving = saving.then(() => saveNow(field, value)).finally(() => { savesPending -= 1; });
  }

  async function saveNow(field, value) {
    try {
      const answer = await api("PUT", "api/settings", { field, value });
      state.me.settings = answer.settings;
      if (answer.language && answer.language !== state.lang) {
        await changeLanguage(answer.language);
      }
      flashSaved();
      haptic("success");
    } catch (error) {
      if (!state.fatal) syncSettingsControls();
      report(error);
    }
  }

  /** Labels, titles and texts all come from the server in the person's language: reload them. */
  async function changeLanguage(lang) {
    state.me.language = lang;
    state.artworks = null;
    const scrolled = window.scrollY; // the language control is at the bottom: stay there
    await loadAll();
    renderApp();
    window.scrollTo(0, scrolled);
  }

  // ------------------------------------------------------------------ My paintings

  let artworksLoad = null;

  /** Loads the list each time the tab opens (the picture links are short-lived). */
  async function loadArtworks() {
    const view = $("#view-artworks");
    if (state.artworks === null) {
      view.replaceChildren(h("div", { class: "state state--inline" }, [
        h("span", { class: "spinner", role: "img", "aria-label": t("page.loading") }),
      ]));
    } else {
      renderArtworks();
    }
    const load = api("GET", "api/artworks");
    artworksLoad = load;
    try {
      const answer = await load;
      if (artworksLoad !== load) return; // a newer load is under way
      state.artworks = answer.artworks;
      if (state.tab === "artworks" && !state.artwork) renderArtworks();
    } catch (error) {
      if (artworksLoad !== load || state.fatal) return;
      if (state.artworks === null) {
        view.replaceChildren(h("div", { class: "state state--inline" }, [
          h("p", { class: "state__text", text: error.message }),
          h("button", { class: "btn btn--secondary", text: t("page.retry"), onclick: loadArtworks }),
        ]));
      } else {
        report(error);
      }
    }
  }

  function formatDate(seconds) {
    try {
      return new Intl.DateTimeFormat(state.lang, { day: "numeric", month: "short", year: "numeric" })
        .format(new Date(seconds * 1000));
    } catch {
      return "";
    }
  }

  function renderArtworks() {
    const view = $("#view-artworks");
    if (!state.artworks.length) {
      view.replaceChildren(h("div", { class: "list state state--inline" }, [
        h("div", { class: "state__icon state__icon--easel", "aria-hidden": "true" }),
        h("p", { class: "state__text", text: t("page.empty_artworks") }),
      ]));
      return;
    }
    const cards = state.artworks.map((art) => h("button", {
      class: "card", "data-job": art.job, onclick: () => openArtwork(art.job),
    }, [
      h("span", { class: "card__frame" }, [picture(art.painting, art.label, "card__img")]),
      h("span", { class: "card__title", text: art.label }),
      h("span", { class: "card__subtitle", text: formatDate(art.created_at) }),
    ]));
    view.replaceChildren(h("div", { class: "list" }, [h("div", { class: "grid" }, cards)]));
  }

  function openArtwork(job) {
    const art = (state.artworks || []).find((a) => a.job === job);
    if (!art) return;
    state.artwork = job;
    state.mix = 100;
    state.listScroll = window.scrollY;
    const view = $("#view-artworks");
    $(".list", view).hidden = true;
    view.append(h("article", { id: "artwork-page", class: "detail" }, [
      compareView(art),
      h("div", { class: "section section--padded" }, [
        h("h1", { class: "detail__title", text: art.label }),
        h("p", { class: "detail__subtitle", text: formatDate(art.created_at) }),
      ]),
      mixField(),
      h("div", { class: "actions" }, [
        // Share is inline mode in a chat the person picks: only where it can work.
        ...(canShare() ? [h("button", { id: "share", class: "btn btn--secondary", type: "button", onclick: shareArtwork }, [
          h("span", { class: "icon icon--share", "aria-hidden": "true" }), t("page.share"),
        ])] : []),
        h("button", { id: "delete", class: "btn btn--destructive", type: "button", onclick: deleteArtwork }, [
          h("span", { class: "icon icon--trash", "aria-hidden": "true" }), t("page.delete"),
        ]),
      ]),
    ]));
    setCompare(50);
    setMix(state.mix);
    window.scrollTo(0, 0);
    syncTelegramButtons();
    haptic("select");
  }

  /**
   * Before/after: the photo below, the painting above it clipped at the divider.  A
   * transparent range input covers the picture, so dragging, tapping, the keyboard and
   * screen readers all move the divider without any pointer code of our own.
   */
  function compareView(art) {
    const box = h("div", { class: "compare" }, [
      picture(art.photo, t("page.before"), "compare__photo", false),
      picture(art.painting, art.label, "compare__painting", false),
      h("span", { class: "compare__tag compare__tag--before", "aria-hidden": "true", text: t("page.before") }),
      h("span", { class: "compare__tag compare__tag--after", "aria-hidden": "true", text: t("page.after") }),
      h("input", {
        id: "compare", class: "compare__input", type: "range", min: 0, max: 100, step: 1, value: 50,
        "aria-label": t("page.compare"),
        oninput: (event) => setCompare(Number(event.target.value)),
      }),
      h("div", { class: "compare__divider", "aria-hidden": "true" }, [h("span", { class: "compare__handle" })]),
    ]);
    box.style.setProperty("--ratio", String(art.width / art.height));
    return h("div", { class: "compare-wrap" }, [box]);
  }

  function setCompare(percent) {
    $(".compare").style.setProperty("--pos", `${percent}%`);
  }

  function mixField() {
    return h("div", { class: "section" }, [
      h("div", { class: "field" }, [
        h("div", { class: "field__head" }, [
          h("label", { class: "field__label", for: "mix", text: t("page.mix") }),
          h("output", { class: "field__value", id: "mix-value", for: "mix" }),
        ]),
        h("input", {
          id: "mix", class: "slider", type: "range", min: 0, max: 100, step: 1, value: state.mix,
          oninput: (event) => setMix(Number(event.target.value)),
        }),
        h("p", { class: "hint", text: t("page.mix_hint") }),
      ]),
    ]);
  }

  /** The mix is the painting's opacity over the photo: what the server will send. */
  function setMix(percent) {
    state.mix = percent;
    const text = `${percent}%`;
    $(".compare").style.setProperty("--mix", String(percent / 100));
    $("#mix-value").textContent = text;
    $("#mix").setAttribute("aria-valuetext", text);
    $("#mix").style.setProperty("--fill", text);
    $(".compare__tag--after").textContent = percent < 100 ? `${t("page.after")} · ${text}` : t("page.after");
    // At 0% the "version" is the plain photo: nothing worth sending.
    if (tg) (percent > 0 ? tg.MainButton.enable() : tg.MainButton.disable());
  }

  function closeArtwork() {
    state.artwork = null;
    $("#artwork-page")?.remove();
    $("#view-artworks .list").hidden = false;
    window.scrollTo(0, state.listScroll);
    syncTelegramButtons();
  }

  function sendVersion() {
    const job = state.artwork;
    const mix = state.mix;
    return withMainProgress(async () => {
      const answer = await api("POST", `api/artworks/${encodeURIComponent(job)}/send`, { mix });
      haptic("success");
      alertMessage(answer.message);
    });
  }

  /** Inline mode is on for the bot, and Telegram is new enough to pick the chat (6.7). */
  function canShare() {
    return Boolean(state.me && state.me.inline && tg && tg.isVersionAtLeast
      && tg.isVersionAtLeast("6.7"));
  }

  function shareArtwork() {
    try {
      tg.switchInlineQuery(state.artwork, SHARE_CHAT_TYPES);
    } catch (error) {
      report(error);
    }
  }

  async function deleteArtwork() {
    const job = state.artwork;
    if (!(await confirmAction(t("page.delete_confirm")))) return;
    try {
      await api("DELETE", `api/artworks/${encodeURIComponent(job)}`);
    } catch (error) {
      report(error);
      return;
    }
    haptic("success");
    state.artworks = state.artworks.filter((a) => a.job !== job);
    state.artwork = null;
    $("#artwork-page")?.remove();
    renderArtworks();
    syncTelegramButtons();
  }

  /**
   * The person may send a photo or change /settings in the chat while the page stays open:
   * when it comes back into view, or a painting opens, "Paint my last photo" and the
   * settings catch up.  Never while a setting is being saved (the answer would be stale).
   */
  async function refreshMe() {
    if (state.fatal || !state.me || document.visibilityState !== "visible") return;
    let me;
    try {
      me = await api("GET", "api/me");
    } catch {
      return; // quietly: the page still works with what it has
    }
    if (savesPending || state.fatal) return;
    if (me.language !== state.lang) {
      await changeLanguage(me.language).catch(report);
      return;
    }
    state.me = me;
    renderSettings();
    showPaintLast();
  }

  // ------------------------------------------------------------------ start

  function boot() {
    if (!tg) {
      showFatal();
      return;
    }
    applyTheme();
    tg.onEvent("themeChanged", applyTheme);
    tg.onEvent("activated", refreshMe); // Bot API 8.0: the mini app is back from minimised
    document.addEventListener("visibilitychange", refreshMe);
    tg.MainButton.onClick(onMainButton);
    tg.BackButton.onClick(onBackButton);
    tg.ready();
    tg.expand();
    start();
  }

  boot();
})();
