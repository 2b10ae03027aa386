/*!
 * Fast Lead embeddable lead form. No dependencies.
 *
 *   <script src="https://app.example/static/widget/fastlead.js" data-key="pk_…" async></script>
 *
 * Optional attributes on the script tag:
 *   data-target="#selector"  render into this element instead of right after the script;
 *   data-lang="en" | "ru"    override the language (default: the page's <html lang>, else ru);
 *   data-chat                also show the web chat (operators answer from the lead page).
 * The API origin is the script's own origin; styles are injected once (classes start "fl-").
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
      policy: "Политика обработки персональных данных"
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
      policy: "Privacy policy"
    }
  }[lang];

  var CSS =
    ".fl-widget{box-sizing:border-box;max-width:32rem;width:100%;margin:1rem 0;padding:1.25rem;" +
    "border:1px solid #d0d5dd;border-radius:.75rem;background:#fff;color:var(--fl-text,#1d2939);" +
    "font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;text-align:left}" +
    ".fl-widget *,.fl-widget *::before,.fl-widget *::after{box-sizing:border-box}" +
    ".fl-title{margin:0 0 .75rem;font-size:1.2rem;font-weight:600;line-height:1.3}" +
    ".fl-field{margin:0 0 .85rem}" +
    ".fl-label{display:block;margin:0 0 .3rem;font-size:.95rem;font-weight:500}" +
    ".fl-input{display:block;width:100%;min-height:2.75rem;margin:0;padding:.55rem .75rem;" +
    "border:1px solid #98a2b3;border-radius:.5rem;background:#fff;color:inherit;font:inherit}" +
    "textarea.fl-input{min-height:6rem;resize:vertical}" +
    ".fl-input:focus,.fl-check input:focus-visible,.fl-submit:focus-visible{outline:3px solid #84adff;outline-offset:1px}" +
    ".fl-input[aria-invalid=true]{border-color:#d92d20}" +
    ".fl-check{display:flex;gap:.6rem;align-items:flex-start;margin:0 0 .75rem;font-size:.9rem}" +
    ".fl-check input{flex:none;width:1.25rem;height:1.25rem;margin:.1rem 0 0}" +
    ".fl-error{margin:.3rem 0 0;color:#b42318;font-size:.875rem}" +
    ".fl-error:empty{display:none}" +
    ".fl-alert{margin:0 0 .85rem;padding:.65rem .8rem;border-radius:.5rem;background:#fef3f2;color:#b42318}" +
    ".fl-alert:empty{display:none}" +
    ".fl-status{margin:.75rem 0 0;padding:.55rem .8rem;border-radius:.5rem;background:#fffaeb;color:#93370d;font-size:.9rem}" +
    ".fl-status:empty{display:none}" +
    ".fl-thanks{margin:0;padding:.75rem .9rem;border-radius:.5rem;background:#ecfdf3;color:#05603a}" +
    ".fl-submit{display:inline-block;width:100%;min-height:2.9rem;padding:.6rem 1.25rem;border:0;" +
    "border-radius:.5rem;background:var(--fl-primary,#1570ef);color:#fff;font:inherit;font-weight:600;cursor:pointer}" +
    ".fl-submit[disabled]{opacity:.65;cursor:progress}" +
    ".fl-greeting{margin:0 0 .85rem}.fl-offline{margin:0 0 .85rem;padding:.55rem .8rem;border-radius:.5rem;background:#f2f4f7}" +
    ".fl-check a{color:var(--fl-primary,#1570ef)}" +
    ".fl-pos-bottom-right{margin-left:auto}.fl-pos-bottom-left{margin-right:auto}" +
    ".fl-hp{position:absolute!important;left:-10000px!important;width:1px;height:1px;overflow:hidden}" +
    // meeting booking step (apps/booking)
    ".fl-booking{margin:1rem 0 0}.fl-slots{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0 0}" +
    ".fl-slot{min-height:2.75rem;min-width:4.5rem;padding:.4rem .8rem;border:1px solid var(--fl-primary,#1570ef);" +
    "border-radius:.5rem;background:#fff;color:var(--fl-primary,#1570ef);font:inherit;cursor:pointer}" +
    "@media (min-width:480px){.fl-submit{width:auto}}";

  function injectStyle() {
    if (document.getElementById("fastlead-style")) return;
    var style = document.createElement("style");
    style.id = "fastlead-style";
    style.appendChild(document.createTextNode(CSS));
    (document.head || document.documentElement).appendChild(style);
  }

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

  function mount() {
    var target = script.getAttribute("data-target");
    var container = target ? document.querySelector(target) : null;
    if (!container) {
      container = el("div", { "data-fastlead-created": "1" });
      var parent = script.parentNode;
      if (!parent || parent === document.head || !document.body.contains(script)) {
        document.body.appendChild(container);
      } else {
        parent.insertBefore(container, script.nextSibling);
      }
    }
    container.classList.add("fl-widget");
    container.setAttribute("lang", lang);
    return container;
  }

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

  function render(container, config) {
    var honeypotName = config.honeypot_field || "hp_field";
    var consents = config.consents || {};
    var fields = config.fields || [];
    var oneOf = config.require_one_of || ["email", "phone"];
    var inputs = {};
    var errors = {};
    var texts = config.texts || {};
    var colors = config.colors || {};
    var submitText = texts.button || TEXT.submit;
    if (/^#[0-9a-fA-F]{6}$/.test(colors.primary || "")) container.style.setProperty("--fl-primary", colors.primary);
    if (/^#[0-9a-fA-F]{6}$/.test(colors.text || "")) container.style.setProperty("--fl-text", colors.text);
    container.classList.add(config.position === "bottom-left" ? "fl-pos-bottom-left" : "fl-pos-bottom-right");
    container.setAttribute("data-config-version", String(config.version || 0));

    var alertBox = el("div", { class: "fl-alert", role: "alert", "aria-live": "assertive" });
    var titleId = uid + "-title";
    var form = el("form", { class: "fl-form", novalidate: true, "aria-labelledby": titleId });
    form.appendChild(el("h2", { class: "fl-title", id: titleId, text: texts.title || TEXT.title }));
    if (texts.greeting) form.appendChild(el("p", { class: "fl-greeting", text: texts.greeting }));
    if (texts.offline) form.appendChild(el("p", { class: "fl-offline", role: "status", text: texts.offline }));
    form.appendChild(alertBox);

    function errorNode(name) {
      var node = el("p", { class: "fl-error", id: uid + "-" + name.replace(/\W/g, "-") + "-error" });
      errors[name] = node;
      return node;
    }

    fields.forEach(function (field) {
      var id = uid + "-" + field.name;
      var label = field.label || TEXT[field.name] || field.name;
      var attrs = {
        class: "fl-input",
        id: id,
        name: field.name,
        "aria-describedby": id + "-error"
      };
      if (field.name === "email") attrs.autocomplete = "email";
      if (field.name === "phone") attrs.autocomplete = "tel";
      if (field.name === "name") attrs.autocomplete = "name";
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
      inputs[field.name] = input;
      form.appendChild(
        el("div", { class: "fl-field" }, [
          el("label", { class: "fl-label", for: id, text: label }),
          input,
          errorNode(field.name)
        ])
      );
    });

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
      inputs["consents." + name] = box;
      var err = errorNode("consents." + name);
      err.id = id + "-error";
      form.appendChild(
        el("div", { class: "fl-field" }, [
          el("div", { class: "fl-check" }, [
            box,
            el("label", { for: id }, [
              consent.text || "",
              name === "processing" && /^https?:\/\//.test(config.policy_url || "") ? " " : null,
              name === "processing" && /^https?:\/\//.test(config.policy_url || "")
                ? el("a", { href: config.policy_url, target: "_blank", rel: "noopener", text: TEXT.policy })
                : null
            ])
          ]),
          err
        ])
      );
    });

    var hp = el("input", {
      type: "text",
      id: uid + "-hp",
      name: honeypotName,
      tabindex: "-1",
      autocomplete: "off"
    });
    form.appendChild(
      el("div", { class: "fl-hp", "aria-hidden": "true" }, [
        el("label", { for: uid + "-hp", text: TEXT.honeypot }),
        hp
      ])
    );

    var button = el("button", { type: "submit", class: "fl-submit", text: submitText });
    form.appendChild(button);
    var statusBox = el("p", { class: "fl-status", role: "status", "aria-live": "polite" });
    form.appendChild(statusBox);
    container.textContent = "";
    container.appendChild(form);

    function clearErrors() {
      alertBox.textContent = "";
      Object.keys(errors).forEach(function (name) {
        errors[name].textContent = "";
        if (inputs[name]) inputs[name].removeAttribute("aria-invalid");
      });
    }

    function showFieldErrors(fieldErrors) {
      var first = null;
      var unplaced = [];
      Object.keys(fieldErrors).forEach(function (name) {
        var messages = fieldErrors[name];
        var text = Array.isArray(messages) ? messages.join(" ") : String(messages);
        if (errors[name]) {
          errors[name].textContent = text;
          if (inputs[name]) {
            inputs[name].setAttribute("aria-invalid", "true");
            first = first || inputs[name];
          }
        } else {
          unplaced.push(text);
        }
      });
      alertBox.textContent = unplaced.length ? unplaced.join(" ") : TEXT.invalid;
      if (first) first.focus();
    }

    function localErrors() {
      var found = {};
      var contact = oneOf.some(function (name) {
        return inputs[name] && inputs[name].value.trim();
      });
      if (!contact) {
        oneOf.forEach(function (name) {
          if (inputs[name]) found[name] = [TEXT.oneOf];
        });
      }
      Object.keys(consents).forEach(function (name) {
        var box = inputs["consents." + name];
        if (consents[name].required && box && !box.checked) {
          found["consents." + name] = [TEXT.consentRequired];
        }
      });
      fields.forEach(function (field) {
        var input = inputs[field.name];
        if (field.required && input && !input.value.trim()) found[field.name] = [TEXT.requiredField];
      });
      return found;
    }

    function busy(on) {
      button.disabled = on;
      button.textContent = on ? TEXT.sending : submitText;
      form.setAttribute("aria-busy", on ? "true" : "false");
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors();
      var found = localErrors();
      if (Object.keys(found).length) {
        showFieldErrors(found);
        return;
      }
      var body = { consents: {}, page_url: window.location.href.slice(0, 2000) };
      fields.forEach(function (field) {
        if (inputs[field.name]) body[field.name] = inputs[field.name].value.trim();
      });
      Object.keys(consents).forEach(function (name) {
        var box = inputs["consents." + name];
        body.consents[name] = !!(box && box.checked);
      });
      var utm = utmParams();
      if (Object.keys(utm).length) body.utm = utm;
      body[honeypotName] = hp.value;
      // One id per press of "Send", repeated by the retries: the server stores it once.
      body.submission_id = submissionId();

      busy(true);
      sendWithRetry(
        base + "leads/",
        {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body)
        },
        function (seconds, attempt) {
          statusBox.setAttribute("data-attempt", String(attempt));
          statusBox.textContent = TEXT.retrying.replace("%s", seconds);
        },
        function (response, data) {
          busy(false);
          statusBox.textContent = "";
          var error = (data && data.error) || {};
          if (!response) {
            alertBox.textContent = TEXT.retry;
          } else if (response.ok) {
            var thanks = el("p", { class: "fl-thanks", role: "status", tabindex: "-1", text: texts.success || TEXT.thanks });
            container.textContent = "";
            container.appendChild(thanks);
            thanks.focus();
            if (config.booking && config.booking.enabled) bookingStep(container, config.booking, body.submission_id);
          } else if (response.status === 400 && error.fields && Object.keys(error.fields).length) {
            showFieldErrors(error.fields);
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
      );
    });
  }

  // --- meeting booking step (apps/booking): shown after a sent form when the company offers
  // meetings. Books for the lead just created: the form's submission_id names it. -----------
  var BOOKING_TEXT = {
    ru: { title: "Выберите время встречи", date: "Дата", none: "На этот день свободного времени нет — выберите другую дату.",
      booked: "Встреча назначена: %s. Приглашение придёт на e-mail.", taken: "Это время только что заняли. Свободное время рядом:",
      failed: "Не удалось записаться. Попробуйте ещё раз." },
    en: { title: "Pick a time for a meeting", date: "Date", none: "No free time on this day — pick another date.",
      booked: "Meeting booked: %s. The invitation is on its way to your e-mail.", taken: "This time has just been taken. Free times nearby:",
      failed: "Could not book. Please try again." }
  }[lang];

  function bookingStep(container, booking, submissionId) {
    var box = el("section", { class: "fl-booking", "aria-labelledby": uid + "-bk" });
    var date = el("input", { class: "fl-input", type: "date", id: uid + "-bk-date" });
    var list = el("div", { class: "fl-slots", role: "group", "aria-labelledby": uid + "-bk" });
    var note = el("p", { class: "fl-status", role: "status", "aria-live": "polite" });
    box.appendChild(el("h3", { class: "fl-title", id: uid + "-bk", text: BOOKING_TEXT.title }));
    box.appendChild(el("label", { class: "fl-label", for: uid + "-bk-date", text: BOOKING_TEXT.date }));
    [date, list, note].forEach(function (node) { box.appendChild(node); });
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
    function load(day) {
      fetch(booking.slots_url + (day ? "?date=" + day : ""), { mode: "cors", credentials: "omit" }).then(getJSON).then(function (data) {
        if (data.date && !date.value) date.value = data.date;
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
            date.disabled = true;
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

  // For the site owner: what is wrong and how to fix it (the visitor sees a neutral message).
  function warnOrigin(error) {
    if (!window.console) return;
    console.error(
      "Fast Lead: this site (" + window.location.origin + ") is not allowed to use the widget " +
        "with key " + key + ". Add it to the allowed sites in the Fast Lead dashboard " +
        "(Widget → Sites allowed to send leads); until then the form is not shown." +
        (error && error.message ? " Server: " + error.message : "")
    );
  }

  // ==== Web chat (apps/messaging/webchat_api.py) — only with data-chat on the script tag ====
  // The visitor's token is kept in localStorage, so the conversation survives page loads;
  // operator replies are fetched every CHAT_POLL_MS while the page is visible.
  var CHAT_POLL_MS = 5000;
  var CHAT_TEXT = {
    ru: { title: "Чат с нами", placeholder: "Ваш вопрос…", send: "Отправить", failed: "Не удалось отправить. Попробуйте ещё раз.", you: "Вы", them: "Менеджер" },
    en: { title: "Chat with us", placeholder: "Your question…", send: "Send", failed: "Could not send. Please try again.", you: "You", them: "Agent" }
  }[lang];
  var CHAT_CSS =
    ".fl-chat-log{list-style:none;margin:0 0 .75rem;padding:0;max-height:18rem;overflow-y:auto;display:grid;gap:.4rem}" +
    ".fl-chat-log li{margin:0;padding:.45rem .7rem;border-radius:.6rem;background:#f2f4f7;max-width:85%;overflow-wrap:anywhere}" +
    ".fl-chat-log li.fl-from-visitor{justify-self:end;background:#eff4ff}" +
    ".fl-chat-log small{display:block;color:#667085;font-size:.75rem}";

  function startChat(anchor) {
    var storeKey = "fastlead-chat:" + key;
    var token = "";
    try { token = window.localStorage.getItem(storeKey) || ""; } catch (e) { token = ""; }
    var lastId = 0;
    var style = el("style", { text: CHAT_CSS });
    (document.head || document.documentElement).appendChild(style);
    var log = el("ol", { class: "fl-chat-log", "aria-live": "polite" });
    var input = el("textarea", { class: "fl-input", rows: "2", maxlength: "2000", "aria-label": CHAT_TEXT.placeholder, placeholder: CHAT_TEXT.placeholder });
    var alertBox = el("p", { class: "fl-alert", role: "alert" });
    var button = el("button", { type: "submit", class: "fl-submit", text: CHAT_TEXT.send });
    var form = el("form", { class: "fl-chat-form", novalidate: "novalidate" }, [input, alertBox, button]);
    var box = el("section", { class: "fl-widget fl-chat", lang: lang, "aria-label": CHAT_TEXT.title }, [
      el("h2", { class: "fl-title", text: CHAT_TEXT.title }), log, form
    ]);
    anchor.parentNode.insertBefore(box, anchor.nextSibling);

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

  function start() {
    injectStyle();
    var container = mount();
    container.setAttribute("aria-busy", "true");
    sendWithRetry(
      base + "?lang=" + lang + (script.getAttribute("data-v") ? "&v=" + encodeURIComponent(script.getAttribute("data-v")) : ""),
      { mode: "cors", credentials: "omit", headers: { Accept: "application/json", "Accept-Language": lang } },
      function () {}, // still loading: the container stays busy
      function (response, config) {
        container.removeAttribute("aria-busy");
        var error = (config && config.error) || {};
        if (response && response.ok) {
          render(container, config);
          if (script.hasAttribute("data-chat")) startChat(container);
        } else if (response && response.status === 403 && error.code === "origin_not_allowed") {
          warnOrigin(error);
          container.appendChild(el("p", { class: "fl-alert", role: "status", text: TEXT.notHere }));
        } else if (response && (response.status === 402 || response.status === 403)) {
          container.appendChild(el("p", { class: "fl-alert", role: "status", text: TEXT.unavailable }));
        } else if (response && response.status === 404) {
          if (container.getAttribute("data-fastlead-created") && container.parentNode) {
            container.parentNode.removeChild(container);
          }
          if (window.console) console.warn("Fast Lead: unknown or revoked widget key " + key + ".");
        } else {
          container.appendChild(el("p", { class: "fl-alert", role: "status", text: TEXT.loadFailed }));
        }
      }
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
