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
from assistant.tls import CaFileError, tls_context

#: Seconds each network step may take before it is reported as unanswered.
DEFAULT_TIMEOUT = 5.0
#: Clock offsets (seconds) beyond which the workstation's clock is worth a warning, then an error.
CLOCK_WARNING_S = 60.0
CLOCK_ERROR_S = 300.0
#: A server certificate expiring within this many days is a warning.
CERT_EXPIRY_WARNING_DAYS = 15

LABEL_PROXY = "Proxy"
LABEL_DNS = "Résolution du nom du serveur"
LABEL_TCP = "Connexion au serveur"
LABEL_TLS = "Certificat du serveur (HTTPS)"
LABEL_HTTP = "Communication avec le serveur distant"
LABEL_CLOCK = "Horloge du poste"


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
                LABEL_HTTP,
                Status.ERROR,
                "Adresse invalide",
                f"« {url} » n'est pas une adresse web valide.",
                "Indiquez l'adresse complète de la plateforme, par exemple https://marches.example.fr.",
            )
        ]
    results: list[CheckResult] = []
    proxy = _proxy_for(target)
    results.append(_proxy_result(target, proxy))
    connect_host, connect_port = (proxy.host, proxy.port) if proxy else (target.host, target.port)

    dns = _check_dns(connect_host, connect_port, via_proxy=proxy is not None)
    results.append(dns)
    if dns.status is Status.ERROR:
        return results + _skip_rest(target, "Le nom du serveur n'a pas pu être résolu.")

    tcp = _check_tcp(connect_host, connect_port, timeout, proxy)
    results.append(tcp)
    if tcp.status is Status.ERROR:
        return results + _skip_rest(target, "Le serveur n'a pas pu être joint.")

    verified = True
    if target.scheme == "https":
        try:
            context = tls_context(list(extra_ca_files))  # what the downloads trust, exactly
        except CaFileError as exc:
            unusable = CheckResult(
                "net_tls",
                LABEL_TLS,
                Status.ERROR,
                "Autorité de certification inutilisable",
                f"Une autorité de certification ajoutée dans les réglages (platform_ca_files) ne peut pas être lue : {exc.path} ({exc.reason}).",
                "Corrigez ou retirez ce fichier dans les réglages de l'assistant, puis relancez le test.",
            )
            return [
                *results,
                unusable,
                *_skip_rest(target, "L'autorité de certification des réglages est inutilisable.")[1:],
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
        rest.append(not_checked("net_tls", LABEL_TLS, why))
    rest.append(not_checked("net_http", LABEL_HTTP, why))
    rest.append(not_checked("net_clock", LABEL_CLOCK, why))
    return rest


def _proxy_result(target: _Target, proxy: _Proxy | None) -> CheckResult:
    if proxy is None:
        return CheckResult(
            "net_proxy",
            LABEL_PROXY,
            Status.OK,
            "Connexion directe",
            f"Aucun proxy n'est configuré pour {target.host} (variables HTTPS_PROXY / HTTP_PROXY / NO_PROXY).",
        )
    return CheckResult(
        "net_proxy",
        LABEL_PROXY,
        Status.OK,
        f"Proxy {proxy.display}",
        f"Les connexions vers {target.host} passent par le proxy {proxy.display}.",
        details=(proxy.url,),
    )


def _check_dns(host: str, port: int, *, via_proxy: bool) -> CheckResult:
    what = "du proxy" if via_proxy else "du serveur"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return CheckResult(
            "net_dns",
            LABEL_DNS,
            Status.ERROR,
            "Nom introuvable",
            f"Le nom {what} « {host} » n'a pas pu être résolu ({exc.args[-1] if exc.args else exc}).",
            "Vérifiez l'adresse de la plateforme et la connexion réseau du poste ; si le problème "
            "persiste, contactez votre service informatique (serveur DNS).",
        )
    addresses = sorted({str(info[4][0]) for info in infos})
    return CheckResult(
        "net_dns",
        LABEL_DNS,
        Status.OK,
        f"{host} → {', '.join(addresses[:3])}",
        f"Le nom {what} est résolu.",
        details=tuple(addresses),
    )


def _check_tcp(host: str, port: int, timeout: float, proxy: _Proxy | None) -> CheckResult:
    what = f"le proxy {host}:{port}" if proxy else f"le serveur {host} sur le port {port}"
    started = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            elapsed_ms = (time.perf_counter() - started) * 1000
    except ConnectionRefusedError:
        return CheckResult(
            "net_tcp",
            LABEL_TCP,
            Status.ERROR,
            "Connexion refusée",
            f"Connexion refusée par {what} : aucun service n'écoute à cette adresse.",
            "Vérifiez l'adresse et le port de la plateforme ; si elle est correcte, le service est peut-être "
            "arrêté ou bloqué par un pare-feu : contactez votre service informatique.",
        )
    except TimeoutError:
        return CheckResult(
            "net_tcp",
            LABEL_TCP,
            Status.ERROR,
            "Pas de réponse",
            f"Pas de réponse de {what} en {timeout:.0f} secondes.",
            "Un pare-feu ou un proxy bloque probablement la connexion : contactez votre service informatique.",
        )
    except OSError as exc:
        return CheckResult(
            "net_tcp",
            LABEL_TCP,
            Status.ERROR,
            "Connexion impossible",
            f"Connexion impossible vers {what} ({exc.strerror or exc}).",
            "Vérifiez la connexion réseau du poste ; si le problème persiste, contactez votre service informatique.",
        )
    return CheckResult(
        "net_tcp",
        LABEL_TCP,
        Status.OK,
        f"Port {port} joignable ({elapsed_ms:.0f} ms)",
        f"La connexion vers {what} est établie.",
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
            LABEL_TLS,
            Status.ERROR,
            "Échec de la négociation HTTPS",
            f"La connexion sécurisée avec {target.host} a échoué ({getattr(exc, 'reason', None) or exc}).",
            "Un proxy ou un antivirus qui inspecte le trafic HTTPS peut en être la cause : contactez votre "
            "service informatique.",
        )
    except (OSError, http.client.HTTPException) as exc:
        return CheckResult(
            "net_tls",
            LABEL_TLS,
            Status.ERROR,
            "Connexion sécurisée impossible",
            f"La connexion sécurisée avec {target.host} a échoué ({exc}).",
            "Vérifiez la connexion réseau du poste ; si le problème persiste, contactez votre service informatique.",
        )
    finally:
        conn.close()
    cert = x509.load_der_x509_certificate(der) if der else None
    if cert is None:
        return CheckResult("net_tls", LABEL_TLS, Status.OK, "Connexion sécurisée établie", "")
    now = dt.datetime.now(dt.UTC)
    not_after = cert.not_valid_after_utc
    issuer = _issuer_cn(cert)
    days_left = (not_after - now).days
    details = (f"Émetteur : {cert.issuer.rfc4514_string()}", f"Protocole : {version or '?'}")
    if days_left < CERT_EXPIRY_WARNING_DAYS:
        return CheckResult(
            "net_tls",
            LABEL_TLS,
            Status.WARNING,
            f"Expire le {_fmt_date(not_after)}",
            f"Le certificat du serveur {target.host} est valide mais expire dans {max(days_left, 0)} jour(s).",
            "Prévenez l'administrateur de la plateforme : son certificat doit être renouvelé.",
            details,
        )
    return CheckResult(
        "net_tls",
        LABEL_TLS,
        Status.OK,
        f"Certificat valide jusqu'au {_fmt_date(not_after)}",
        f"Certificat du serveur reconnu par votre poste, émis par {issuer}.",
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
            LABEL_TLS,
            Status.ERROR,
            "Certificat expiré",
            f"Le certificat du serveur {target.host} a expiré le {_fmt_date(cert.not_valid_after_utc)}.",
            "Vérifiez d'abord que la date et l'heure de votre poste sont justes ; si elles le sont, "
            "prévenez l'administrateur de la plateforme : son certificat doit être renouvelé.",
            detail,
        )
    if isinstance(cert, x509.Certificate) and (code == 9 or cert.not_valid_before_utc > now):
        return CheckResult(
            "net_tls",
            LABEL_TLS,
            Status.ERROR,
            "Certificat pas encore valide",
            f"Le certificat du serveur {target.host} n'est valide qu'à partir du "
            f"{_fmt_date(cert.not_valid_before_utc)}.",
            "La date de votre poste est probablement fausse : mettez le poste à l'heure (synchronisation "
            "automatique de l'heure).",
            detail,
        )
    if code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
        return CheckResult(
            "net_tls",
            LABEL_TLS,
            Status.ERROR,
            "Nom du certificat incorrect",
            f"Le certificat présenté n'est pas celui de {target.host}.",
            "Vérifiez l'adresse de la plateforme ; un proxy ou un portail d'accès Wi-Fi peut aussi intercepter "
            "la connexion : contactez votre service informatique.",
            detail,
        )
    issuer = _issuer_cn(cert)
    by = f" (émis par « {issuer} »)" if issuer else ""
    return CheckResult(
        "net_tls",
        LABEL_TLS,
        Status.ERROR,
        "Certificat non reconnu",
        f"Le certificat du serveur {target.host}{by} n'est pas reconnu par votre poste.",
        "Si votre organisation inspecte le trafic HTTPS (proxy, antivirus), son autorité de certification doit "
        "être installée sur le poste (ou ajoutée dans les réglages de l'assistant, platform_ca_files) : "
        "contactez votre service informatique.",
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
                LABEL_HTTP,
                Status.ERROR,
                "Pas de réponse",
                f"Le serveur {target.host} n'a pas répondu correctement ({exc}).",
                "Réessayez dans quelques minutes ; si le problème persiste, contactez le support de la plateforme.",
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
            LABEL_HTTP,
            Status.ERROR,
            f"Serveur en erreur (HTTP {status})",
            f"Le serveur de la plateforme répond mais signale une erreur : {status} {reason}.",
            "Réessayez plus tard ; si le problème persiste, contactez le support de la plateforme.",
        )
    elif proxy and status in (407,):
        result = CheckResult(
            "net_http",
            LABEL_HTTP,
            Status.ERROR,
            "Authentification proxy requise",
            f"Le proxy {proxy.display} demande une authentification (HTTP 407).",
            "Contactez votre service informatique pour configurer l'accès au proxy.",
        )
    elif status >= 400:
        result = CheckResult(
            "net_http",
            LABEL_HTTP,
            Status.WARNING,
            f"Réponse inattendue (HTTP {status})",
            f"Le serveur répond, mais pas avec la page attendue : {status} {reason}.",
            "Vérifiez l'adresse de la plateforme.",
        )
    elif not verified:
        result = CheckResult(
            "net_http",
            LABEL_HTTP,
            Status.WARNING,
            f"Serveur joignable (HTTP {status}), connexion non sûre",
            "Le serveur répond, mais son certificat n'est pas accepté (voir la ligne du certificat).",
            "Corrigez d'abord le problème de certificat.",
        )
    else:
        result = CheckResult(
            "net_http", LABEL_HTTP, Status.OK, "Communication établie", f"Le serveur répond (HTTP {status})."
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
    return f"{seconds / 86400:.0f} jours"


def _check_clock(server_date: dt.datetime | None, local: dt.datetime, *, http_ok: bool) -> CheckResult:
    if server_date is None:
        why = (
            "Le serveur n'a pas donné son heure (en-tête Date absent ou illisible)."
            if http_ok
            else "Le serveur n'a pas répondu."
        )
        return not_checked("net_clock", LABEL_CLOCK, why)
    offset = (local - server_date).total_seconds()
    direction = "en avance" if offset > 0 else "en retard"
    remedy = (
        "Mettez le poste à l'heure : activez la synchronisation automatique de la date et de l'heure "
        "(ou demandez-la à votre service informatique). Une horloge fausse fait paraître les certificats "
        "expirés et date mal vos signatures."
    )
    if abs(offset) > CLOCK_ERROR_S:
        return CheckResult(
            "net_clock",
            LABEL_CLOCK,
            Status.ERROR,
            f"Décalage de {_format_offset(offset)}",
            f"L'horloge du poste est {direction} de {_format_offset(offset)} sur celle du serveur.",
            remedy,
        )
    if abs(offset) > CLOCK_WARNING_S:
        return CheckResult(
            "net_clock",
            LABEL_CLOCK,
            Status.WARNING,
            f"Décalage de {_format_offset(offset)}",
            f"L'horloge du poste est {direction} de {_format_offset(offset)} sur celle du serveur.",
            remedy,
        )
    return CheckResult(
        "net_clock", LABEL_CLOCK, Status.OK, "À l'heure", "L'horloge du poste est à l'heure du serveur (à la minute)."
    )
