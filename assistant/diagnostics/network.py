"""Can this workstation talk to the platform? Each network layer checked in turn.

A user who cannot reach the platform only sees "ça ne marche pas"; IT needs to know which layer
breaks: the proxy, the name (DNS), the port (firewall), the certificate (expired, intercepted by a
TLS-inspecting proxy, wrong name), the web server, or the clock (a workstation hours off the right
time makes certificates look expired and signatures look dated wrongly). So the checks run in that
order and, once one fails, the next ones say "non vérifié" rather than piling up noise.

Only the standard library is used (socket, ssl, http.client) so that what is measured is the
connection itself, with the trust store the system's OpenSSL uses, and the proxy from the
environment as the browser and the assistant's own downloads see it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import socket
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.diagnostics.report import CheckResult, Status, not_checked
from assistant.i18n import N_, _
from assistant.tls import CaFileError, tls_context

#: Seconds each network step may take before it is reported as unanswered.
DEFAULT_TIMEOUT = 5.0
#: Clock offsets (seconds) beyond which the workstation's clock is worth a warning, then an error.
CLOCK_WARNING_S = 60.0
CLOCK_ERROR_S = 300.0
#: A server certificate expiring within this many days is a warning.
CERT_EXPIRY_WARNING_DAYS = 15

LABEL_PROXY = N_("Proxy")
LABEL_DNS = N_("Résolution du nom du serveur")
LABEL_TCP = N_("Connexion au serveur")
LABEL_TLS = N_("Certificat du serveur (HTTPS)")
LABEL_HTTP = N_("Communication avec le serveur distant")
LABEL_CLOCK = N_("Horloge du poste")


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class _Proxy:
    url: str
    host: str
    port: int

    @property
    def display(self) -> str:
        return f"{self.host}:{self.port}"


def _fmt_date(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%d/%m/%Y")


def _parse_target(url: str) -> _Target | None:
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    default_port = 443 if parts.scheme == "https" else 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return _Target(url.strip(), parts.scheme, parts.hostname, port or default_port, path)


def _proxy_for(target: _Target) -> _Proxy | None:
    """The proxy the environment names for this URL, unless NO_PROXY exempts the host."""
    proxies = urllib.request.getproxies_environment()
    proxy_url = proxies.get(target.scheme)
    if not proxy_url:
        return None
    if urllib.request.proxy_bypass_environment(target.host, proxies):  # type: ignore[attr-defined]
        return None
    if "://" not in proxy_url:
        proxy_url = "http://" + proxy_url
    try:
        parts = urllib.parse.urlsplit(proxy_url)
        port = parts.port or 8080
    except ValueError:
        return None
    if not parts.hostname:
        return None
    # Never show credentials that may sit in the proxy URL.
    return _Proxy(f"{parts.scheme}://{parts.hostname}:{port}", parts.hostname, port)


def check_platform(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, extra_ca_files: Sequence[str] = ()
) -> list[CheckResult]:
    """Proxy, DNS, TCP, TLS, HTTP and clock checks for the platform at `url`.

    `extra_ca_files` are the certificate authorities the user added for platforms (settings
    `platform_ca_files`: an enterprise CA, a TLS-inspecting proxy): the check trusts what the
    downloads trust, so it never disagrees with them.
    """
    target = _parse_target(url)
    if target is None:
        return [
            CheckResult(
                "net_http",
                _(LABEL_HTTP),
                Status.ERROR,
                "Adresse invalide",
                _("« {url} » n'est pas une adresse web valide.").format(url=url),
                _("Indiquez l'adresse complète de la plateforme, par exemple https://marches.example.fr."),
            )
        ]
    results: list[CheckResult] = []
    proxy = _proxy_for(target)
    results.append(_proxy_result(target, proxy))
    connect_host, connect_port = (proxy.host, proxy.port) if proxy else (target.host, target.port)

    dns = _check_dns(connect_host, connect_port, via_proxy=proxy is not None)
    results.append(dns)
    if dns.status is Status.ERROR:
        return results + _skip_rest(target, _("Le nom du serveur n'a pas pu être résolu."))

    tcp = _check_tcp(connect_host, connect_port, timeout, proxy)
    results.append(tcp)
    if tcp.status is Status.ERROR:
        return results + _skip_rest(target, _("Le serveur n'a pas pu être joint."))

    verified = True
    if target.scheme == "https":
        try:
            context = tls_context(list(extra_ca_files))  # what the downloads trust, exactly
        except CaFileError as exc:
            unusable = CheckResult(
                "net_tls",
                _(LABEL_TLS),
                Status.ERROR,
                _("Autorité de certification inutilisable"),
                _(
                    "Une autorité de certification ajoutée dans les réglages (platform_ca_files) ne peut pas être lue : {path} ({reason})."
                ).format(path=exc.path, reason=exc.reason),
                _("Corrigez ou retirez ce fichier dans les réglages de l'assistant, puis relancez le test."),
            )
            return [
                *results,
                unusable,
                *_skip_rest(target, _("L'autorité de certification des réglages est inutilisable."))[1:],
            ]
        tls = _check_tls(target, proxy, timeout, context)
        results.append(tls)
        verified = tls.status is not Status.ERROR
    else:
        context = None
    http_result, server_date, local_mid = _check_http(target, proxy, timeout, verified, context)
    results.append(http_result)
    results.append(_check_clock(server_date, local_mid, http_ok=http_result.status is not Status.ERROR))
    return results


def _skip_rest(target: _Target, why: str) -> list[CheckResult]:
    rest = []
    if target.scheme == "https":
        rest.append(not_checked("net_tls", _(LABEL_TLS), why))
    rest.append(not_checked("net_http", _(LABEL_HTTP), why))
    rest.append(not_checked("net_clock", _(LABEL_CLOCK), why))
    return rest


def _proxy_result(target: _Target, proxy: _Proxy | None) -> CheckResult:
    if proxy is None:
        return CheckResult(
            "net_proxy",
            _(LABEL_PROXY),
            Status.OK,
            "Connexion directe",
            _("Aucun proxy n'est configuré pour {host} (variables HTTPS_PROXY / HTTP_PROXY / NO_PROXY).").format(
                host=target.host
            ),
        )
    return CheckResult(
        "net_proxy",
        _(LABEL_PROXY),
        Status.OK,
        f"Proxy {proxy.display}",
        _("Les connexions vers {host} passent par le proxy {display}.").format(host=target.host, display=proxy.display),
        details=(proxy.url,),
    )


def _check_dns(host: str, port: int, *, via_proxy: bool) -> CheckResult:
    what = _("du proxy") if via_proxy else _("du serveur")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return CheckResult(
            "net_dns",
            _(LABEL_DNS),
            Status.ERROR,
            _("Nom introuvable"),
            _("Le nom {what} « {host} » n'a pas pu être résolu ({value}).").format(
                what=what, host=host, value=exc.args[-1] if exc.args else exc
            ),
            _(
                "Vérifiez l'adresse de la plateforme et la connexion réseau du poste ; si le problème persiste, contactez votre service informatique (serveur DNS)."
            ),
        )
    addresses = sorted({str(info[4][0]) for info in infos})
    return CheckResult(
        "net_dns",
        _(LABEL_DNS),
        Status.OK,
        f"{host} → {', '.join(addresses[:3])}",
        _("Le nom {what} est résolu.").format(what=what),
        details=tuple(addresses),
    )


def _check_tcp(host: str, port: int, timeout: float, proxy: _Proxy | None) -> CheckResult:
    what = (
        _("le proxy {host}:{port}").format(host=host, port=port)
        if proxy
        else _("le serveur {host} sur le port {port}").format(host=host, port=port)
    )
    started = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            elapsed_ms = (time.perf_counter() - started) * 1000
    except ConnectionRefusedError:
        return CheckResult(
            "net_tcp",
            _(LABEL_TCP),
            Status.ERROR,
            _("Connexion refusée"),
            _("Connexion refusée par {what} : aucun service n'écoute à cette adresse.").format(what=what),
            _(
                "Vérifiez l'adresse et le port de la plateforme ; si elle est correcte, le service est peut-être arrêté ou bloqué par un pare-feu : contactez votre service informatique."
            ),
        )
    except TimeoutError:
        return CheckResult(
            "net_tcp",
            _(LABEL_TCP),
            Status.ERROR,
            _("Pas de réponse"),
            _("Pas de réponse de {what} en {timeout:.0f} secondes.").format(what=what, timeout=timeout),
            _("Un pare-feu ou un proxy bloque probablement la connexion : contactez votre service informatique."),
        )
    except OSError as exc:
        return CheckResult(
            "net_tcp",
            _(LABEL_TCP),
            Status.ERROR,
            "Connexion impossible",
            f"Connexion impossible vers {what} ({exc.strerror or exc}).",
            _("Vérifiez la connexion réseau du poste ; si le problème persiste, contactez votre service informatique."),
        )
    return CheckResult(
        "net_tcp",
        _(LABEL_TCP),
        Status.OK,
        f"Port {port} joignable ({elapsed_ms:.0f} ms)",
        _("La connexion vers {what} est établie.").format(what=what),
    )


def _connection(
    target: _Target, proxy: _Proxy | None, timeout: float, context: ssl.SSLContext | None
) -> http.client.HTTPConnection:
    if target.scheme == "https":
        if proxy:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                proxy.host, proxy.port, timeout=timeout, context=context
            )
            conn.set_tunnel(target.host, target.port)
        else:
            conn = http.client.HTTPSConnection(target.host, target.port, timeout=timeout, context=context)
        return conn
    if proxy:
        return http.client.HTTPConnection(proxy.host, proxy.port, timeout=timeout)
    return http.client.HTTPConnection(target.host, target.port, timeout=timeout)


def _unverified_context() -> ssl.SSLContext:
    """Only used to read a refused certificate (to explain why) and the server's clock: nothing is sent."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _peer_certificate(target: _Target, proxy: _Proxy | None, timeout: float) -> object | None:
    from cryptography import x509

    conn = _connection(target, proxy, timeout, _unverified_context())
    try:
        conn.connect()
        sock = conn.sock
        der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    if not der:
        return None
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None


