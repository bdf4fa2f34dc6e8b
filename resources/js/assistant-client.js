// Assistant Marchés Publics — client JavaScript du pont local (API v1).
//
// Un seul module ES, sans étape de construction : une plateforme l'inclut tel quel
//   <script type="module">
//     import { AssistantClient, renderStatus } from "/js/assistant-client.js";
//     const client = new AssistantClient();
//     const found = await client.detect();                      // l'assistant prouve son identité
//     renderStatus(document.getElementById("etat-assistant"), found, { client });
//       // pas encore connectée : bouton « Connecter l'assistant » puis code à 6 chiffres
//     const job = await client.queueJob(descriptor);           // POST /v1/jobs -> 202
//     const final = await client.followJob(job.id, (kind, job) => { ... });  // SSE
//   </script>
//
// Détection : https://127.0.0.1 sur le port par défaut puis les replis documentés
// (17443, 17453, 17463), puis http://127.0.0.1 sur le port HTTPS + 1 (navigateurs qui
// considèrent la boucle locale comme sûre). Voir docs/bridge.md.
//
// Sécurité : chaque appel porte la clé d'accès de la page (Authorization: Bearer), remise une
// seule fois quand l'utilisateur a autorisé la page dans l'assistant et saisi le code qu'il
// affiche ; la clé n'est envoyée qu'à un assistant qui a prouvé la détenir (un programme qui
// occupe le port ne reçoit rien). L'assistant refuse toute URL hors de l'origine de la page.

export const DEFAULT_PORTS = Object.freeze([17443, 17453, 17463]);
export const HTTP_PORT_OFFSET = 1;
export const PROTOCOL_VERSION = 1;
export const TERMINAL_STATES = Object.freeze(["succeeded", "failed", "cancelled"]);

const DEFAULT_INSTALL_LINKS = Object.freeze([
  { label: "Télécharger l'application Assistant Marchés Publics pour Windows", href: "#windows" },
  { label: "Télécharger l'application Assistant Marchés Publics pour macOS", href: "#macos" },
  { label: "Télécharger l'application Assistant Marchés Publics pour Linux", href: "#linux" },
]);

/** Une erreur de l'assistant : `code` stable, `message` en français, `field` éventuel. */
export class AssistantError extends Error {
  constructor(code, message, { status = 0, field = null, messageEn = "" } = {}) {
    super(message);
    this.name = "AssistantError";
    this.code = code;
    this.status = status;
    this.field = field;
    this.messageEn = messageEn;
  }
}

function withTimeout(ms) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  return { signal: controller.signal, done: () => clearTimeout(timer) };
}

/** Les adresses à essayer, dans l'ordre documenté. */
export function candidateUrls(ports = DEFAULT_PORTS, { http = true } = {}) {
  const urls = ports.map((port) => `https://127.0.0.1:${port}`);
  if (http) {
    for (const port of ports) urls.push(`http://127.0.0.1:${port + HTTP_PORT_OFFSET}`);
  }
  return urls;
}

const STORAGE_KEY = "assistant-marches-publics:acces";
const enc = new TextEncoder();

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function randomNonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function portOf(url) {
  const u = new URL(url);
  return Number(u.port || (u.protocol === "https:" ? 443 : 80));
}

/**
 * La preuve que l'assistant qui répond détient la clé de cette page (voir docs/bridge.md) :
 * HMAC-SHA256(SHA-256(clé), "amp-bridge-proof\n" origine "\n" port "\n" nonce "\n" empreinte).
 * Un programme qui occupe le port de l'assistant (un autre utilisateur du poste) ne peut pas la
 * produire : la page ne lui envoie alors ni sa clé ni aucun traitement.
 */
