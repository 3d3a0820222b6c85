#!/usr/bin/env bash
# Re-vendors the front-end assets from the npm registry into static/vendor/.
# Custos never loads anything from a CDN: deployments are often air-gapped, so the files
# are committed and served by whitenoise. Run this only to upgrade; bump the versions here.
set -euo pipefail
BOOTSTRAP_VERSION=5.3.9
HTMX_VERSION=2.0.11
# axe-core is not served to users: the browser tests (tests/e2e/) inject it to check WCAG 2.1 AA.
AXE_CORE_VERSION=4.14.1
# DejaVu Sans covers Latin and Arabic (with its shaping tables): the case packages embed it.
DEJAVU_VERSION=2.37.3

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "bootstrap@${BOOTSTRAP_VERSION}" "htmx.org@${HTMX_VERSION}" \
  "axe-core@${AXE_CORE_VERSION}" "dejavu-fonts-ttf@${DEJAVU_VERSION}" >/dev/null
mkdir bootstrap htmx axe-core dejavu
tar -xzf "bootstrap-${BOOTSTRAP_VERSION}.tgz" -C bootstrap --strip-components=1
tar -xzf "htmx.org-${HTMX_VERSION}.tgz" -C htmx --strip-components=1
tar -xzf "axe-core-${AXE_CORE_VERSION}.tgz" -C axe-core --strip-components=1
tar -xzf "dejavu-fonts-ttf-${DEJAVU_VERSION}.tgz" -C dejavu --strip-components=1

dest="$root/static/vendor"
rm -rf "$dest/bootstrap" "$dest/htmx" "$dest/axe-core" "$dest/fonts/dejavu"
mkdir -p "$dest/bootstrap/css" "$dest/bootstrap/js" "$dest/htmx" "$dest/axe-core" \
  "$dest/fonts/dejavu"
cp bootstrap/dist/css/bootstrap.min.css bootstrap/dist/css/bootstrap.rtl.min.css "$dest/bootstrap/css/"
cp bootstrap/dist/js/bootstrap.bundle.min.js "$dest/bootstrap/js/"
cp bootstrap/LICENSE "$dest/bootstrap/LICENSE"
cp htmx/dist/htmx.min.js "$dest/htmx/"
cp htmx/LICENSE "$dest/htmx/LICENSE"
cp axe-core/axe.min.js axe-core/LICENSE "$dest/axe-core/"
cp dejavu/ttf/DejaVuSans.ttf dejavu/ttf/DejaVuSans-Bold.ttf dejavu/ttf/DejaVuSansMono.ttf \
  dejavu/LICENSE "$dest/fonts/dejavu/"
# Source maps are referenced from the minified files but not shipped; strip the comments so
# browsers do not request files that do not exist.
sed -i -E 's@/\*# sourceMappingURL=[^*]*\*/@@' "$dest"/bootstrap/css/*.css
sed -i -E 's@//# sourceMappingURL=.*$@@' "$dest"/bootstrap/js/*.js "$dest"/htmx/*.js
cat > "$dest/VERSIONS" <<VERS
bootstrap ${BOOTSTRAP_VERSION} (MIT) from the npm registry package "bootstrap"
htmx.org ${HTMX_VERSION} (0BSD) from the npm registry package "htmx.org"
axe-core ${AXE_CORE_VERSION} (MPL-2.0) from the npm registry package "axe-core" (browser tests only)
dejavu-fonts-ttf ${DEJAVU_VERSION} (Bitstream Vera / Arev licence, see fonts/dejavu/LICENSE) from the npm registry package "dejavu-fonts-ttf" (case package PDFs)
VERS
echo "vendored bootstrap ${BOOTSTRAP_VERSION}, htmx ${HTMX_VERSION}, axe-core ${AXE_CORE_VERSION} and DejaVu ${DEJAVU_VERSION} into static/vendor/"
