#!/bin/sh
# Assistant Marchés Publics — installation pour l'utilisateur courant, sans droits d'administrateur.
#
#   ./install.sh --user [--no-autostart]   installe dans le dossier de données de l'utilisateur
#   ./install.sh --uninstall [--purge]     désinstalle (--purge : supprime aussi réglages et données)
#
# Files (XDG base directories, defaults shown):
#   ~/.local/share/assistant-marches-publics/app/versions/<version>/   the bundle (one per version kept)
#   ~/.local/share/assistant-marches-publics/app/current -> versions/<version>
#   ~/.local/bin/assistant-marches-publics -> .../app/current/assistant
#   ~/.local/share/applications/assistant-marches-publics.desktop      menu entry
#   ~/.local/share/icons/hicolor/scalable/apps/assistant-marches-publics.svg
#   ~/.config/autostart/assistant-marches-publics.desktop              "Démarrer avec ma session"
# Everything created outside app/ is listed in app/installed-files, so --uninstall removes exactly
# that and nothing else. The user's own data (certificates vault, journal, settings) stays unless
# --purge is given. The updater (assistant/update) swaps app/current between versions.
set -eu

APP_ID=assistant-marches-publics
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
CONFIG_HOME=${XDG_CONFIG_HOME:-$HOME/.config}
CACHE_HOME=${XDG_CACHE_HOME:-$HOME/.cache}
STATE_HOME=${XDG_STATE_HOME:-$HOME/.local/state}
APP_ROOT=$DATA_HOME/$APP_ID/app
BIN_DIR=$HOME/.local/bin
HERE=$(cd "$(dirname "$0")" && pwd)

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh : %s\n' "$*" >&2; exit 1; }

usage() {
    say "Usage : $0 --user [--no-autostart] | --uninstall [--purge]"
    say "  --user          installer pour l'utilisateur courant (aucun droit d'administrateur requis)"
    say "  --no-autostart  ne pas démarrer l'assistant avec la session"
    say "  --uninstall     désinstaller (les certificats et réglages sont conservés)"
    say "  --purge         avec --uninstall : supprimer aussi les réglages, le coffre et l'historique"
}

# Create a directory and its missing parents, remembering the ones we created in $CREATED (they
# are removed on uninstall, deepest first, only if empty then).
CREATED=$(mktemp)
trap 'rm -f "$CREATED"' EXIT
make_dir() {
    d=$1
    while [ ! -d "$d" ]; do
        printf 'dir\t%s\n' "$d" >> "$CREATED"
        d=$(dirname "$d")
    done
    mkdir -p "$1"
}

install_user() {
    autostart=$1
    [ "$(id -u)" != 0 ] || say "Attention : installation pour root (l'installation par utilisateur n'en a pas besoin)."
    [ -x "$HERE/bundle/assistant" ] || die "archive incomplète : $HERE/bundle/assistant introuvable."
    version=$(cat "$HERE/VERSION")
    if [ -f "$APP_ROOT/installed-files" ]; then
        say "Une installation existe déjà : mise à jour vers $version."
        cat "$APP_ROOT/installed-files" >> "$CREATED"
    fi
    make_dir "$APP_ROOT"
    staging="$APP_ROOT/versions/.$version.partial"
    rm -rf "$staging"
    mkdir -p "$APP_ROOT/versions"
    cp -a "$HERE/bundle" "$staging"
    rm -rf "$APP_ROOT/versions/$version"
    mv "$staging" "$APP_ROOT/versions/$version"
    ln -sfn "versions/$version" "$APP_ROOT/current.new"
    mv -T "$APP_ROOT/current.new" "$APP_ROOT/current"
    cp "$HERE/install.sh" "$APP_ROOT/install.sh"
    chmod 755 "$APP_ROOT/install.sh"

    make_dir "$BIN_DIR"
    ln -sfn "$APP_ROOT/current/assistant" "$BIN_DIR/$APP_ID"
    printf 'file\t%s\n' "$BIN_DIR/$APP_ID" >> "$CREATED"

    make_dir "$DATA_HOME/applications"
    sed -e "s|^Exec=assistant |Exec=\"$APP_ROOT/current/assistant\" |" \
        "$HERE/share/$APP_ID.desktop" > "$DATA_HOME/applications/$APP_ID.desktop"
    printf 'file\t%s\n' "$DATA_HOME/applications/$APP_ID.desktop" >> "$CREATED"

    icon_dir=$DATA_HOME/icons/hicolor/scalable/apps
    make_dir "$icon_dir"
    cp "$HERE/share/$APP_ID.svg" "$icon_dir/$APP_ID.svg"
    printf 'file\t%s\n' "$icon_dir/$APP_ID.svg" >> "$CREATED"

    if [ "$autostart" = yes ]; then
        make_dir "$CONFIG_HOME/autostart"
        # The assistant writes its own autostart entry (the same code as its settings' checkbox).
        "$APP_ROOT/current/assistant" autostart on >/dev/null
        printf 'file\t%s\n' "$CONFIG_HOME/autostart/$APP_ID.desktop" >> "$CREATED"
    fi
    sort -u "$CREATED" > "$APP_ROOT/installed-files"
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA_HOME/applications" 2>/dev/null || true
    say "Assistant Marchés Publics $version installé dans $APP_ROOT."
    say "Lancement : menu des applications, ou $BIN_DIR/$APP_ID run"
    case ":$PATH:" in *":$BIN_DIR:"*) ;; *) say "(ajoutez $BIN_DIR à votre PATH pour la commande $APP_ID)";; esac
}