export async function expectedProof(key, origin, port, nonce, fingerprint) {
  const keyHash = await crypto.subtle.digest("SHA-256", enc.encode(key));
  const hmacKey = await crypto.subtle.importKey("raw", keyHash, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const message = `amp-bridge-proof\n${origin}\n${port}\n${nonce}\n${fingerprint}`;
  return hex(await crypto.subtle.sign("HMAC", hmacKey, enc.encode(message)));
}

function memoryStorage() {
  const data = new Map();
  return { getItem: (k) => (data.has(k) ? data.get(k) : null), setItem: (k, v) => data.set(k, String(v)), removeItem: (k) => data.delete(k) };
}

export class AssistantClient {
  /**
   * @param {object} [options]
   * @param {string[]} [options.urls]   adresses à essayer (par défaut : candidateUrls())
   * @param {number} [options.timeoutMs] délai par tentative de détection
   * @param {Storage} [options.storage] où garder la clé d'accès de la page (localStorage par défaut)
   */
  constructor({
    urls = null, ports = DEFAULT_PORTS, timeoutMs = 1500, http = true, storage = null, pull = null,
    onPermissionPrompt = null,
  } = {}) {
    this.urls = urls || candidateUrls(ports, { http });
    // Mode association (« pull ») : { base: "/api/pull" } sur l'origine de la plateforme.
    this.pull = pull;
    this.mode = "bridge";
    // Appelé avant la première requête vers l'assistant quand le navigateur va demander
    // l'autorisation d'accès au réseau local (Local Network Access) : la page l'explique.
    this.onPermissionPrompt = onPermissionPrompt;
    this.timeoutMs = timeoutMs;
    this.baseUrl = null;
    this.status = null;
    try {
      this.storage = storage || globalThis.localStorage || memoryStorage();
    } catch (_) {
      this.storage = memoryStorage(); // stockage interdit (navigation privée stricte)
    }
    this.access = this._loadAccess();
    this._onLost = new Set(); // watchStatus : un appel qui ne trouve plus l'assistant le dit aussitôt
  }

  _lost() {
    for (const listener of this._onLost) {
      try { listener(); } catch (_) { /* affichage seulement */ }
    }
  }

  _loadAccess() {
    try {
      const value = JSON.parse(this.storage.getItem(STORAGE_KEY) || "null");
      return value && typeof value.key === "string" ? value : null;
    } catch (_) {
      return null;
    }
  }

  _saveAccess(access) {
    this.access = access;
    if (access) this.storage.setItem(STORAGE_KEY, JSON.stringify(access));
    else this.storage.removeItem(STORAGE_KEY);
  }

  /** Les options de fetch vers l'assistant (boucle locale : Local Network Access de Chrome). */
  _init(extra = {}) {
    return { mode: "cors", credentials: "omit", cache: "no-store", targetAddressSpace: "loopback", ...extra };
  }

  /**
   * Cherche l'assistant de l'utilisateur. Résultat :
   *   { online: true, connected: true, baseUrl, status, fingerprint }  prêt ;
   *   { online: true, connected: false, candidates, foreign }          un assistant répond, mais cette
   *        page n'y est pas (ou plus) connectée : appeler connect(). `foreign` : un programme a
   *        répondu sans pouvoir prouver qu'il détient la clé de la page (un autre utilisateur du
   *        poste, ou un imposteur) : rien ne lui a été envoyé ;
   *   { online: false }                                                hors ligne.
   * `approved` est gardé pour compatibilité (= connected).
   */
  /**
   * L'autorisation du navigateur d'appeler la boucle locale depuis ce site (Local Network Access) :
   * "granted", "prompt" (le navigateur demandera), "denied" (refusée) ou "unknown" (navigateur qui
   * ne la connaît pas : Firefox < 147, Safari). Chrome 145+ : "loopback-network" ; Chrome 142-144 :
   * "local-network-access".
   */
  async loopbackPermission() {
    if (!globalThis.navigator || !navigator.permissions) return "unknown";
    for (const name of ["loopback-network", "local-network-access"]) {
      try {
        return (await navigator.permissions.query({ name })).state;
      } catch (_) { /* nom inconnu de ce navigateur */ }
    }
    return "unknown";
  }

  async detect() {
    const permission = await this.loopbackPermission();
    if (permission === "denied") {
      // Refusée par l'utilisateur ou par une stratégie : rien ne partira vers 127.0.0.1.
      return { online: false, blocked: true, permission };
    }
    if (permission === "prompt" && this.onPermissionPrompt && !this._promptExplained) {
      this._promptExplained = true; // une fois : la question du navigateur ne vient qu'une fois
      try { this.onPermissionPrompt(); } catch (_) { /* affichage seulement */ }
    }
    const found = await this._probe();
    if (!found.online) {
      const after = await this.loopbackPermission();
      if (after === "denied") return { online: false, blocked: true, permission: after };
      return { online: false, permission: after };
    }
    return { ...found, permission };
  }

  async _probe() {
    const candidates = [];
    const foreign = [];
    const remembered = this.access && this.access.baseUrl;
    const order = remembered && this.urls.includes(remembered)
      ? [remembered, ...this.urls.filter((u) => u !== remembered)] : this.urls;
    for (const url of order) {
      const t = withTimeout(this.timeoutMs);
      try {
        const nonce = randomNonce();
        const keyId = this.access ? this.access.key.split("_")[1] : null;
        const query = keyId ? `?key=${encodeURIComponent(keyId)}&nonce=${nonce}` : "";
        let response;
        try {
          response = await fetch(`${url}/v1/status${query}`, this._init({ signal: t.signal }));
        } catch (_) {
          // Lecture refusée (origine non approuvée) ou rien n'écoute : on distingue.
          try {
            await fetch(`${url}/v1/status`, this._init({ mode: "no-cors", signal: t.signal }));
            candidates.push(url); // une réponse opaque : un serveur répond à cette adresse
          } catch (_) { /* rien ici */ }
          continue;
        }
        let status = null;
        try { status = await response.json(); } catch (_) { status = null; }
        if (!response.ok || !status || status.protocol_version !== PROTOCOL_VERSION) {
          if (this.access) foreign.push(url);
          continue;
        }
        if (this.access && status.identity) {
          const proof = await expectedProof(this.access.key, location.origin, portOf(url), nonce,
            status.identity.ca_fingerprint_sha256 || "");
          if (proof === status.identity.proof) {
            this.baseUrl = url;
            this.status = status;
            const fingerprint = status.identity.ca_fingerprint_sha256 || "";
            if (this.access.baseUrl !== url || this.access.fingerprint !== fingerprint) {
              this._saveAccess({ ...this.access, baseUrl: url, fingerprint });
            }
            return { online: true, connected: true, approved: true, baseUrl: url, status, fingerprint };
          }
        }
        if (this.access) foreign.push(url);
        candidates.push(url);
      } finally {
        t.done();
      }
    }
    if (candidates.length || foreign.length) {
      return { online: true, connected: false, approved: false, candidates, foreign: foreign.length > 0 };
    }
    return { online: false };
  }

  /**
   * Connecte cette page à l'assistant de l'utilisateur (une fois par navigateur) : l'assistant
   * affiche « <plateforme> veut utiliser l'assistant » avec un code à 6 chiffres ; l'utilisateur
   * clique sur « Autoriser » et saisit le code dans la page. Renvoie { submit(code) } ; submit
   * résout quand la page est connectée. Si plusieurs assistants répondent (poste partagé), chacun
   * reçoit la demande : seul celui de l'utilisateur affiche le code qu'il saisit.
   */
  async connect() {
    const found = await this.detect();
    if (found.connected) return { connected: true, submit: async () => found };
    if (!found.online) throw new AssistantError("offline", "Etat de l'Assistant Marchés Publics : Hors ligne");
    const claims = [];
    let lastError = null;
    for (const url of found.candidates) {
      try {
        const response = await fetch(`${url}/v1/access`, this._init({ method: "POST" }));
        const data = await response.json().catch(() => ({}));
        if (response.status === 202 && data.claim) claims.push({ url, claim: data.claim, until: Date.now() + data.expires_in * 1000 });
        else lastError = new AssistantError(data.code || `http_${response.status}`, data.message || "Connexion refusée.", { status: response.status });
      } catch (_) { /* cet assistant ne répond plus */ }
    }
    if (!claims.length) {
      throw lastError || new AssistantError("unreachable", "L'assistant ne répond pas : relancez-le, puis réessayez.");
    }
    const submit = async (code) => {
      code = String(code).replace(/\s+/g, "");
      if (!/^\d{6}$/.test(code)) throw new AssistantError("access_code_format", "Le code compte 6 chiffres.");
      let refused = null;
      for (;;) {
        let pending = false;
        for (const c of claims.slice()) {
          let response, data;
          try {
            response = await fetch(`${c.url}/v1/access/${c.claim}`, this._init({
              method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }),
            }));
            data = await response.json().catch(() => ({}));
          } catch (_) { continue; }
          if (response.status === 200 && data.key) {
            this._saveAccess({ key: data.key, baseUrl: c.url, fingerprint: data.ca_fingerprint_sha256 || "" });
            const done = await this.detect();
            if (done.connected) return done;
            throw new AssistantError("identity", "L'assistant n'a pas pu prouver son identité.");
          }
          if (response.status === 202) { pending = true; continue; }
          refused = new AssistantError(data.code || `http_${response.status}`, data.message || "Connexion refusée.", { status: response.status });
          if (data.code !== "access_code_wrong") claims.splice(claims.indexOf(c), 1);
        }
        if (!pending || !claims.some((c) => Date.now() < c.until)) {
          throw refused || new AssistantError("access_expired", "La demande de connexion a expiré : recommencez.");
        }
        await new Promise((r) => setTimeout(r, 1000)); // l'utilisateur n'a pas encore cliqué sur « Autoriser »
      }
    };
    return { connected: false, submit };
  }

  // -- mode association (pull) : l'assistant interroge la plateforme, sans pont local ----------

  async _pullFetch(path, init = {}) {
    if (!this.pull) throw new AssistantError("pull_unavailable", "Cette plateforme ne propose pas l'association du poste.");
    const response = await fetch(`${this.pull.base}${path}`, { credentials: "same-origin", cache: "no-store", ...init });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      throw new AssistantError((data && data.code) || `http_${response.status}`,
        (data && (data.message || data.error)) || `Erreur ${response.status}`, { status: response.status });
    }
    return data;
  }

  /** { available, paired } : ce poste est-il associé à la plateforme (mode pull) ? */
  async pullStatus() {
    if (!this.pull) return { available: false, paired: false };
    const data = await this._pullFetch("/status");
    return { available: true, paired: Boolean(data && data.paired) };
  }

  /** Un code d'association et la commande à lancer sur le poste (assistant bridge pair …). */
  pullCode() {
    return this._pullFetch("/code", { method: "POST" });
  }

  /** Passe en mode association : les traitements sont déposés sur la plateforme, l'assistant les prend. */
  usePull() {
    this.mode = "pull";
  }

  /** Oublie la clé d'accès de cette page (la connexion sera redemandée). */
  disconnect() {
    this._saveAccess(null);
    this.baseUrl = null;
  }

  async _ready() {
    if (this.baseUrl && this.access) return;
    const found = await this.detect();
    if (!found.online) throw new AssistantError("offline", "Etat de l'Assistant Marchés Publics : Hors ligne");
    if (!found.connected) {
      throw new AssistantError("not_connected",
        "Cette page n'est pas connectée à l'assistant : cliquez sur « Connecter l'assistant ».");
    }
  }

  _headers(extra = {}) {
    return { Authorization: `Bearer ${this.access.key}`, ...extra };
  }

  async _call(method, path, body) {
    await this._ready();
    const init = this._init({ method, headers: this._headers() });
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, init);
    } catch (error) {
      this.baseUrl = null; // plus de pont à cette adresse : la prochaine requête le cherchera
      this._lost();
      throw new AssistantError(
        "unreachable",
        "L'assistant ne répond pas ou cette plateforme n'est pas autorisée : reconnectez la page, puis réessayez.",
      );
    }
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) {
      const d = data || {};
      if (response.status === 401) this.disconnect(); // clé retirée par l'utilisateur : reconnecter
      throw new AssistantError(d.code || `http_${response.status}`, d.message || `Erreur ${response.status}`, {
        status: response.status, field: d.field || null, messageEn: d.message_en || "",
      });
    }
    return data;
  }

  /** Met un traitement en file (descripteur : voir docs/protocol.md) ; renvoie le traitement. */
  async queueJob(descriptor) {
    if (this.mode === "pull") {
      const queued = await this._pullFetch("/jobs", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(descriptor),
      });
      return { id: queued.id, type: descriptor.type, state: "queued", mode: "pull",
        title: "Traitement déposé : l'assistant du poste associé va le prendre en charge", progress: {} };
    }
    return this._call("POST", "/v1/jobs", descriptor);
  }

  getJob(id) {
    return this._call("GET", `/v1/jobs/${encodeURIComponent(id)}`);
  }

  listJobs() {
    return this._call("GET", "/v1/jobs").then((d) => d.jobs);
  }

  cancelJob(id) {
    if (this.mode === "pull") {
      return Promise.reject(new AssistantError("pull_cancel", "En mode association, annulez le traitement dans l'assistant."));
    }
    return this._call("POST", `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  diagnostics() {
    return this._call("GET", "/v1/diagnostics");
  }

  /**
   * Suit un traitement jusqu'à la fin par server-sent events (lus avec fetch, qui porte la clé
   * d'accès, ce qu'EventSource ne sait pas faire) ; `onEvent(kind, job)` reçoit "snapshot", puis
   * "state" / "progress" à chaque changement, puis "end". Si le flux est coupé, le suivi continue
   * en interrogeant GET /v1/jobs/{id}. Résout avec le traitement final.
   */
  async followJob(id, onEvent = () => {}) {
    if (this.mode === "pull") return this._followPulled(id, onEvent);
    await this._ready();
    const notify = (kind, job) => {
      try { onEvent(kind, job); } catch (_) { /* l'affichage de la page ne doit pas casser le suivi */ }
    };
    try {
      const response = await fetch(`${this.baseUrl}/v1/jobs/${encodeURIComponent(id)}/events`,
        this._init({ headers: this._headers({ Accept: "text/event-stream" }) }));
      if (!response.ok || !response.body) throw new Error(`events ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let kind = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) kind = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (!data.length) continue;
          let job;
          try { job = JSON.parse(data.join("\n")); } catch (_) { continue; }
          notify(kind, job);
          if (kind === "end") {
            reader.cancel().catch(() => {});
            return job;
          }
        }
      }
    } catch (_) { /* flux coupé : on continue en interrogeant */ }
    return this._poll(id, onEvent);
  }

  async _followPulled(id, onEvent) {
    for (;;) {
      const data = await this._pullFetch(`/jobs/${encodeURIComponent(id)}`);
      const job = { ...(data.job || {}), id: (data.job && data.job.id) || id };
      try { onEvent("state", job); } catch (_) { /* l'affichage de la page ne doit pas casser le suivi */ }
      if (TERMINAL_STATES.includes(job.state) || job.state === "refused") return job;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async _poll(id, onEvent) {
    for (;;) {
      const job = await this.getJob(id);
      try { onEvent("state", job); } catch (_) { /* idem */ }
      if (TERMINAL_STATES.includes(job.state)) return job;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/**
 * Le formulaire « Connecter l'assistant » : prévient l'utilisateur de la question que l'assistant
 * va afficher, puis lui demande le code à 6 chiffres qu'elle indique.
 */
export function connectForm(doc, client, onDone) {
  const box = doc.createElement("div");
  box.className = "assistant-connexion";
  const button = doc.createElement("button");
  button.type = "button";
  button.className = "assistant-connecter";
  button.textContent = "Connecter l'assistant";
  const info = doc.createElement("p");
  info.className = "assistant-info";
  box.append(button, info);
  button.addEventListener("click", async () => {
    button.disabled = true;
    info.textContent = "L'assistant va afficher « " + doc.defaultView.location.origin + " veut utiliser " +
      "l'assistant » avec un code à 6 chiffres : cliquez sur « Autoriser » puis saisissez ce code ici.";
    let pairing;
    try {
      pairing = await client.connect();
    } catch (error) {
      info.textContent = error.message;
      button.disabled = false;
      return;
    }
    const form = doc.createElement("form");
    const label = doc.createElement("label");
    label.textContent = "Code affiché par l'assistant : ";
    const input = doc.createElement("input");
    input.name = "code";
    input.inputMode = "numeric";
    input.autocomplete = "off";
    input.maxLength = 7;
    label.appendChild(input);
    const submit = doc.createElement("button");
    submit.type = "submit";
    submit.textContent = "Valider";
    form.append(label, submit);
    box.appendChild(form);
    input.focus();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        onDone(await pairing.submit(input.value));
      } catch (error) {
        info.textContent = error.message;
        submit.disabled = false;
        if (error.code !== "access_code_wrong" && error.code !== "access_code_format") {
          form.remove();
          button.disabled = false;
        }
      }
    });
  });
  return box;
}

/** Le texte qui prévient l'utilisateur de la question du navigateur (Local Network Access). */
export const PERMISSION_PROMPT_TEXT =
  "Votre navigateur va peut-être vous demander d'autoriser ce site à « accéder aux appareils et " +
  "applications de votre réseau local » : acceptez, c'est ainsi que la page joint l'assistant installé " +
  "sur votre poste (il n'écoute que sur votre ordinateur).";

/**
 * Le formulaire « Associer ce poste » (mode pull) : un code et la commande à lancer, puis attend
 * que l'assistant se soit associé. `onPaired()` est appelé ensuite.
 */
export function pairingForm(doc, client, onPaired) {
  const box = doc.createElement("div");
  box.className = "assistant-association";
  const button = doc.createElement("button");
  button.type = "button";
  button.className = "assistant-associer";
  button.textContent = "Associer ce poste";
  const info = doc.createElement("p");
  info.className = "assistant-info";
  box.append(button, info);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const code = await client.pullCode();
      info.textContent = `Sur votre poste, lancez : ${code.command}`;
      box.dataset.code = code.code;
      for (;;) {
        const status = await client.pullStatus();
        if (status.paired) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      client.usePull();
      onPaired();
    } catch (error) {
      info.textContent = error.message;
      button.disabled = false;
    }
  });
  return box;
}

