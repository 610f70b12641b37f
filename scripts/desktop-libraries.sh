#!/usr/bin/env bash
# Before `make run` opens a real window: is there a screen, and are the X11 libraries Qt's xcb
# platform loads installed? Installs the missing ones when run as root with apt-get; otherwise
# prints the exact command. Exit 0 when the window can open, 1 when it cannot.
set -u
venv=${1:-.venv}

platform=${QT_QPA_PLATFORM:-}
case "$platform" in
  ""|xcb*) ;;
  *) exit 0 ;;  # offscreen, wayland, vnc ...: no X11 libraries needed
esac
if [ -z "${DISPLAY:-}" ]; then
  if [ -n "${WAYLAND_DISPLAY:-}" ] && [ -z "$platform" ]; then exit 0; fi
  echo "make run: there is no display (DISPLAY is not set): run it on a desktop, or under Xvfb ('xvfb-run make run'), or with QT_QPA_PLATFORM=offscreen to start without showing a window" >&2
  exit 1
fi

qt=$("$venv/bin/python" -c 'import PySide6, os; print(os.path.join(os.path.dirname(PySide6.__file__), "Qt"))' 2>/dev/null) || exit 0
[ -d "$qt" ] || exit 0
command -v ldd >/dev/null 2>&1 || exit 0

# Libraries the xcb plugin links to, and the ones Qt opens at run time (xcb-cursor since Qt 6.5).
missing=$(ldd "$qt/plugins/platforms/libqxcb.so" "$qt/lib/libQt6XcbQpa.so.6" 2>/dev/null \
          | awk '/not found/ {print $1}' | sort -u)
for soname in libxcb-cursor.so.0 libxcb-xinerama.so.0; do
  if ! ldconfig -p 2>/dev/null | grep -q "$soname"; then missing="$missing $soname"; fi
done
[ -n "${missing// /}" ] || exit 0

# Debian names a library's package after its soname: libxcb-icccm.so.4 -> libxcb-icccm4,
# libxkbcommon-x11.so.0 -> libxkbcommon-x11-0, libEGL.so.1 -> libegl1.
packages=""
for soname in $missing; do
  base=${soname%%.so.*}; version=${soname##*.so.}; version=${version%%.*}
  base=$(echo "$base" | tr '[:upper:]' '[:lower:]')
  case "$base" in *[0-9]) package="$base-$version" ;; *) package="$base$version" ;; esac
  packages="$packages $package"
done
packages=$(echo $packages | tr ' ' '\n' | sort -u | tr '\n' ' ')

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing the X11 libraries Qt needs for a window: $packages"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null \
    && exit 0
  echo "make run: could not install $packages; install them and run again" >&2
  exit 1
fi
echo "make run: Qt needs these X11 libraries for a window; install them first:" >&2
echo "  sudo apt-get install $packages" >&2
exit 1
