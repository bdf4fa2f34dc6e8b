// Assistant Marchés Publics — client JavaScript du pont local (API v1).
//
// Un seul module ES, sans étape de construction : une plateforme l'inclut tel quel
//   <script type="module">
//     import { AssistantClient, renderStatus } from "/js/assistant-client.js";
//     const client = new AssistantClient();
//     const found = await client.detect();
//     renderStatus(document.getElementById("etat-assistant"), found);
//     const job = await client.queueJob(descriptor);           // POST /v1/jobs -> 202
//     const final = await client.followJob(job.id, (event) => { ... });  // SSE
//   </script>
//
// Détection : https://127.0.0.1 sur le port par défaut puis les replis documentés
// (17443, 17453, 17463), puis http://127.0.0.1 sur le port HTTPS + 1 (navigateurs qui
// considèrent la boucle locale comme sûre). Voir docs/bridge.md.
//
// Sécurité : le client n'envoie que ce que la page lui donne ; l'assistant refuse toute
// origine que l'utilisateur n'a pas approuvée, et toute URL hors de l'origine de la page.

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

export class AssistantClient {
  /**
   * @param {object} [options]
   * @param {string[]} [options.urls]   adresses à essayer (par défaut : candidateUrls())
   * @param {number} [options.timeoutMs] délai par tentative de détection
   */
  constructor({ urls = null, ports = DEFAULT_PORTS, timeoutMs = 1500, http = true } = {}) {
    this.urls = urls || candidateUrls(ports, { http });
    this.timeoutMs = timeoutMs;
    this.baseUrl = null;
    this.status = null;
  }

  /**
   * Cherche l'assistant. Résultat :
   *   { online: true, approved: true, baseUrl, status }   prêt ;
   *   { online: true, approved: false, baseUrl }          lancé, mais cette plateforme n'est pas
   *                                                       encore autorisée (une demande est faite) ;
   *   { online: false }                                   hors ligne.
   */
  async detect() {
    let reachable = null;
    for (const url of this.urls) {
      const t = withTimeout(this.timeoutMs);
      try {
        const response = await fetch(`${url}/v1/status`, {
          mode: "cors", credentials: "omit", cache: "no-store", signal: t.signal,
        });
        const status = await response.json();
        if (response.ok && status && status.protocol_version === PROTOCOL_VERSION) {
          this.baseUrl = url;
          this.status = status;
          return { online: true, approved: status.origin_approved === true, baseUrl: url, status };
        }
      } catch (_) {
        // Lecture refusée (origine non approuvée) ou rien n'écoute : on distingue ci-dessous.
        if (!reachable) {
          try {
            await fetch(`${url}/v1/status`, { mode: "no-cors", credentials: "omit", cache: "no-store", signal: t.signal });
            reachable = url; // une réponse opaque : un serveur répond à cette adresse
          } catch (_) { /* rien ici */ }
        }
      } finally {
        t.done();
      }
    }
    if (reachable) {
      this.baseUrl = reachable;
      this.requestApproval().catch(() => {});
      return { online: true, approved: false, baseUrl: reachable };
    }
    return { online: false };
  }

  /** Fait afficher par l'assistant la demande d'autorisation de cette plateforme (une fois). */
  async requestApproval() {
    if (!this.baseUrl) throw new AssistantError("offline", "L'assistant n'est pas détecté.");
    try {
      await fetch(`${this.baseUrl}/v1/jobs`, { mode: "cors", credentials: "omit", cache: "no-store" });
    } catch (_) { /* refus attendu tant que l'utilisateur n'a pas répondu */ }
  }