/**
 * Affiche l'état de l'assistant dans `element`, avec le vocabulaire des plateformes :
 * « Etat de l'Assistant Marchés Publics : En ligne / Hors ligne », et, hors ligne, ce qu'il faut
 * installer et lancer.
 */
export function renderStatus(element, detection, { installLinks = DEFAULT_INSTALL_LINKS, client = null, onConnected = null } = {}) {
  const doc = element.ownerDocument;
  element.textContent = "";
  const title = doc.createElement("p");
  title.className = "assistant-etat";
  const strong = doc.createElement("strong");
  const help = doc.createElement("div");
  help.className = "assistant-aide";
  if (detection.online && (detection.connected || detection.approved)) {
    element.dataset.state = "online";
    strong.textContent = "En ligne";
    help.textContent =
      "L'application Assistant Marchés Publics est lancée sur votre poste, et est prête à l'utilisation.";
  } else if (detection.mode === "pull") {
    element.dataset.state = "pull";
    strong.textContent = "En ligne (association du poste)";
    help.textContent =
      "Votre navigateur ne joint pas l'assistant directement : les traitements sont déposés sur la " +
      "plateforme et l'assistant de votre poste associé les prend en charge.";
  } else if (detection.blocked) {
    element.dataset.state = "blocked";
    strong.textContent = "Accès refusé par le navigateur";
    help.textContent =
      "Votre navigateur a refusé à ce site l'accès aux applications de votre appareil (« accès au réseau " +
      "local ») : l'assistant, même lancé, ne peut pas être joint depuis cette page. Autorisez-le dans les " +
      "paramètres du site (icône à gauche de l'adresse), demandez à votre service informatique la stratégie " +
      "indiquée par le test de configuration, ou associez ce poste à la plateforme.";
  } else if (detection.online) {
    element.dataset.state = "pending";
    strong.textContent = "En ligne (connexion requise)";
    const p = doc.createElement("p");
    p.textContent = detection.foreign
      ? "Un programme répond à l'adresse de l'assistant mais n'a pas pu prouver qu'il s'agit de votre " +
        "assistant (un autre utilisateur de ce poste, ou un programme qui s'en fait passer pour lui) : " +
        "rien ne lui a été envoyé. Si vous avez réinstallé l'assistant, connectez de nouveau cette page."
      : "L'application est lancée sur votre poste ; connectez-y cette page (une seule fois pour ce navigateur).";
    help.appendChild(p);
    if (client) help.appendChild(connectForm(doc, client, (done) => {
      renderStatus(element, done, { installLinks, client, onConnected });
      if (onConnected) onConnected(done);
    }));
  } else {
    element.dataset.state = "offline";
    strong.textContent = "Hors ligne";
    const p = doc.createElement("p");
    p.textContent =
      "Cette fonctionnalité nécessite l'installation et l'exécution sur votre poste de l'application " +
      "Assistant Marchés Publics. Selon votre cas :";
    help.appendChild(p);
    const cases = doc.createElement("ul");
    const c1 = doc.createElement("li");
    c1.textContent = "Cas 1 : vous n'avez pas encore téléchargé l'application — téléchargez-la et installez-la :";
    const links = doc.createElement("ul");
    for (const link of installLinks) {
      const li = doc.createElement("li");
      const a = doc.createElement("a");
      a.href = link.href;
      a.textContent = link.label;
      li.appendChild(a);
      links.appendChild(li);
    }
    c1.appendChild(links);
    const c2 = doc.createElement("li");
    c2.textContent =
      "Cas 2 : l'application est déjà installée — lancez « Assistant Marchés Publics » depuis le menu " +
      "de votre poste, puis rechargez cette page. Si l'état reste « Hors ligne », votre navigateur bloque " +
      "peut-être l'accès à l'assistant local : utilisez l'association du poste (voir l'aide de la plateforme).";
    cases.appendChild(c1);
    cases.appendChild(c2);
    help.appendChild(cases);
  }
  title.append("Etat de l'Assistant Marchés Publics : ", strong);
  element.append(title, help);
  return element;
}