def _issuer_cn(cert: object) -> str:
    from cryptography import x509

    from assistant.keystores.names import common_name

    return common_name(cert.issuer) if isinstance(cert, x509.Certificate) else ""


def _check_tls(target: _Target, proxy: _Proxy | None, timeout: float, context: ssl.SSLContext) -> CheckResult:
    from cryptography import x509

    conn = _connection(target, proxy, timeout, context)
    try:
        conn.connect()
        sock = conn.sock
        der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
        version = sock.version() if isinstance(sock, ssl.SSLSocket) else None
    except ssl.SSLCertVerificationError as exc:
        return _explain_refused_certificate(target, proxy, timeout, exc)
    except (ssl.SSLError, ConnectionResetError) as exc:
        return CheckResult(
            "net_tls",
            _(LABEL_TLS),
            Status.ERROR,
            _("Échec de la négociation HTTPS"),
            _("La connexion sécurisée avec {host} a échoué ({value}).").format(
                host=target.host, value=getattr(exc, "reason", None) or exc
            ),
            _(
                "Un proxy ou un antivirus qui inspecte le trafic HTTPS peut en être la cause : contactez votre service informatique."
            ),
        )
    except (OSError, http.client.HTTPException) as exc:
        return CheckResult(
            "net_tls",
            _(LABEL_TLS),
            Status.ERROR,
            _("Connexion sécurisée impossible"),
            _("La connexion sécurisée avec {host} a échoué ({exc}).").format(host=target.host, exc=exc),
            _("Vérifiez la connexion réseau du poste ; si le problème persiste, contactez votre service informatique."),
        )
    finally:
        conn.close()
    cert = x509.load_der_x509_certificate(der) if der else None
    if cert is None:
        return CheckResult("net_tls", _(LABEL_TLS), Status.OK, _("Connexion sécurisée établie"), "")
    now = dt.datetime.now(dt.UTC)
    not_after = cert.not_valid_after_utc
    issuer = _issuer_cn(cert)
    days_left = (not_after - now).days
    details = (
        _("Émetteur : {rfc4514_string}").format(rfc4514_string=cert.issuer.rfc4514_string()),
        f"Protocole : {version or '?'}",
    )
    if days_left < CERT_EXPIRY_WARNING_DAYS:
        return CheckResult(
            "net_tls",
            _(LABEL_TLS),
            Status.WARNING,
            _("Expire le {fmt_date}").format(fmt_date=_fmt_date(not_after)),
            _("Le certificat du serveur {host} est valide mais expire dans {max} jour(s).").format(
                host=target.host, max=max(days_left, 0)
            ),
            _("Prévenez l'administrateur de la plateforme : son certificat doit être renouvelé."),
            details,
        )
    return CheckResult(
        "net_tls",
        _(LABEL_TLS),
        Status.OK,
        _("Certificat valide jusqu'au {fmt_date}").format(fmt_date=_fmt_date(not_after)),
        _("Certificat du serveur reconnu par votre poste, émis par {issuer}.").format(issuer=issuer),
        details=details,
    )


