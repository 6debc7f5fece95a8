#!/usr/bin/env bash
# Assembles a corpus of real English text from Debian packages, for `bench cooccur --input`:
#
#   bench/real-corpus.sh OUT [MB]      # MB: stop after this many megabytes (1e6 bytes; default 39)
#
# The sources, in this order (each whole, then the next, until MB is reached; the last line is
# cut at a line end):
#   1. dict-devil   Ambrose Bierce, The Devil's Dictionary (1911)           public domain
#   2. jargon-text  The Jargon File 4.4.x                                    public domain
#   3. fortunes     the fortune-mod quotation files (% separators removed)  BSD-style, see /usr/share/doc/fortunes/copyright
#   4. bible-kjv    the King James Bible, one verse a line (the `bible` program; references removed)  public domain
#   5. dict-gcide   GNU Collaborative International Dictionary of English (1913 Webster + additions)
#                   GPL-2+ (see /usr/share/doc/dict-gcide/copyright): the corpus is built locally for
#                   benchmarks and is never part of this repository.
# So 4 MB is a mix of a dictionary of wit, jargon, quotations and scripture; 39 MB adds most of a
# dictionary. Deterministic for given package versions (printed on stderr); byte locale throughout.
# Missing packages: apt-get install bible-kjv jargon-text fortunes fortune-mod dict-devil dict-gcide
set -euo pipefail
export LC_ALL=C
out=${1:?usage: bench/real-corpus.sh OUT [MB]}
mb=${2:-39}
packages=(dict-devil jargon-text fortunes bible-kjv dict-gcide)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "real-corpus: missing packages: ${missing[*]} (apt-get install ${missing[*]})" >&2
  exit 2
fi
for p in "${packages[@]}"; do
  echo "real-corpus: $p $(dpkg-query -W -f='${Version}' "$p")" >&2
done

sources() {
  zcat /usr/share/dictd/devil.dict.dz
  zcat /usr/share/doc/jargon-text/jargon.txt.gz
  find /usr/share/games/fortunes -maxdepth 1 -type f ! -name '*.dat' | sort | while read -r f; do
    grep -v '^%$' "$f"
  done
  COLUMNS=100000 bible 'Gen1:1-Rev22:21' | sed 's/^[^ ]* //'
  zcat /usr/share/dictd/gcide.dict.dz
}

bytes=$(awk -v mb="$mb" 'BEGIN { printf "%d", mb * 1000000 }')
# whole lines only, up to the byte budget
{ sources || true; } | awk -v max="$bytes" '{ n += length($0) + 1; if (n > max) exit; print }' > "$out"
total=$(stat -c %s "$out")
if ((total < bytes * 9 / 10)); then
  echo "real-corpus: only $total bytes of text available (asked $bytes)" >&2
fi
echo "real-corpus: $out: $total bytes, $(wc -l < "$out") lines, sha256 $(sha256sum "$out" | cut -c1-16)" >&2