/** L'état affiché par renderStatus pour une détection : "online", "pull", "blocked", "pending" ou "offline". */
export function statusState(detection) {
  if (detection.online && (detection.connected || detection.approved)) return "online";
  if (detection.mode === "pull") return "pull";
  if (detection.blocked) return "blocked";
  if (detection.online) return "pending";
  return "offline";
}

/**
 * Garde le badge de `element` à jour : relance la détection toutes les `intervalMs` (5 s) tant que
 * la page est visible, aussitôt quand elle redevient visible, reprend le focus ou retrouve le réseau,
 * et espace les vérifications (jusqu'à `hiddenMaxMs`, 60 s) quand elle est cachée. Un appel de la
 * page qui ne joint plus l'assistant fait revérifier immédiatement. Le badge n'est redessiné que si
 * l'état change (un formulaire de connexion en cours de saisie n'est pas effacé).
 *
 * Pas de nouvelle question du navigateur : quand l'accès au réseau local est refusé ("denied"),
 * detect() n'envoie rien et la surveillance n'interroge plus que l'autorisation, à chaque retour
 * sur la page ; tant que le navigateur n'a pas encore répondu ("prompt"), rien n'est relancé
 * automatiquement (seul le retour sur la page relance, comme un rechargement).
 *
 * Options : celles de renderStatus, plus `client` (obligatoire), `detect` (async () => détection ;
 * par défaut client.detect()), `render` (element, détection) (par défaut renderStatus), `onChange`
 * (détection, ancien état). Renvoie { ready, refresh(), stop(), get state() } (ready : la première
 * vérification faite).
 */