def _explain_refused_certificate(
    target: _Target, proxy: _Proxy | None, timeout: float, exc: ssl.SSLCertVerificationError
) -> CheckResult:
    from cryptography import x509

    cert = _peer_certificate(target, proxy, timeout)
    now = dt.datetime.now(dt.UTC)
    code = getattr(exc, "verify_code", 0)
    detail = (str(getattr(exc, "verify_message", "") or exc),)
    if isinstance(cert, x509.Certificate) and (code == 10 or cert.not_valid_after_utc < now):
        return CheckResult(
            "net_tls",
            _(LABEL_TLS),
            Status.ERROR,
            _("Certificat expiré"),
            _("Le certificat du serveur {host} a expiré le {fmt_date}.").format(
                host=target.host, fmt_date=_fmt_date(cert.not_valid_after_utc)
            ),
            _(
                "Vérifiez d'abord que la date et l'heure de votre poste sont justes ; si elles le sont, prévenez l'administrateur de la plateforme : son certificat doit être renouvelé."
            ),
            detail,
        )
    if isinstance(cert, x509.Certificate) and (code == 9 or cert.not_valid_before_utc > now):
        return CheckResult(
            "net_tls",
            _(LABEL_TLS),
            Status.ERROR,
            _("Certificat pas encore valide"),
            _("Le certificat du serveur {host} n'est valide qu'à partir du {fmt_date}.").format(
                host=target.host, fmt_date=_fmt_date(cert.not_valid_before_utc)
            ),
            _(
                "La date de votre poste est probablement fausse : mettez le poste à l'heure (synchronisation automatique de l'heure)."
            ),
            detail,
        )
    if code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
        return CheckResult(
            "net_tls",
            _(LABEL_TLS),
            Status.ERROR,
            _("Nom du certificat incorrect"),
            _("Le certificat présenté n'est pas celui de {host}.").format(host=target.host),
            _(
                "Vérifiez l'adresse de la plateforme ; un proxy ou un portail d'accès Wi-Fi peut aussi intercepter la connexion : contactez votre service informatique."
            ),
            detail,
        )
    issuer = _issuer_cn(cert)
    by = _(" (émis par « {issuer} »)").format(issuer=issuer) if issuer else ""
    return CheckResult(
        "net_tls",
        _(LABEL_TLS),
        Status.ERROR,
        "Certificat non reconnu",
        _("Le certificat du serveur {host}{by} n'est pas reconnu par votre poste.").format(host=target.host, by=by),
        _(
            "Si votre organisation inspecte le trafic HTTPS (proxy, antivirus), son autorité de certification doit être installée sur le poste (ou ajoutée dans les réglages de l'assistant, platform_ca_files) : contactez votre service informatique."
        ),
        detail,
    )


