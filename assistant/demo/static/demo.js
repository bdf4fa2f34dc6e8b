// Page de la plateforme de démonstration : met chaque type de traitement en file via le pont
// local de l'assistant (client JavaScript du pont) et affiche leur avancement.
import {
  AssistantClient, PERMISSION_PROMPT_TEXT, pairingForm, renderStatus, statusState, watchStatus,
} from "/js/assistant-client.js";

const params = new URLSearchParams(location.search);
const bridge = params.get("bridge"); // ex. ?bridge=https://127.0.0.1:17443 (tests, ports non standard)
const badge = () => document.getElementById("etat-assistant");
const client = new AssistantClient({
  ...(bridge ? { urls: [bridge] } : {}),
  pull: { base: "/api/pull" }, // l'association du poste quand le navigateur ne joint pas l'assistant
  onPermissionPrompt: () => { badge().textContent = PERMISSION_PROMPT_TEXT; },
});
const OPEN_STEPS = [
  "Récupération des fichiers",
  "Récupération de la clé privée dans votre magasin de certificats",
  "Déchiffrement",
  "Déchiffrement terminé",
];

function human(bytesPerSecond) {
  if (!bytesPerSecond) return "";
  const ko = bytesPerSecond / 1024;
  return ko < 1024 ? `${Math.round(ko)} Ko/seconde` : `${(ko / 1024).toFixed(1)} Mo/seconde`;
}

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function render(item, job) {
  item.className = job.state;
  item.querySelector(".etat-job").textContent = job.state_label || job.state;
  const p = job.progress || {};
  item.querySelector(".barre > div").style.width = `${p.percent ?? 0}%`;
  const parts = [];
  if (p.percent !== null && p.percent !== undefined) parts.push(`Avancement global : ${p.percent} %`);
  if (p.speed_bps) parts.push(`Vitesse de téléchargement : ${human(p.speed_bps)}`);
  if (p.label) parts.push(p.label);
  if (p.element) parts.push(`Élément en cours : ${p.element}`);
  item.querySelector(".details").textContent = parts.join(" — ");
  if (job.type === "open") {
    const list = item.querySelector(".etapes");
    list.replaceChildren();
    OPEN_STEPS.forEach((label, index) => {
      const number = index + 1;
      const text = number === 3 && p.step === 3 ? p.label : label;
      const li = el("li", {}, `${number} ${text}`);
      if (p.step > number || job.state === "succeeded") li.className = "fait";
      else if (p.step === number) li.className = "encours";
      list.append(li);
    });
  }
  const error = item.querySelector(".erreur");
  error.textContent = job.error ? job.error.message : "";
  if (job.result && job.state === "succeeded") {
    item.querySelector(".resultat").textContent = summary(job);
  }
}

function summary(job) {
  const r = job.result || {};
  switch (job.type) {
    case "download": return `${r.files} fichiers vérifiés (SHA-256), ${r.already_verified} déjà présents.`;
    case "open": return `${r.uploaded} enveloppe(s) déchiffrée(s) et transmise(s) à la plateforme.`;
    case "sign": return `${r.signed} fichier(s) signé(s), signatures transmises.`;
    case "verify": return (r.reports || []).map((x) => `${x.file} : ${x.ok ? "signature valide" : "à examiner"}`).join(" ; ");
    case "keygen": return `Bi-clé créé (${r.subject}), certificat public transmis.`;
    case "diagnose": return "Rapport de configuration disponible.";
    case "prepare": return `${r.files} fichier(s) à déposer, ${r.signed} signature(s) (fichiers des ZIP compris), ${(r.problems || []).length} problème(s) signalé(s)`
      + (r.estimate ? ` ; envoi estimé : ${Math.round(r.estimate.seconds)} s` : "")
      + (r.margin_seconds != null ? `, marge avant la date limite : ${Math.round(r.margin_seconds / 60)} min.` : ".");
    default: return "";
  }
}

async function queue(kind, query = "") {
  const list = document.getElementById("traitements");
  const item = el("li");
  item.append(el("span", { class: "etat-job" }, "…"), el("div", { class: "titre" }, "Préparation…"));
  const bar = el("div", { class: "barre" });
  bar.append(el("div"));
  item.append(bar, el("ol", { class: "etapes" }), el("div", { class: "details" }), el("div", { class: "resultat" }), el("div", { class: "erreur" }));
  list.prepend(item);
  try {
    const descriptor = await (await fetch(`/api/descriptors/${kind}${query ? "?" + query : ""}`)).json();
    const job = await client.queueJob(descriptor);
    item.querySelector(".titre").textContent = job.title;
    const cancel = el("button", { class: "secondaire" }, "Annuler");
    cancel.addEventListener("click", () => client.cancelJob(job.id).catch(() => {}));
    item.querySelector(".titre").append(" ", cancel);
    render(item, job);
    const final = await client.followJob(job.id, (_kind, current) => render(item, current));
    render(item, final);
    cancel.remove();
  } catch (error) {
    item.className = "failed";
    item.querySelector(".erreur").textContent = error.message || String(error);
  }
}

// The badge follows the assistant: checked again every 5 s while the page is visible (and at once
// on focus / visibility / network back), so "En ligne" becomes "Hors ligne" when it quits.
async function detectForBadge() {
  if (client.mode === "pull") return { online: false, mode: "pull" };
  const found = await client.detect();
  if (found.connected || (found.online && !found.blocked)) return found;
  // Blocked by the browser, or not reachable: the jobs can still run through the paired pull mode.
  const pull = await client.pullStatus().catch(() => ({ available: false, paired: false }));
  if (pull.paired) {
    client.usePull();
    return { ...found, mode: "pull" };
  }
  return { ...found, pullAvailable: pull.available };
}

function drawBadge(element, found) {
  renderStatus(element, found, { client });
  if (found.pullAvailable && statusState(found) !== "pending") {
    element.appendChild(pairingForm(document, client, () => {
      client.usePull();
      watcher.refresh();
    }));
  }
}

let watcher = null;
async function showStatus() {
  watcher = watchStatus(badge(), { client, detect: detectForBadge, render: drawBadge });
  await watcher.ready;
}

async function main() {
  await showStatus();
  const consultations = await (await fetch("/api/consultations")).json();
  const body = document.querySelector("#consultations tbody");
  for (const c of consultations) {
    const row = el("tr");
    row.append(el("td", {}, c.id), el("td", {}, c.label), el("td", {}, String(c.plis)));
    const actions = el("td");
    const down = el("button", {}, "Télécharger les plis chiffrés");
    down.addEventListener("click", () => queue("download", `consultation=${encodeURIComponent(c.id)}`));
    const open = el("button", {}, "Ouvrir en ligne");
    open.addEventListener("click", () => queue("open", `consultation=${encodeURIComponent(c.id)}`));
    actions.append(down, open);
    row.append(actions);
    body.append(row);
  }
  for (const button of document.querySelectorAll("button[data-kind]")) {
    button.addEventListener("click", () => queue(button.dataset.kind, button.dataset.query || ""));
  }
}

main();
