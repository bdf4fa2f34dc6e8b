#!/bin/sh
# macOS: build the .app, sign it (Developer ID, hardened runtime), notarise, staple, archive.
#
#   DEVELOPER_ID="Developer ID Application: Éditeur (TEAMID)" NOTARY_PROFILE=amp-notary \
#       sh installers/macos/build_sign_notarize.sh
#
# NOTARY_PROFILE is a keychain profile made once with
#   xcrun notarytool store-credentials amp-notary --apple-id … --team-id … --password <app password>
# Without DEVELOPER_ID the .app is only ad-hoc signed (local tests; Gatekeeper will warn).
# Output: dist/assistant-marches-publics-<version>-macos.zip (what users download and drag to
# ~/Applications) and dist/assistant-marches-publics-<version>-macos.tar.xz, the update target
# (`installers/release.py publish --archive … --os macos`): <name>/bundle/<the .app>, made by
# installers/package.py with Python's tarfile, so no AppleDouble `._*` files or quarantine
# attributes end up in it (they would break the seal of the signed .app once unpacked).
set -eu
cd "$(dirname "$0")/../.."
VENV=${VENV:-.venv}
"$VENV/bin/pyinstaller" --noconfirm build.spec
APP="dist/Assistant Marchés Publics.app"
[ -d "$APP" ] || { echo "no $APP (build.spec's BUNDLE step runs on macOS only)" >&2; exit 1; }
VERSION=$("$APP/Contents/MacOS/assistant" --version | awk '{print $NF}')
IDENTITY=${DEVELOPER_ID:--}
codesign --force --deep --options runtime --timestamp \
    --entitlements installers/macos/entitlements.plist --sign "$IDENTITY" "$APP"
codesign --verify --deep --strict --verbose=2 "$APP"
ZIP="dist/assistant-marches-publics-$VERSION-macos.zip"
ditto -c -k --keepParent "$APP" "$ZIP"
if [ "$IDENTITY" != "-" ]; then
    xcrun notarytool submit "$ZIP" --keychain-profile "${NOTARY_PROFILE:?set NOTARY_PROFILE}" --wait
    xcrun stapler staple "$APP"
    spctl --assess --type execute --verbose "$APP"
    rm -f "$ZIP"
    ditto -c -k --keepParent "$APP" "$ZIP"
fi
"$VENV/bin/python" installers/package.py --update-archive macos --bundle "$APP" --out dist --version "$VERSION"