  async _call(method, path, body) {
    if (!this.baseUrl) {
      const found = await this.detect();
      if (!found.online) throw new AssistantError("offline", "Etat de Mon Assistant Marchés Publics : Hors ligne");
    }
    const init = { method, mode: "cors", credentials: "omit", cache: "no-store", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, init);
    } catch (error) {
      throw new AssistantError(
        "unreachable",
        "L'assistant ne répond pas ou cette plateforme n'est pas encore autorisée : " +
          "acceptez la demande affichée par l'assistant, puis réessayez.",
      );
    }
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) {
      const d = data || {};
      throw new AssistantError(d.code || `http_${response.status}`, d.message || `Erreur ${response.status}`, {
        status: response.status, field: d.field || null, messageEn: d.message_en || "",
      });
    }
    return data;
  }

  /** Met un traitement en file (descripteur : voir docs/protocol.md) ; renvoie le traitement. */
  queueJob(descriptor) {
    return this._call("POST", "/v1/jobs", descriptor);
  }

  getJob(id) {
    return this._call("GET", `/v1/jobs/${encodeURIComponent(id)}`);
  }

  listJobs() {
    return this._call("GET", "/v1/jobs").then((d) => d.jobs);
  }

  cancelJob(id) {
    return this._call("POST", `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  diagnostics() {
    return this._call("GET", "/v1/diagnostics");
  }

  /**
   * Suit un traitement jusqu'à la fin par server-sent events ; `onEvent(kind, job)` reçoit
   * "snapshot", puis "state" / "progress" à chaque changement, puis "end". Si le flux est coupé,
   * le suivi continue en interrogeant GET /v1/jobs/{id}. Résout avec le traitement final.
   */
  followJob(id, onEvent = () => {}) {
    const url = `${this.baseUrl}/v1/jobs/${encodeURIComponent(id)}/events`;
    return new Promise((resolve, reject) => {
      let finished = false;
      const source = new EventSource(url);
      const finish = (job) => {
        if (finished) return;
        finished = true;
        source.close();
        resolve(job);
      };
      const handle = (kind) => (message) => {
        let job;
        try { job = JSON.parse(message.data); } catch (_) { return; }
        try { onEvent(kind, job); } catch (_) { /* l'affichage de la page ne doit pas casser le suivi */ }
        if (kind === "end" || TERMINAL_STATES.includes(job.state)) {
          if (kind === "end") finish(job);
        }
      };
      for (const kind of ["snapshot", "state", "progress", "end"]) source.addEventListener(kind, handle(kind));
      source.onerror = () => {
        if (finished) return;
        source.close();
        this._poll(id, onEvent).then((job) => { finished = true; resolve(job); }, reject);
      };
    });
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
 * Affiche l'état de l'assistant dans `element`, avec le vocabulaire des plateformes :
 * « Etat de Mon Assistant Marchés Publics : En ligne / Hors ligne », et, hors ligne, ce qu'il faut
 * installer et lancer.
 */
export function renderStatus(element, detection, { installLinks = DEFAULT_INSTALL_LINKS } = {}) {
  const doc = element.ownerDocument;
  element.textContent = "";
  const title = doc.createElement("p");
  title.className = "assistant-etat";
  const strong = doc.createElement("strong");
  const help = doc.createElement("div");
  help.className = "assistant-aide";
  if (detection.online && detection.approved) {
    element.dataset.state = "online";
    strong.textContent = "En ligne";
    help.textContent =
      "L'application Mon Assistant Marchés Publics est lancée sur votre poste, et est prête à l'utilisation.";
  } else if (detection.online) {
    element.dataset.state = "pending";
    strong.textContent = "En ligne (autorisation requise)";
    help.textContent =
      "L'application est lancée sur votre poste mais n'a pas encore autorisé cette plateforme : " +
      "acceptez la demande affichée par l'assistant (« " + (doc.defaultView ? doc.defaultView.location.origin : "") +
      " veut utiliser l'assistant »), puis rechargez la page.";
  } else {
    element.dataset.state = "offline";
    strong.textContent = "Hors ligne";
    const p = doc.createElement("p");
    p.textContent =
      "Cette fonctionnalité nécessite l'installation et l'exécution sur votre poste de l'application " +
      "Mon Assistant Marchés Publics. Selon votre cas :";
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
  title.append("Etat de Mon Assistant Marchés Publics : ", strong);
  element.append(title, help);
  return element;
}
