# shellcheck shell=bash
# Sourced by the tests that run an npm package (tests/openapi/lint.sh,
# tests/web/run.sh): installs it once into a cache directory outside the
# repository, so that only the first run needs the npm registry.
#
#   npm_install_once <who> <package> <version> <prefix>
#
# Installs <package>@<version> into <prefix> (its node_modules/) unless that
# version is there already. npm installs into a temporary directory next to
# <prefix> that is moved into place when complete, so an interrupted install
# is never taken for a finished one. On failure, says so as <who> and exits 1.

npm_install_once() {
    local who=$1 package=$2 version=$3 prefix=$4
    local installed
    installed=$(node -e 'try { console.log(require(process.argv[1]).version) } catch { }' \
        "$prefix/node_modules/$package/package.json")
    [[ $installed == "$version" ]] && return 0

    echo "$who: installing $package@$version into $prefix" >&2
    local cache
    cache=$(dirname -- "$prefix")
    mkdir -p -- "$cache"
    _npm_install_once_staging=$(mktemp -d "$cache/.$(basename -- "$prefix")-install.XXXXXX")
    trap 'rm -rf -- "$_npm_install_once_staging"' EXIT
    if ! npm install --prefix "$_npm_install_once_staging" --no-audit --no-fund --no-progress \
        --save-exact "$package@$version" >&2; then
        echo "$who: FAILED: npm could not install $package@$version" \
            "(is the npm registry reachable?)" >&2
        exit 1
    fi
    rm -rf -- "$prefix"
    chmod 755 -- "$_npm_install_once_staging"
    mv -T -- "$_npm_install_once_staging" "$prefix"
    trap - EXIT
}