uninstall_user() {
    purge=$1
    [ -d "$APP_ROOT" ] || [ "$purge" = yes ] || die "aucune installation trouvée dans $APP_ROOT."
    if [ -f "$APP_ROOT/installed-files" ]; then
        # Files first (only the ones we made: the launcher only if it still points to us).
        grep '^file	' "$APP_ROOT/installed-files" | cut -f2- | while IFS= read -r f; do
            if [ "$f" = "$BIN_DIR/$APP_ID" ] && [ -L "$f" ]; then
                case "$(readlink "$f")" in "$APP_ROOT"/*) rm -f "$f";; esac
            else
                rm -f "$f"
            fi
        done
    fi
    # The autostart entry may have been turned on later from the settings.
    if [ -f "$CONFIG_HOME/autostart/$APP_ID.desktop" ] && grep -q "$APP_ROOT" "$CONFIG_HOME/autostart/$APP_ID.desktop"; then
        rm -f "$CONFIG_HOME/autostart/$APP_ID.desktop"
    fi
    dirs=""
    [ -f "$APP_ROOT/installed-files" ] && dirs=$(grep '^dir	' "$APP_ROOT/installed-files" | cut -f2- | sort -r)
    rm -rf "$APP_ROOT"
    rmdir "$DATA_HOME/$APP_ID" 2>/dev/null || true
    if [ "$purge" = yes ]; then
        rm -rf "$CONFIG_HOME/$APP_ID" "$DATA_HOME/$APP_ID" "$CACHE_HOME/$APP_ID" "$STATE_HOME/$APP_ID"
    fi
    # Directories we created, deepest first, only if nothing else lives there now.
    printf '%s\n' "$dirs" | while IFS= read -r d; do
        [ -n "$d" ] && rmdir "$d" 2>/dev/null || true
    done
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA_HOME/applications" 2>/dev/null || true
    if [ "$purge" = yes ]; then
        say "Assistant Marchés Publics désinstallé ; réglages et données supprimés."
    else
        say "Assistant Marchés Publics désinstallé. Vos réglages et certificats sont conservés dans $CONFIG_HOME/$APP_ID et $DATA_HOME/$APP_ID (--purge pour les supprimer)."
    fi
}

mode=""
autostart=yes
purge=no
for arg in "$@"; do
    case $arg in
        --user) mode=install ;;
        --uninstall) mode=uninstall ;;
        --no-autostart) autostart=no ;;
        --purge) purge=yes ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "option inconnue : $arg" ;;
    esac
done
case $mode in
    install) install_user "$autostart" ;;
    uninstall) uninstall_user "$purge" ;;
    *) usage >&2; exit 2 ;;
esac