def _check_http(
    target: _Target, proxy: _Proxy | None, timeout: float, verified: bool, context: ssl.SSLContext | None
) -> tuple[CheckResult, dt.datetime | None, dt.datetime]:
    """GET the platform's page. After a refused certificate the request still goes out, unverified and
    without any credential, only to read the status and the server's clock."""
    if not verified or context is None:
        context = _unverified_context()
    conn = _connection(target, proxy, timeout, context if target.scheme == "https" else None)
    path = target.url if (proxy and target.scheme == "http") else target.path
    before = dt.datetime.now(dt.UTC)
    try:
        conn.request("GET", path, headers={"User-Agent": "assistant-marches-publics-diagnostic", "Accept": "*/*"})
        response = conn.getresponse()
        after = dt.datetime.now(dt.UTC)
        status = response.status
        reason = response.reason
        date_header = response.getheader("Date")
        response.read(65536)
    except (OSError, http.client.HTTPException) as exc:
        return (
            CheckResult(
                "net_http",
                _(LABEL_HTTP),
                Status.ERROR,
                _("Pas de réponse"),
                _("Le serveur {host} n'a pas répondu correctement ({exc}).").format(host=target.host, exc=exc),
                _("Réessayez dans quelques minutes ; si le problème persiste, contactez le support de la plateforme."),
            ),
            None,
            before,
        )
    finally:
        conn.close()
    midpoint = before + (after - before) / 2
    server_date = _parse_http_date(date_header)
    if status >= 500:
        result = CheckResult(
            "net_http",
            _(LABEL_HTTP),
            Status.ERROR,
            _("Serveur en erreur (HTTP {status})").format(status=status),
            _("Le serveur de la plateforme répond mais signale une erreur : {status} {reason}.").format(
                status=status, reason=reason
            ),
            _("Réessayez plus tard ; si le problème persiste, contactez le support de la plateforme."),
        )
    elif proxy and status in (407,):
        result = CheckResult(
            "net_http",
            _(LABEL_HTTP),
            Status.ERROR,
            "Authentification proxy requise",
            _("Le proxy {display} demande une authentification (HTTP 407).").format(display=proxy.display),
            _("Contactez votre service informatique pour configurer l'accès au proxy."),
        )
    elif status >= 400:
        result = CheckResult(
            "net_http",
            _(LABEL_HTTP),
            Status.WARNING,
            _("Réponse inattendue (HTTP {status})").format(status=status),
            _("Le serveur répond, mais pas avec la page attendue : {status} {reason}.").format(
                status=status, reason=reason
            ),
            _("Vérifiez l'adresse de la plateforme."),
        )
    elif not verified:
        result = CheckResult(
            "net_http",
            _(LABEL_HTTP),
            Status.WARNING,
            _("Serveur joignable (HTTP {status}), connexion non sûre").format(status=status),
            _("Le serveur répond, mais son certificat n'est pas accepté (voir la ligne du certificat)."),
            _("Corrigez d'abord le problème de certificat."),
        )
    else:
        result = CheckResult(
            "net_http",
            _(LABEL_HTTP),
            Status.OK,
            _("Communication établie"),
            _("Le serveur répond (HTTP {status}).").format(status=status),
        )
    return result, server_date, midpoint