export function watchStatus(element, options = {}) {
  const {
    client, intervalMs = 5000, hiddenMaxMs = 60000, detect = null, render = null, onChange = null, ...renderOptions
  } = options;
  if (!client) throw new AssistantError("watch_client", "watchStatus demande le client de l'assistant.");
  const doc = element.ownerDocument;
  const win = doc.defaultView || globalThis;
  let state = null;
  let timer = null;
  let running = null;
  let again = false;
  let stopped = false;
  let hiddenDelay = intervalMs;
  let automatic = true; // false : autorisation refusée ou pas encore donnée

  const draw = render || ((el, found) => renderStatus(el, found, { ...renderOptions, client }));
  const schedule = () => {
    clearTimeout(timer);
    timer = null;
    if (stopped || !automatic) return;
    let delay = intervalMs;
    if (doc.hidden) {
      hiddenDelay = Math.min(hiddenDelay * 2, hiddenMaxMs);
      delay = hiddenDelay;
    } else {
      hiddenDelay = intervalMs;
    }
    timer = setTimeout(refresh, delay);
  };
  async function refresh() {
    if (stopped) return state;
    if (running) { again = true; return running; } // une vérification à la fois, jamais en rafale
    running = (async () => {
      let found;
      try {
        found = detect ? await detect() : await client.detect();
      } catch (_) {
        found = { online: false };
      }
      const next = statusState(found);
      // Refusée : detect() n'envoie rien ; pas encore répondue (hors page servie en boucle locale,
      // qui n'est pas concernée) : relancer reposerait la question du navigateur.
      const local = ["127.0.0.1", "localhost", "[::1]"].includes(win.location ? win.location.hostname : "");
      automatic = !(found.blocked || (found.permission === "prompt" && !found.online && !local));
      if (next !== state && !stopped) {
        const previous = state;
        state = next;
        draw(element, found);
        if (onChange) {
          try { onChange(found, previous); } catch (_) { /* affichage seulement */ }
        }
      }
      return state;
    })();
    try {
      return await running;
    } finally {
      running = null;
      if (again && !stopped) { again = false; refresh(); } else schedule();
    }
  }
  const wake = () => {
    if (doc.hidden) return;
    automatic = true;
    refresh();
  };
  const onVisibility = () => (doc.hidden ? schedule() : wake());
  doc.addEventListener("visibilitychange", onVisibility);
  win.addEventListener("focus", wake);
  win.addEventListener("online", wake);
  const lost = () => refresh();
  if (client._onLost) client._onLost.add(lost);
  const ready = refresh();
  return {
    ready, // la première vérification
    refresh,
    stop() {
      stopped = true;
      clearTimeout(timer);
      doc.removeEventListener("visibilitychange", onVisibility);
      win.removeEventListener("focus", wake);
      win.removeEventListener("online", wake);
      if (client._onLost) client._onLost.delete(lost);
    },
    get state() { return state; },
  };
}
