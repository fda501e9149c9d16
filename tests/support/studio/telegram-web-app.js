// A stand-in for https://telegram.org/js/telegram-web-app.js in the studio's browser tests
// (served with Playwright's page.route).  It builds window.Telegram.WebApp from
// window.__TG_LAUNCH__, set by the test with page.add_init_script before the page loads:
//   {initData: "...", initDataUnsafe: {...}, themeParams: {...},
//    colorScheme: "light" | "dark", platform: "tdesktop", confirm: true | false}
// (confirm: what showConfirm answers; true when absent).
//
// Like Telegram in full screen (Bot API 8.0), the stub draws its BackButton over the top
// of the page and says so with contentSafeAreaInset.top (and the CSS property
// --tg-content-safe-area-inset-top, as Telegram's script sets it), so a page that keeps
// that strip clear is never covered by it.
//
// What a test can see:
// - MainButton is a real fixed bottom bar, <button id="tg-main-button">, and BackButton
//   <button id="tg-back-button"> at the top left: clickable, and visible in screenshots.
// - showAlert shows <div id="tg-alert"> with the text and an OK button (#tg-alert-ok).
// - Every call of showAlert, showConfirm, switchInlineQuery and close is recorded in
//   window.__tg_calls as {method, args}.
// - window.__tg_setTheme(themeParams, colorScheme) changes the theme and fires themeChanged.
// Styles are set through element.style (CSSOM), which the page's CSP allows.
(() => {
  "use strict";

  const launch = window.__TG_LAUNCH__ || {};
  const calls = (window.__tg_calls = window.__tg_calls || []);
  const handlers = {}; // event name -> [callback]
  const HEADER_PX = 44; // the strip at the top where the BackButton is drawn

  function record(method, args) {
    calls.push({ method, args: Array.from(args) });
  }

  function emit(event, ...args) {
    for (const callback of (handlers[event] || []).slice()) {
      try {
        callback.apply(webApp, args);
      } catch (error) {
        console.error(error);
      }
    }
  }

  /** Runs `build` once <body> exists (the script is loaded from <head>). */
  function whenBody(build) {
    if (document.body) build();
    else document.addEventListener("DOMContentLoaded", build, { once: true });
  }

  function css(node, styles) {
    for (const [name, value] of Object.entries(styles)) node.style.setProperty(name, value);
  }

  function versionAtLeast(version, wanted) {
    const a = String(version).split(".").map(Number);
    const b = String(wanted).split(".").map(Number);
    for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
      const x = a[i] || 0;
      const y = b[i] || 0;
      if (x !== y) return x > y;
    }
    return true;
  }

  // ------------------------------------------------------------------ MainButton

  let mainNode = null;

  const MainButton = {
    text: "Continue",
    color: null,
    textColor: null,
    isVisible: false,
    isActive: true,
    isProgressVisible: false,
    setText(text) {
      return this.setParams({ text });
    },
    show() {
      return this.setParams({ is_visible: true });
    },
    hide() {
      return this.setParams({ is_visible: false });
    },
    enable() {
      return this.setParams({ is_active: true });
    },
    disable() {
      return this.setParams({ is_active: false });
    },
    showProgress(leaveActive) {
      this.isProgressVisible = true;
      if (!leaveActive) this.isActive = false;
      renderMain();
      return this;
    },
    hideProgress() {
      this.isProgressVisible = false;
      this.isActive = true;
      renderMain();
      return this;
    },
    setParams(params) {
      if ("text" in params) this.text = String(params.text).trim();
      if ("color" in params) this.color = params.color;
      if ("text_color" in params) this.textColor = params.text_color;
      if ("is_active" in params) this.isActive = Boolean(params.is_active);
      if ("is_visible" in params) this.isVisible = Boolean(params.is_visible) && this.text !== "";
      renderMain();
      return this;
    },
    onClick(callback) {
      webApp.onEvent("mainButtonClicked", callback);
      return this;
    },
    offClick(callback) {
      webApp.offEvent("mainButtonClicked", callback);
      return this;
    },
  };

  function renderMain() {
    whenBody(() => {
      if (!mainNode) {
        mainNode = document.createElement("button");
        mainNode.id = "tg-main-button";
        mainNode.type = "button";
        css(mainNode, {
          position: "fixed", left: "0", right: "0", bottom: "0", "z-index": "2147483000",
          height: "56px", border: "0", "border-radius": "0", margin: "0", padding: "0 16px",
          font: "600 15px/1 -apple-system, system-ui, Roboto, sans-serif",
          "letter-spacing": "0.2px", cursor: "pointer",
        });
        mainNode.addEventListener("click", () => {
          if (MainButton.isVisible && MainButton.isActive) emit("mainButtonClicked");
        });
        document.body.append(mainNode);
      }
      const theme = webApp.themeParams;
      mainNode.textContent = MainButton.isProgressVisible ? "…" : MainButton.text;
      mainNode.hidden = !MainButton.isVisible;
      mainNode.disabled = !MainButton.isActive;
      css(mainNode, {
        display: MainButton.isVisible ? "block" : "none",
        background: MainButton.color || theme.button_color || "#2481cc",
        color: MainButton.textColor || theme.button_text_color || "#ffffff",
        opacity: MainButton.isActive ? "1" : "0.7",
      });
    });
  }

  // ------------------------------------------------------------------ BackButton

  let backNode = null;

  const BackButton = {
    isVisible: false,
    show() {
      this.isVisible = true;
      renderBack();
      return this;
    },
    hide() {
      this.isVisible = false;
      renderBack();
      return this;
    },
    onClick(callback) {
      webApp.onEvent("backButtonClicked", callback);
      return this;
    },
    offClick(callback) {
      webApp.offEvent("backButtonClicked", callback);
      return this;
    },
  };

  function renderBack() {
    whenBody(() => {
      if (!backNode) {
        backNode = document.createElement("button");
        backNode.id = "tg-back-button";
        backNode.type = "button";
        backNode.textContent = "‹ Back";
        backNode.setAttribute("aria-label", "Back");
        css(backNode, {
          position: "fixed", left: "8px", top: "7px", "z-index": "2147483000",
          height: "30px", padding: "0 12px", border: "0", "border-radius": "16px",
          background: "rgba(0, 0, 0, 0.6)", color: "#ffffff",
          font: "500 14px/1.2 -apple-system, system-ui, Roboto, sans-serif", cursor: "pointer",
        });
        backNode.addEventListener("click", () => emit("backButtonClicked"));
        // Telegram draws its Back button in its own header: the stub's header bar is the
        // strip that contentSafeAreaInset.top tells the page to keep clear (see above), so
        // the button covers nothing, even when the page scrolls under it.
        const header = document.createElement("div");
        header.id = "tg-header";
        css(header, {
          position: "fixed", left: "0", right: "0", top: "0", height: `${HEADER_PX}px`,
          "z-index": "2147482999",
          background: webApp.themeParams.secondary_bg_color || "#efeff3",
        });
        header.append(backNode);
        document.body.append(header);
      }
      backNode.hidden = !BackButton.isVisible;
      css(backNode, { display: BackButton.isVisible ? "block" : "none" });
    });
  }

  // ------------------------------------------------------------------ popups

  function showAlert(message, callback) {
    record("showAlert", arguments);
    whenBody(() => {
      document.getElementById("tg-alert")?.remove();
      const box = document.createElement("div");
      box.id = "tg-alert";
      box.setAttribute("role", "alertdialog");
      css(box, {
        position: "fixed", inset: "0", "z-index": "2147483600", display: "flex",
        "align-items": "center", "justify-content": "center", background: "rgba(0, 0, 0, 0.4)",
      });
      const card = document.createElement("div");
      css(card, {
        width: "min(300px, 86vw)", padding: "18px 18px 8px", "border-radius": "14px",
        background: "#ffffff", color: "#000000", "box-shadow": "0 8px 30px rgba(0, 0, 0, 0.3)",
        font: "15px/1.4 -apple-system, system-ui, Roboto, sans-serif",
      });
      const text = document.createElement("p");
      text.id = "tg-alert-text";
      text.textContent = message;
      css(text, { margin: "0 0 12px", "white-space": "pre-wrap" });
      const ok = document.createElement("button");
      ok.id = "tg-alert-ok";
      ok.type = "button";
      ok.textContent = "OK";
      css(ok, {
        display: "block", "margin-left": "auto", padding: "8px 14px", border: "0",
        background: "transparent", color: webApp.themeParams.button_color || "#2481cc",
        font: "600 15px/1 -apple-system, system-ui, Roboto, sans-serif", cursor: "pointer",
      });
      ok.addEventListener("click", () => {
        box.remove();
        if (callback) callback();
      });
      card.append(text, ok);
      box.append(card);
      document.body.append(box);
    });
  }

  function showConfirm(message, callback) {
    record("showConfirm", arguments);
    const answer = launch.confirm !== false;
    setTimeout(() => callback && callback(answer), 0);
  }

  // ------------------------------------------------------------------ the WebApp object

  const webApp = {
    initData: launch.initData || "",
    initDataUnsafe: launch.initDataUnsafe || {},
    version: "8.0",
    platform: launch.platform || "tdesktop",
    colorScheme: launch.colorScheme === "dark" ? "dark" : "light",
    themeParams: { ...(launch.themeParams || {}) },
    isExpanded: false,
    safeAreaInset: { top: 0, bottom: 0, left: 0, right: 0 },
    contentSafeAreaInset: { top: HEADER_PX, bottom: 0, left: 0, right: 0 },
    viewportHeight: window.innerHeight,
    viewportStableHeight: window.innerHeight,
    headerColor: null,
    backgroundColor: null,
    MainButton,
    BackButton,
    HapticFeedback: {
      impactOccurred() { return this; },
      notificationOccurred() { return this; },
      selectionChanged() { return this; },
    },
    isVersionAtLeast(version) {
      return versionAtLeast(this.version, version);
    },
    onEvent(event, callback) {
      (handlers[event] = handlers[event] || []).push(callback);
    },
    offEvent(event, callback) {
      handlers[event] = (handlers[event] || []).filter((c) => c !== callback);
    },
    ready() {},
    expand() {
      this.isExpanded = true;
    },
    close() {
      record("close", arguments);
    },
    setHeaderColor(color) {
      this.headerColor = color;
    },
    setBackgroundColor(color) {
      this.backgroundColor = color;
    },
    showAlert,
    showConfirm,
    switchInlineQuery(query) { // (query, chatTypes): both recorded
      record("switchInlineQuery", arguments);
      if (typeof query !== "string") throw new Error("WebAppInlineQueryInvalid");
    },
  };

  window.__tg_setTheme = (themeParams, colorScheme) => {
    webApp.themeParams = { ...themeParams };
    if (colorScheme) webApp.colorScheme = colorScheme;
    document.getElementById("tg-header")?.style.setProperty(
      "background", webApp.themeParams.secondary_bg_color || "#efeff3");
    renderMain();
    emit("themeChanged");
  };

  // What Telegram's script sets on <html> for Bot API 8.0's safe areas.
  for (const [name, inset] of [["safe-area", webApp.safeAreaInset],
    ["content-safe-area", webApp.contentSafeAreaInset]]) {
    for (const side of ["top", "bottom", "left", "right"]) {
      document.documentElement.style.setProperty(`--tg-${name}-inset-${side}`, `${inset[side]}px`);
    }
  }

  window.Telegram = window.Telegram || {};
  window.Telegram.WebApp = webApp;
})();