def _parse_http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _format_offset(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        hours = round(seconds / 3600, 1)
        return f"{hours:.0f} h" if hours == int(hours) else f"{hours:.1f} h".replace(".", ",")
    return _("{days:.0f} jours").format(days=seconds / 86400)


def _check_clock(server_date: dt.datetime | None, local: dt.datetime, *, http_ok: bool) -> CheckResult:
    if server_date is None:
        why = (
            _("Le serveur n'a pas donné son heure (en-tête Date absent ou illisible).")
            if http_ok
            else _("Le serveur n'a pas répondu.")
        )
        return not_checked("net_clock", _(LABEL_CLOCK), why)
    offset = (local - server_date).total_seconds()
    direction = _("en avance") if offset > 0 else _("en retard")
    remedy = _(
        "Mettez le poste à l'heure : activez la synchronisation automatique de la date et de l'heure (ou demandez-la à votre service informatique). Une horloge fausse fait paraître les certificats expirés et date mal vos signatures."
    )
    if abs(offset) > CLOCK_ERROR_S:
        return CheckResult(
            "net_clock",
            _(LABEL_CLOCK),
            Status.ERROR,
            _("Décalage de {format_offset}").format(format_offset=_format_offset(offset)),
            _("L'horloge du poste est {direction} de {format_offset} sur celle du serveur.").format(
                direction=direction, format_offset=_format_offset(offset)
            ),
            remedy,
        )
    if abs(offset) > CLOCK_WARNING_S:
        return CheckResult(
            "net_clock",
            _(LABEL_CLOCK),
            Status.WARNING,
            _("Décalage de {format_offset}").format(format_offset=_format_offset(offset)),
            _("L'horloge du poste est {direction} de {format_offset} sur celle du serveur.").format(
                direction=direction, format_offset=_format_offset(offset)
            ),
            remedy,
        )
    return CheckResult(
        "net_clock",
        _(LABEL_CLOCK),
        Status.OK,
        _("À l'heure"),
        _("L'horloge du poste est à l'heure du serveur (à la minute)."),
    )
