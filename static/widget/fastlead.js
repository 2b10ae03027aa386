/*!
 * Fast Lead embeddable lead form. No dependencies.
 *
 *   <script src="https://app.example/static/widget/fastlead.js" data-key="pk_…" async></script>
 *
 * Optional attributes on the script tag:
 *   data-target="#selector"  render into this element instead of right after the script;
 *   data-lang="en" | "ru"    override the language (default: the page's <html lang>, else ru).
 *   data-preview="1"         the dashboard's preview: also re-renders from a draft config
 *                            posted by the parent page (same origin only), see listenForDrafts.
 *   data-chat                also show the web chat (operators answer from the lead page).
 *   data-source-token="…"    set by pages hosted by Fast Lead (HyroPage): the lead's source,
 *                            signed by the server and accepted only from Fast Lead's origin.
 * The API origin is the script's own origin. The widget lives in a shadow root attached to its
 * container: the host page's CSS cannot reach it, and its styles (classes "fl-") stay inside.
 *
 * Layout of this file (other sections, e.g. booking and chat, add their own render functions
 * and call them from renderWidget):
 *   1. shared helpers: texts, CSS, el(), HTTP with retries, submission ids, UTM;
 *   2. mounting: mountHost() (container + shadow root);
 *   3. the lead form: renderHeader, renderQuickReplies, renderFields, renderChannels,
 *      renderConsents, bindLeadForm;
 *   4. start-up: loading the published config, the origin message, preview drafts.
 *
 * The texts, colours, position, fields and consents come from the tenant's configuration (the
 * config endpoint, in the visitor's language). On a site the tenant has not allowed yet, the
 * console tells the site owner what to do and the visitor sees a neutral message.
 *
 * A request that meets a network error, 429 or 502/503/504 is sent again with exponential
 * backoff (at least the server's Retry-After), up to MAX_ATTEMPTS times in about a minute; the
 * visitor is told it is retrying and the form keeps what they typed.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll('script[src*="fastlead.js"][data-key]');
    script = candidates[candidates.length - 1];
  }
  if (!script || script.getAttribute("data-fastlead-started")) return;
  script.setAttribute("data-fastlead-started", "1");

  var key = (script.getAttribute("data-key") || "").trim();
  if (!key) {
    if (window.console) console.warn("Fast Lead: the script tag has no data-key.");
    return;
  }
  var origin = new URL(script.src, document.baseURI).origin;
  var base = origin + "/api/public/v1/widget/" + encodeURIComponent(key) + "/";

  var RETRY_STATUSES = [429, 502, 503, 504];
  var MAX_ATTEMPTS = 6; // the first try and 5 more: 1 + 2 + 4 + 8 + 16 s of backoff
  var BASE_DELAY_MS = 1000;
  var MAX_DELAY_MS = 30000;
  var MAX_RETRY_AFTER_MS = 60000;

  var pageLang = (script.getAttribute("data-lang") || document.documentElement.lang || "").toLowerCase();
  var lang = pageLang.indexOf("en") === 0 ? "en" : "ru";

  var TEXT = {
    ru: {
      title: "Оставьте заявку",
      name: "Имя",
      email: "E-mail",
      phone: "Телефон",
      message: "Сообщение",
      submit: "Отправить",
      sending: "Отправляем…",
      required: "обязательно",
      requiredField: "Заполните это поле.",
      oneOf: "Укажите e-mail или телефон.",
      consentRequired: "Нужно согласие на обработку персональных данных.",
      invalid: "Проверьте поля формы.",
      thanks: "Спасибо! Заявка отправлена, мы скоро с вами свяжемся.",
      unavailable: "Форма временно недоступна. Пожалуйста, свяжитесь с нами другим способом.",
      retry: "Не удалось отправить заявку. Проверьте подключение и попробуйте ещё раз через минуту.",
      retrying: "Не получилось отправить — пробуем ещё раз через %s с. Ваши данные остаются в форме.",
      loadFailed: "Не удалось загрузить форму. Обновите страницу чуть позже.",
      honeypot: "Не заполняйте это поле",
      notHere: "Форма недоступна на этой странице. Пожалуйста, свяжитесь с нами другим способом.",
      policy: "Политика обработки персональных данных",
      channel: "Как вам ответить?",
      anyChannel: "Как удобнее вам",
      quick: "Частые вопросы",
      previewOnly: "Это предпросмотр несохранённых настроек: заявка не отправляется."
    },
    en: {
      title: "Leave a request",
      name: "Name",
      email: "E-mail",
      phone: "Phone",
      message: "Message",
      submit: "Send",
      sending: "Sending…",
      required: "required",
      requiredField: "This field is required.",
      oneOf: "Give an e-mail or a phone.",
      consentRequired: "Consent to the processing of personal data is required.",
      invalid: "Please check the form.",
      thanks: "Thank you! Your request has been sent, we will get back to you soon.",
      unavailable: "The form is unavailable at the moment. Please contact us another way.",
      retry: "Your request could not be sent. Check your connection and try again in a minute.",
      retrying: "Could not send yet — trying again in %s s. Your details stay in the form.",
      loadFailed: "The form could not be loaded. Please reload the page a little later.",
      honeypot: "Leave this field empty",
      notHere: "The form is not available on this page. Please contact us another way.",
      policy: "Privacy policy",
      channel: "How should we reply?",
      anyChannel: "Any way",
      quick: "Common questions",
      previewOnly: "This is a preview of unsaved settings: the request is not sent."
    }
  }[lang];

  var CSS =
    ":host{all:initial!important;display:block!important}" +
    ".fl-widget{box-sizing:border-box;max-width:32em;width:100%;margin:1em 0;padding:1.25em;" +
    "border:1px solid #d0d5dd;border-radius:.75em;background:#fff;color:var(--fl-text,#1d2939);" +
    "font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;text-align:left}" +
    ".fl-widget *,.fl-widget *::before,.fl-widget *::after{box-sizing:border-box}" +
    ".fl-head{display:flex;gap:.75em;align-items:center;margin:0 0 .75em}" +
    ".fl-logo{display:block;max-height:2.25em;max-width:8em;margin:0 0 .75em}" +
    ".fl-avatar{flex:none;width:2.75em;height:2.75em;border-radius:50%;object-fit:cover}" +
    ".fl-title{margin:0;font-size:1.2em;font-weight:600;line-height:1.3}" +
    ".fl-field{margin:0 0 .85em}" +
    ".fl-label{display:block;margin:0 0 .3em;font-size:.95em;font-weight:500}" +
    ".fl-input{display:block;width:100%;min-height:2.75em;margin:0;padding:.55em .75em;" +
    "border:1px solid #98a2b3;border-radius:.5em;background:#fff;color:inherit;font:inherit}" +
    "textarea.fl-input{min-height:6em;resize:vertical}" +
    ".fl-input:focus,.fl-check input:focus-visible,.fl-submit:focus-visible,.fl-chip:focus-visible{outline:3px solid #84adff;outline-offset:1px}" +
    ".fl-input[aria-invalid=true]{border-color:#d92d20}" +
    ".fl-check{display:flex;gap:.6em;align-items:flex-start;margin:0 0 .75em;font-size:.9em}" +
    ".fl-check input{flex:none;width:1.25em;height:1.25em;margin:.1em 0 0}" +
    ".fl-chips{display:flex;flex-wrap:wrap;gap:.4em;margin:0 0 .85em;padding:0;border:0}" +
    ".fl-chip{min-height:2.25em;padding:.3em .8em;border:1px solid var(--fl-primary,#1570ef);border-radius:1.2em;" +
    "background:#fff;color:var(--fl-primary,#1570ef);font:inherit;font-size:.9em;cursor:pointer}" +
    ".fl-chip[aria-pressed=true]{background:var(--fl-primary,#1570ef);color:#fff}" +
    ".fl-radios{margin:0 0 .85em;padding:0;border:0}.fl-radios legend{padding:0;margin:0 0 .3em;font-weight:500;font-size:.95em}" +
    ".fl-radios label{display:inline-flex;gap:.35em;align-items:center;margin:0 .9em .35em 0;min-height:2em}" +
    ".fl-error{margin:.3em 0 0;color:#b42318;font-size:.875em}" +
    ".fl-error:empty{display:none}" +
    ".fl-alert{margin:0 0 .85em;padding:.65em .8em;border-radius:.5em;background:#fef3f2;color:#b42318}" +
    ".fl-alert:empty{display:none}" +
    ".fl-status{margin:.75em 0 0;padding:.55em .8em;border-radius:.5em;background:#fffaeb;color:#93370d;font-size:.9em}" +
    ".fl-status:empty{display:none}.fl-status.fl-done{background:#ecfdf3;color:#05603a}" +
    ".fl-zone{margin:.5em 0 0;color:#475467;font-size:.85em}.fl-zone:empty{display:none}" +
    ".fl-thanks{margin:0;padding:.75em .9em;border-radius:.5em;background:#ecfdf3;color:#05603a}" +
    ".fl-submit{display:inline-block;width:100%;min-height:2.9em;padding:.6em 1.25em;border:0;" +
    "border-radius:.5em;background:var(--fl-primary,#1570ef);color:#fff;font:inherit;font-weight:600;cursor:pointer}" +
    ".fl-submit[disabled]{opacity:.65;cursor:progress}" +
    ".fl-greeting{margin:0 0 .85em}.fl-offline{margin:0 0 .85em;padding:.55em .8em;border-radius:.5em;background:#f2f4f7}" +
    ".fl-check a{color:var(--fl-primary,#1570ef)}" +
    ".fl-pos-bottom-right{margin-left:auto}.fl-pos-bottom-left{margin-right:auto}" +
    ".fl-hp{position:absolute!important;left:-10000px!important;width:1px;height:1px;overflow:hidden}" +
    // meeting booking step (apps/booking)
    ".fl-booking{margin:1em 0 0}.fl-slots{display:flex;flex-wrap:wrap;gap:.5em;margin:.75em 0 0}" +
    ".fl-slot{min-height:2.75em;min-width:4.5em;padding:.4em .8em;border:1px solid var(--fl-primary,#1570ef);" +
    "border-radius:.5em;background:#fff;color:var(--fl-primary,#1570ef);font:inherit;cursor:pointer}" +
    "@media (min-width:480px){.fl-submit{width:auto}}";

  var HEX = /^#[0-9a-fA-F]{6}$/;
  var SAFE_URL = /^https?:\/\//;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    var name;
    for (name in attrs || {}) {
      if (attrs[name] === false || attrs[name] == null) continue;
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name] === true ? "" : attrs[name]);
    }
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var uid = "fl" + Math.random().toString(36).slice(2, 8);

  function getJSON(response) {
    return response.json().then(
      function (body) { return body; },
      function () { return {}; }
    );
  }

  function submissionId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var hex = "";
    for (var i = 0; i < 32; i++) hex += Math.floor(Math.random() * 16).toString(16);
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-4" + hex.slice(13, 16) + "-a" + hex.slice(17, 20) + "-" + hex.slice(20);
  }

  // Seconds (or an HTTP date) from the Retry-After header, else the error body's retry_after.
  function retryAfterMs(response, data) {
    var header = response.headers.get("Retry-After");
    var seconds = header ? Number(header) : NaN;
    if (header && isNaN(seconds) && !isNaN(Date.parse(header))) {
      seconds = (Date.parse(header) - Date.now()) / 1000;
    }
    if (isNaN(seconds) && data && data.error && data.error.retry_after != null) {
      seconds = Number(data.error.retry_after);
    }
    return isNaN(seconds) ? 0 : Math.min(Math.max(seconds, 0) * 1000, MAX_RETRY_AFTER_MS);
  }

  function backoffMs(retry) {
    var delay = Math.min(BASE_DELAY_MS * Math.pow(2, retry - 1), MAX_DELAY_MS);
    return delay * (0.9 + Math.random() * 0.2); // jitter: not every visitor at the same moment
  }

  // fetch(url, options), sent again on a network error or a "come back later" answer. Calls
  // onRetry(seconds, attempt) before each wait and done(response or null, body) at the end.
  function sendWithRetry(url, options, onRetry, done) {
    var attempt = 1;
    function again(serverMs) {
      var wait = Math.max(backoffMs(attempt), serverMs);
      attempt += 1;
      onRetry(Math.max(1, Math.round(wait / 1000)), attempt);
      window.setTimeout(send, wait);
    }
    function send() {
      fetch(url, options).then(
        function (response) {
          return getJSON(response).then(function (data) {
            if (RETRY_STATUSES.indexOf(response.status) >= 0 && attempt < MAX_ATTEMPTS) {
              again(retryAfterMs(response, data));
            } else {
              done(response, data);
            }
          });
        },
        function () {
          if (attempt < MAX_ATTEMPTS) again(0);
          else done(null, {});
        }
      );
    }
    send();
  }

  function utmParams() {
    var utm = {};
    var count = 0;
    try {
      new URLSearchParams(window.location.search).forEach(function (value, name) {
        if (name.indexOf("utm_") === 0 && count < 10 && !(name in utm)) {
          utm[name] = value.slice(0, 200);
          count += 1;
        }
      });
    } catch (e) { /* old browsers: no UTM */ }
    return utm;
  }

  /* --- 2. mounting ----------------------------------------------------------------------- */

  // The container (data-target, else a new element after the script) holds a shadow root:
  // the host page's styles stop at its boundary and ours never leak out.
  function mountHost() {
    var target = script.getAttribute("data-target");
    var host = target ? document.querySelector(target) : null;
    if (!host) {
      host = el("div", { "data-fastlead-created": "1" });
      var parent = script.parentNode;
      if (!parent || parent === document.head || !document.body.contains(script)) {
        document.body.appendChild(host);
      } else {
        parent.insertBefore(host, script.nextSibling);
      }
    }
    host.setAttribute("data-fastlead", "");
    var root = host.attachShadow ? host.shadowRoot || host.attachShadow({ mode: "open" }) : host;
    var style = el("style", { text: CSS });
    var box = el("div", { class: "fl-widget", lang: lang });
    root.textContent = "";
    root.appendChild(style);
    root.appendChild(box);
    return { host: host, box: box, root: root };
  }

  /* --- 3. the lead form ------------------------------------------------------------------- */

  function renderHeader(form, config, texts, titleId) {
    if (SAFE_URL.test(config.logo_url || "")) {
      form.appendChild(el("img", { class: "fl-logo", src: config.logo_url, alt: "" }));
    }
    var title = el("h2", { class: "fl-title", id: titleId, text: texts.title || TEXT.title });
    if (SAFE_URL.test(config.avatar_url || "")) {
      form.appendChild(el("div", { class: "fl-head" }, [
        el("img", { class: "fl-avatar", src: config.avatar_url, alt: "" }),
        title
      ]));
    } else {
      form.appendChild(el("div", { class: "fl-head" }, [title]));
    }
    if (texts.greeting) form.appendChild(el("p", { class: "fl-greeting", text: texts.greeting }));
    if (texts.offline) form.appendChild(el("p", { class: "fl-offline", role: "status", text: texts.offline }));
  }

  // Quick replies: one press picks a ready question (it fills the message, or is sent as the
  // message when the form does not ask for one); a second press takes it back.
  function renderQuickReplies(form, replies, state) {
    if (!replies || !replies.length) return;
    var group = el("div", { class: "fl-chips", role: "group", "aria-label": TEXT.quick });
    replies.forEach(function (reply) {
      var chip = el("button", { type: "button", class: "fl-chip", "aria-pressed": "false", text: reply });
      chip.addEventListener("click", function () {
        var on = state.reply !== reply;
        state.reply = on ? reply : "";
        Array.prototype.forEach.call(group.children, function (other) {
          other.setAttribute("aria-pressed", other === chip && on ? "true" : "false");
        });
        var message = state.inputs.message;
        if (message) message.value = on ? reply : "";
      });
      group.appendChild(chip);
    });
    form.appendChild(group);
  }

  function renderFields(form, fields, state) {
    fields.forEach(function (field) {
      var id = uid + "-" + field.name;
      var attrs = { class: "fl-input", id: id, name: field.name, "aria-describedby": id + "-error" };
      attrs.autocomplete = { email: "email", phone: "tel", name: "name" }[field.name] || false;
      if (field.required) {
        attrs.required = true;
        attrs["aria-required"] = "true";
      }
      var input;
      if (field.type === "textarea") {
        input = el("textarea", Object.assign(attrs, { rows: "4", maxlength: "5000" }));
      } else {
        attrs.type = field.type || "text";
        if (field.type === "tel") attrs.inputmode = "tel";
        input = el("input", attrs);
      }
      state.inputs[field.name] = input;
      form.appendChild(el("div", { class: "fl-field" }, [
        el("label", { class: "fl-label", for: id, text: field.label || TEXT[field.name] || field.name }),
        input,
        errorNode(state, field.name)
      ]));
    });
  }

  function renderChannels(form, channels, state) {
    if (!channels || !channels.length) return;
    var group = el("fieldset", { class: "fl-radios" }, [el("legend", { text: TEXT.channel })]);
    [{ key: "", label: TEXT.anyChannel }].concat(channels).forEach(function (channel, index) {
      var radio = el("input", { type: "radio", name: uid + "-channel", value: channel.key, checked: index === 0 });
      radio.addEventListener("change", function () { state.channel = channel.key; });
      group.appendChild(el("label", {}, [radio, channel.label]));
    });
    group.appendChild(errorNode(state, "channel"));
    form.appendChild(group);
  }

  function renderConsents(form, consents, policyUrl, state) {
    ["processing", "marketing"].forEach(function (name) {
      var consent = consents[name];
      if (!consent) return;
      var id = uid + "-consent-" + name;
      var box = el("input", {
        type: "checkbox",
        id: id,
        name: "consents." + name,
        required: !!consent.required,
        "aria-required": consent.required ? "true" : false,
        "aria-describedby": id + "-error"
      });
      state.inputs["consents." + name] = box;
      var err = errorNode(state, "consents." + name);
      err.id = id + "-error";
      var policy = name === "processing" && SAFE_URL.test(policyUrl || "");
      form.appendChild(el("div", { class: "fl-field" }, [
        el("div", { class: "fl-check" }, [
          box,
          el("label", { for: id }, [
            consent.text || "",
            policy ? " " : null,
            policy ? el("a", { href: policyUrl, target: "_blank", rel: "noopener", text: TEXT.policy }) : null
          ])
        ]),
        err
      ]));
    });
  }

  function errorNode(state, name) {
    var node = el("p", { class: "fl-error", id: uid + "-" + name.replace(/\W/g, "-") + "-error" });
    state.errors[name] = node;
    return node;
  }

  // The whole widget for one config. Later sections (booking, chat) hook in here.
  function renderWidget(mounted, config) {
    var box = mounted.box;
    var colors = config.colors || {};
    if (HEX.test(colors.primary || "")) box.style.setProperty("--fl-primary", colors.primary);
    if (HEX.test(colors.text || "")) box.style.setProperty("--fl-text", colors.text);
    box.className = "fl-widget " + (config.position === "bottom-left" ? "fl-pos-bottom-left" : "fl-pos-bottom-right");
    mounted.host.setAttribute("data-config-version", String(config.version || 0));
    renderLeadForm(box, config);
  }

  function renderLeadForm(box, config) {
    var texts = config.texts || {};
    var fields = config.fields || [];
    var state = { inputs: {}, errors: {}, reply: "", channel: "" };
    var titleId = uid + "-title";
    var form = el("form", { class: "fl-form", novalidate: true, "aria-labelledby": titleId });
    renderHeader(form, config, texts, titleId);
    state.alert = el("div", { class: "fl-alert", role: "alert", "aria-live": "assertive" });
    form.appendChild(state.alert);
    renderQuickReplies(form, config.quick_replies, state);
    renderFields(form, fields, state);
    renderChannels(form, config.channels, state);
    renderConsents(form, config.consents || {}, config.policy_url, state);
    var honeypotName = config.honeypot_field || "hp_field";
    state.hp = el("input", { type: "text", id: uid + "-hp", name: honeypotName, tabindex: "-1", autocomplete: "off" });
    form.appendChild(el("div", { class: "fl-hp", "aria-hidden": "true" }, [
      el("label", { for: uid + "-hp", text: TEXT.honeypot }),
      state.hp
    ]));
    state.submitText = texts.button || TEXT.submit;
    state.button = el("button", { type: "submit", class: "fl-submit", text: state.submitText });
    form.appendChild(state.button);
    state.status = el("p", { class: "fl-status", role: "status", "aria-live": "polite" });
    form.appendChild(state.status);
    box.textContent = "";
    box.appendChild(form);
    bindLeadForm(box, form, config, state);
  }

  function clearErrors(state) {
    state.alert.textContent = "";
    Object.keys(state.errors).forEach(function (name) {
      state.errors[name].textContent = "";
      if (state.inputs[name]) state.inputs[name].removeAttribute("aria-invalid");
    });
  }

  function showFieldErrors(state, fieldErrors) {
    var first = null;
    var unplaced = [];
    Object.keys(fieldErrors).forEach(function (name) {
      var messages = fieldErrors[name];
      var text = Array.isArray(messages) ? messages.join(" ") : String(messages);
      if (state.errors[name]) {
        state.errors[name].textContent = text;
        if (state.inputs[name]) {
          state.inputs[name].setAttribute("aria-invalid", "true");
          first = first || state.inputs[name];
        }
      } else {
        unplaced.push(text);
      }
    });
    state.alert.textContent = unplaced.length ? unplaced.join(" ") : TEXT.invalid;
    if (first) first.focus();
  }

  function localErrors(config, state) {
    var found = {};
    var inputs = state.inputs;
    var consents = config.consents || {};
    var oneOf = config.require_one_of || ["email", "phone"];
    var contact = oneOf.some(function (name) { return inputs[name] && inputs[name].value.trim(); });
    if (!contact) {
      oneOf.forEach(function (name) { if (inputs[name]) found[name] = [TEXT.oneOf]; });
    }
    Object.keys(consents).forEach(function (name) {
      var box = inputs["consents." + name];
      if (consents[name].required && box && !box.checked) found["consents." + name] = [TEXT.consentRequired];
    });
    (config.fields || []).forEach(function (field) {
      var input = inputs[field.name];
      if (field.required && input && !input.value.trim()) found[field.name] = [TEXT.requiredField];
    });
    return found;
  }

  function leadBody(config, state) {
    var body = { consents: {}, page_url: window.location.href.slice(0, 2000) };
    (config.fields || []).forEach(function (field) {
      if (state.inputs[field.name]) body[field.name] = state.inputs[field.name].value.trim();
    });
    if (!body.message && state.reply) body.message = state.reply;
    if (state.channel) body.channel = state.channel;
    Object.keys(config.consents || {}).forEach(function (name) {
      var box = state.inputs["consents." + name];
      body.consents[name] = !!(box && box.checked);
    });
    var utm = utmParams();
    if (Object.keys(utm).length) body.utm = utm;
    if (script.getAttribute("data-test")) body.test = true;
    // A page hosted by Fast Lead (HyroPage) names its signed source; the server checks it.
    if (script.getAttribute("data-source-token")) body.source_token = script.getAttribute("data-source-token");
    body[config.honeypot_field || "hp_field"] = state.hp.value;
    // One id per press of "Send", repeated by the retries: the server stores it once.
    body.submission_id = submissionId();
    state.submissionId = body.submission_id; // the booking step books for the lead it became
    return body;
  }

  function bindLeadForm(box, form, config, state) {
    function busy(on) {
      state.button.disabled = on;
      state.button.textContent = on ? TEXT.sending : state.submitText;
      form.setAttribute("aria-busy", on ? "true" : "false");
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(state);
      var found = localErrors(config, state);
      if (Object.keys(found).length) return showFieldErrors(state, found);
      if (previewOnly) {
        state.alert.textContent = "";
        state.status.textContent = TEXT.previewOnly;
        return;
      }
      busy(true);
      sendWithRetry(
        base + "leads/",
        {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(leadBody(config, state))
        },
        function (seconds, attempt) {
          state.status.setAttribute("data-attempt", String(attempt));
          state.status.textContent = TEXT.retrying.replace("%s", seconds);
        },
        function (response, data) {
          busy(false);
          state.status.textContent = "";
          answered(box, config, state, response, data);
        }
      );
    });
  }

  function answered(box, config, state, response, data) {
    var error = (data && data.error) || {};
    var alertBox = state.alert;
    if (!response) {
      alertBox.textContent = TEXT.retry;
    } else if (response.ok) {
      var thanks = el("p", { class: "fl-thanks", role: "status", tabindex: "-1", text: (config.texts || {}).success || TEXT.thanks });
      box.textContent = "";
      box.appendChild(thanks);
      thanks.focus();
      if (config.booking && config.booking.enabled) bookingStep(box, config.booking, state.submissionId);
    } else if (response.status === 400 && error.fields && Object.keys(error.fields).length) {
      showFieldErrors(state, error.fields);
    } else if (response.status === 403 && error.code === "origin_not_allowed") {
      warnOrigin(error);
      alertBox.textContent = TEXT.notHere;
    } else if (response.status === 402 || (response.status === 403 && error.code === "form_unavailable")) {
      alertBox.textContent = TEXT.unavailable;
    } else if (response.status === 400) {
      alertBox.textContent = error.message || TEXT.invalid;
    } else {
      alertBox.textContent = TEXT.retry;
    }
  }

  // --- meeting booking step (apps/booking): shown after a sent form when the company offers
  // meetings. Books for the lead just created: the form's submission_id names it. -----------
  var BOOKING_TEXT = {
    ru: { title: "Выберите время встречи", date: "Дата", none: "На этот день свободного времени нет — выберите другую дату.",
      booked: "Встреча назначена: %s. Приглашение придёт на e-mail.", taken: "Это время только что заняли. Свободное время рядом:",
      failed: "Не удалось записаться. Попробуйте ещё раз.", zone: "Время — по вашему часовому поясу (%s)." },
    en: { title: "Pick a time for a meeting", date: "Date", none: "No free time on this day — pick another date.",
      booked: "Meeting booked: %s. The invitation is on its way to your e-mail.", taken: "This time has just been taken. Free times nearby:",
      failed: "Could not book. Please try again.", zone: "Times are in your time zone (%s)." }
  }[lang];

  function bookingStep(container, booking, submissionId) {
    var box = el("section", { class: "fl-booking", "aria-labelledby": uid + "-bk" });
    var date = el("input", { class: "fl-input", type: "date", id: uid + "-bk-date" });
    var list = el("div", { class: "fl-slots", role: "group", "aria-labelledby": uid + "-bk" });
    var note = el("p", { class: "fl-status", role: "status", "aria-live": "polite" });
    var zoneName = "";
    try { zoneName = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zoneName = ""; }
    var zone = el("p", { class: "fl-zone", text: zoneName ? BOOKING_TEXT.zone.replace("%s", zoneName) : "" });
    box.appendChild(el("h3", { class: "fl-title", id: uid + "-bk", text: BOOKING_TEXT.title }));
    box.appendChild(el("label", { class: "fl-label", for: uid + "-bk-date", text: BOOKING_TEXT.date }));
    [date, list, zone, note].forEach(function (node) { box.appendChild(node); });
    container.appendChild(box);
    function when(iso) {
      return new Date(iso).toLocaleString(lang === "en" ? "en-GB" : "ru-RU", { dateStyle: "medium", timeStyle: "short" });
    }
    function show(slots) {
      list.textContent = "";
      slots.forEach(function (slot) {
        var time = new Date(slot.start).toLocaleTimeString(lang === "en" ? "en-GB" : "ru-RU", { hour: "2-digit", minute: "2-digit" });
        var button = el("button", { type: "button", class: "fl-slot", "data-start": slot.start, text: time });
        button.addEventListener("click", function () { book(slot.start); });
        list.appendChild(button);
      });
    }
    var latest = 0; // only the answer to the newest request is shown: the first load may land after a date pick
    function load(day) {
      var ticket = ++latest;
      fetch(booking.slots_url + (day ? "?date=" + day : ""), { mode: "cors", credentials: "omit" }).then(getJSON).then(function (data) {
        if (ticket !== latest) return;
        if (data.date && !date.value) date.value = data.date;
        list.setAttribute("data-date", data.date || day);
        show(data.slots || []);
        note.textContent = (data.slots || []).length ? "" : (data.error && data.error.message) || BOOKING_TEXT.none;
      }, function () { note.textContent = BOOKING_TEXT.failed; });
    }
    function book(start) {
      var options = { method: "POST", mode: "cors", credentials: "omit", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ submission_id: submissionId, start: start, lang: lang }) };
      fetch(booking.book_url, options).then(function (response) {
        return getJSON(response).then(function (data) {
          var error = data.error || {};
          if (response.ok) {
            list.textContent = "";
            zone.textContent = "";
            date.disabled = true;
            note.className = "fl-status fl-done";
            note.textContent = BOOKING_TEXT.booked.replace("%s", when(data.start));
          } else if (response.status === 409 && error.next_slots) {
            note.textContent = BOOKING_TEXT.taken;
            show(error.next_slots);
          } else {
            note.textContent = error.message || BOOKING_TEXT.failed;
          }
        });
      }, function () { note.textContent = BOOKING_TEXT.failed; });
    }
    date.addEventListener("change", function () { load(date.value); });
    load("");
  }
  // --- end of the meeting booking step -----------------------------------------------------

  // ==== Web chat (apps/messaging/webchat_api.py) — only with data-chat on the script tag ====
  // The visitor's token is kept in localStorage, so the conversation survives page loads;
  // operator replies are fetched every CHAT_POLL_MS while the page is visible.
  var CHAT_POLL_MS = 5000;
  var CHAT_TEXT = {
    ru: { title: "Чат с нами", placeholder: "Ваш вопрос…", send: "Отправить", failed: "Не удалось отправить. Попробуйте ещё раз.", you: "Вы", them: "Менеджер" },
    en: { title: "Chat with us", placeholder: "Your question…", send: "Send", failed: "Could not send. Please try again.", you: "You", them: "Agent" }
  }[lang];
  var CHAT_CSS =
    ".fl-chat{margin-top:1em}.fl-chat-log{list-style:none;margin:0 0 .75rem;padding:0;max-height:18rem;overflow-y:auto;display:grid;gap:.4rem}" +
    ".fl-chat-log li{margin:0;padding:.45rem .7rem;border-radius:.6rem;background:#f2f4f7;max-width:85%;overflow-wrap:anywhere}" +
    ".fl-chat-log li.fl-from-visitor{justify-self:end;background:#eff4ff}" +
    ".fl-chat-log small{display:block;color:#667085;font-size:.75rem}";

  function startChat(mounted) {
    var storeKey = "fastlead-chat:" + key;
    var token = "";
    try { token = window.localStorage.getItem(storeKey) || ""; } catch (e) { token = ""; }
    var lastId = 0;
    mounted.root.appendChild(el("style", { text: CHAT_CSS }));
    var log = el("ol", { class: "fl-chat-log", "aria-live": "polite" });
    var input = el("textarea", { class: "fl-input", rows: "2", maxlength: "2000", "aria-label": CHAT_TEXT.placeholder, placeholder: CHAT_TEXT.placeholder });
    var alertBox = el("p", { class: "fl-alert", role: "alert" });
    var button = el("button", { type: "submit", class: "fl-submit", text: CHAT_TEXT.send });
    var form = el("form", { class: "fl-chat-form", novalidate: "novalidate" }, [input, alertBox, button]);
    var box = el("section", { class: "fl-widget fl-chat", lang: lang, "aria-label": CHAT_TEXT.title }, [
      el("h2", { class: "fl-title", text: CHAT_TEXT.title }), log, form
    ]);
    mounted.root.appendChild(box);

    function show(messages) {
      (messages || []).forEach(function (m) {
        if (m.id <= lastId) return;
        lastId = m.id;
        log.appendChild(el("li", { class: "fl-from-" + m.from, "data-id": String(m.id) }, [
          el("small", { text: m.from === "visitor" ? CHAT_TEXT.you : CHAT_TEXT.them }), m.text
        ]));
      });
      log.scrollTop = log.scrollHeight;
    }
    function remember(newToken) {
      if (!newToken || newToken === token) return;
      token = newToken;
      try { window.localStorage.setItem(storeKey, token); } catch (e) { /* private mode */ }
    }
    function chatUrl() {
      return base + "chat/?after=" + lastId + (token ? "&token=" + encodeURIComponent(token) : "");
    }
    function poll() {
      if (token && !document.hidden) {
        fetch(chatUrl(), { mode: "cors", credentials: "omit", headers: { Accept: "application/json" } })
          .then(getJSON).then(function (data) { show(data.messages); }, function () {});
      }
      window.setTimeout(poll, CHAT_POLL_MS);
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      button.disabled = true;
      alertBox.textContent = "";
      sendWithRetry(
        chatUrl(),
        {
          method: "POST", mode: "cors", credentials: "omit",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ text: text, token: token, client_id: submissionId(), page_url: window.location.href })
        },
        function () {},
        function (response, data) {
          button.disabled = false;
          if (response && response.ok) {
            remember(data.token);
            input.value = "";
            show(data.messages);
          } else {
            alertBox.textContent = (data && data.error && data.error.message) || CHAT_TEXT.failed;
          }
        }
      );
    });
    poll();
  }
  // ==== end of web chat ====

  /* --- 4. start-up ------------------------------------------------------------------------ */

  // For the site owner: what is wrong and how to fix it (the visitor sees a neutral message).
  function warnOrigin(error) {
    if (!window.console) return;
    console.error(
      "Fast Lead: this site (" + window.location.origin + ") is not allowed to use the widget " +
        "with key " + key + ". Add it to the allowed sites in the Fast Lead dashboard " +
        "(Widget → Sites allowed to send leads), or press Allow on the notice there; until " +
        "then the form is not shown." + (error && error.message ? " Server: " + error.message : "")
    );
  }

  var isPreview = script.getAttribute("data-preview") === "1";
  var previewOnly = false; // a draft shown in the preview: the form is not sent
  var draft = null;

  // The dashboard's editor posts {type: "fastlead:draft", config} to the preview page on every
  // change; only a parent page of the API's own origin is listened to.
  function listenForDrafts(mounted) {
    window.addEventListener("message", function (event) {
      var data = event.data || {};
      if (event.origin !== origin || event.source !== window.parent || data.type !== "fastlead:draft") return;
      draft = data.config;
      previewOnly = true;
      renderWidget(mounted, draft);
      mounted.host.setAttribute("data-draft", "1");
    });
  }

  function showNotice(mounted, text) {
    mounted.box.appendChild(el("p", { class: "fl-alert", role: "status", text: text }));
  }

  function start() {
    var mounted = mountHost();
    if (isPreview) listenForDrafts(mounted);
    mounted.host.setAttribute("aria-busy", "true");
    var version = script.getAttribute("data-v");
    sendWithRetry(
      base + "?lang=" + lang + (version ? "&v=" + encodeURIComponent(version) : ""),
      { mode: "cors", credentials: "omit", headers: { Accept: "application/json", "Accept-Language": lang } },
      function () {}, // still loading: the container stays busy
      function (response, config) {
        mounted.host.removeAttribute("aria-busy");
        var error = (config && config.error) || {};
        if (draft) return; // the editor's draft arrived first and stays shown
        if (response && response.ok) {
          renderWidget(mounted, config);
          if (script.hasAttribute("data-chat") && !isPreview) startChat(mounted);
        } else if (response && response.status === 403 && error.code === "origin_not_allowed") {
          warnOrigin(error);
          showNotice(mounted, TEXT.notHere);
        } else if (response && (response.status === 402 || response.status === 403)) {
          showNotice(mounted, TEXT.unavailable);
        } else if (response && response.status === 404) {
          if (mounted.host.getAttribute("data-fastlead-created") && mounted.host.parentNode) {
            mounted.host.parentNode.removeChild(mounted.host);
          }
          if (window.console) console.warn("Fast Lead: unknown or revoked widget key " + key + ".");
        } else {
          showNotice(mounted, TEXT.loadFailed);
        }
      }
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
