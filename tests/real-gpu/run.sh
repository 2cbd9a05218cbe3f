#!/usr/bin/env bash
# The webgpu conformance run on a machine with a GPU and no Node.js (see README.md): unpacks what
# build.mjs put in .real-gpu/, finds a Vulkan driver, runs the suite bundle and the timing, and
# writes log.txt, summary.json and the raw results to $OUT.
#
#   bash tests/real-gpu/run.sh                       # on the GPU machine, from anywhere
#   REAL_GPU_ICD=/usr/lib/chromium/vk_swiftshader_icd.json REAL_GPU_LD=/usr/lib/chromium \
#     REAL_GPU_TIMING_SIZES=small OUT=/tmp/real-gpu-out bash tests/real-gpu/run.sh   # SwiftShader
#
# Knobs (environment): REAL_GPU_ICD (an ICD manifest to use instead of searching for NVIDIA's),
# REAL_GPU_LD (folders put first on LD_LIBRARY_PATH), REAL_GPU_SUITE_TIMEOUT_S (default 240: the
# suite's process is killed then), REAL_GPU_DEADLINE_MS (default 180000: no test starts after it),
# REAL_GPU_TEST_TIMEOUT_MS (default 120000: the cap on one test), REAL_GPU_TIMING_SIZES=small,
# REAL_GPU_TIMING_BUDGET_MS (default 1500 per case and provider), REAL_GPU_SKIP_SUITE=1.
# Worst case about 9 minutes (4 failing driver probes of 40 s, suite 240 s, timing 120 s); about
# 2.5 minutes on SwiftShader on 2 cores, so expect less on a GPU.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PAYLOAD=${REAL_GPU_PAYLOAD:-$REPO/.real-gpu}
OUT=${OUT:-/tmp/real-gpu-out}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/real-gpu.XXXXXX)
LOG=$OUT/log.txt
: >"$LOG"
exec > >(tee -a "$LOG") 2>&1
TEE=$!
T0=$(date +%s)
step() { echo; echo "=== [$(($(date +%s) - T0)) s] $*"; }

step "real-gpu run: repo $REPO, payload $PAYLOAD, work $WORK, out $OUT"
date -u
uname -a
cat "$PAYLOAD/manifest.json" 2>/dev/null || echo "no $PAYLOAD/manifest.json: run node tests/real-gpu/build.mjs first"
(command -v nvidia-smi >/dev/null && nvidia-smi -L && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv) || echo "no nvidia-smi"

step "unpacking node and onnxruntime-node"
if command -v xz >/dev/null; then
  xz -dc "$PAYLOAD/runtime.tar.xz" | tar -C "$WORK" -xf - || echo "unpacking with xz failed"
else
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' \
    "$PAYLOAD/runtime.tar.xz" "$WORK" || echo "unpacking with python3 failed"
fi
cp "$PAYLOAD/suite.mjs" "$PAYLOAD/timing.mjs" "$WORK/"
NODE=$WORK/bin/node
"$NODE" --version || { echo "node does not start here"; exit 1; }

step "Vulkan loader and driver"
deb() { ls "$PAYLOAD"/debs/"$1"_*.deb 2>/dev/null | head -1; }
# dpkg -x, or the same with python3 where there is no dpkg (a .deb is an ar archive of tars).
unpack_deb() {
  if command -v dpkg >/dev/null; then dpkg -x "$1" "$2"; return; fi
  python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
data = open(sys.argv[1], "rb").read()
i = 8
while i < len(data):
    name, size = data[i:i + 16].decode().strip().rstrip("/"), int(data[i + 48:i + 58])
    if name.startswith("data.tar"):
        tarfile.open(fileobj=io.BytesIO(data[i + 60:i + 60 + size])).extractall(sys.argv[2])
    i += 60 + size + (size & 1)
PY
}
LD=${REAL_GPU_LD:-}
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && LD=${LD:+$LD:}$d; done
if ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  echo "system Vulkan loader: $(ldconfig -p | grep 'libvulkan\.so\.1' | head -1)"
else
  mkdir -p "$WORK/vk" && unpack_deb "$(deb libvulkan1)" "$WORK/vk" &&
    LD=${LD:+$LD:}$WORK/vk/usr/lib/x86_64-linux-gnu &&
    echo "no system Vulkan loader: using the carried libvulkan1 ($(deb libvulkan1))"
fi
echo "ICD manifests here:"
ls -la /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d \
  /usr/local/share/vulkan/icd.d 2>/dev/null
echo "NVIDIA Vulkan driver libraries:"
find /usr/local/nvidia /usr/lib /usr/lib64 /lib -maxdepth 3 \( -name 'libGLX_nvidia.so*' -o -name 'libnvidia-glcore.so*' \
  -o -name 'libnvidia-gpucomp.so*' -o -name 'libnvidia-glvkspirv.so*' -o -name 'libEGL_nvidia.so*' \) 2>/dev/null | head -20
find /usr/local/nvidia -maxdepth 3 2>/dev/null | head -40

# Candidate drivers, tried in order with a one-op webgpu session: REAL_GPU_ICD if given, else
# NVIDIA's manifests, one written for a libGLX_nvidia.so.0 found without one, the loader's default.
CANDIDATES=()
if [ -n "${REAL_GPU_ICD:-}" ]; then
  CANDIDATES=("$REAL_GPU_ICD")
else
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd*.json /usr/share/vulkan/icd.d/nvidia_icd*.json \
    /etc/vulkan/icd.d/nvidia_icd*.json /usr/local/share/vulkan/icd.d/nvidia_icd*.json; do
    [ -f "$f" ] && CANDIDATES+=("$f")
  done
  glx=$(find /usr/local/nvidia /usr/lib /usr/lib64 /lib -maxdepth 3 -name 'libGLX_nvidia.so.0' 2>/dev/null | head -1)
  if [ -n "$glx" ]; then
    printf '{"file_format_version":"1.0.1","ICD":{"library_path":"%s","api_version":"1.4.312"}}\n' \
      "$glx" >"$WORK/nvidia_icd_written.json"
    CANDIDATES+=("$WORK/nvidia_icd_written.json")
  fi
  CANDIDATES+=(default)
fi
export LD_LIBRARY_PATH=${LD}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
CHOSEN=none
for icd in "${CANDIDATES[@]}"; do
  if [ "$icd" = default ]; then
    unset VK_ICD_FILENAMES VK_DRIVER_FILES
  else
    echo "--- $icd:"; cat "$icd"
    export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd
  fi
  echo "probing the webgpu provider with driver: $icd"
  if (cd "$WORK" && timeout 40 "$NODE" timing.mjs --probe >"$WORK/probe.out" 2>"$WORK/probe.err"); then
    CHOSEN=$icd
    cat "$WORK/probe.out"
    grep -E 'OrtHardwareDevice|Context is created|Dawn backend' "$WORK/probe.err" | sed 's/^[^]]*] //'
    break
  fi
  echo "failed:"; grep -v '^\s*$' "$WORK/probe.err" | grep -E 'E:|rror|failed|No supported' | head -10
done
cp "$WORK/probe.err" "$OUT/probe.txt" 2>/dev/null
[ "$CHOSEN" = default ] && unset VK_ICD_FILENAMES VK_DRIVER_FILES
echo "chosen driver: $CHOSEN"

step "vulkaninfo --summary"
VKINFO=$(command -v vulkaninfo || true)
if [ -z "$VKINFO" ] && [ -n "$(deb vulkan-tools)" ]; then
  mkdir -p "$WORK/vt"
  for p in vulkan-tools libvulkan1 libx11-6 libxcb1 libxau6 libxdmcp6 libwayland-client0 libffi8 libbsd0 libmd0; do
    [ -n "$(deb $p)" ] && unpack_deb "$(deb $p)" "$WORK/vt"
  done
  VKINFO="env LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$WORK/vt/usr/lib/x86_64-linux-gnu:$WORK/vt/lib/x86_64-linux-gnu $WORK/vt/usr/bin/vulkaninfo"
fi
if [ -n "$VKINFO" ]; then
  timeout 30 $VKINFO --summary >"$OUT/vulkaninfo.txt" 2>&1
  echo "vulkaninfo exit status $? (all of it in vulkaninfo.txt); its devices:"
  sed -n '/^Devices:/,$p' "$OUT/vulkaninfo.txt" | head -40
fi

SUITE_RC=skipped
if [ "${REAL_GPU_SKIP_SUITE:-}" != 1 ]; then
  step "the webgpu project's files (conformance, placement, random) on ORT's webgpu provider"
  SAMPLER=
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader -lms 1000 \
      >"$OUT/gpu-samples.csv" 2>/dev/null &
    SAMPLER=$!
  fi
  (cd "$REPO" && REAL_GPU_REPO=$REPO REAL_GPU_RESULTS=$OUT/suite-results.json ILLIA_WEBGPU_TESTS=required \
    REAL_GPU_DEADLINE_MS=${REAL_GPU_DEADLINE_MS:-180000} REAL_GPU_TEST_TIMEOUT_MS=${REAL_GPU_TEST_TIMEOUT_MS:-120000} \
    timeout -k 5 "${REAL_GPU_SUITE_TIMEOUT_S:-240}" "$NODE" "$WORK/suite.mjs")
  SUITE_RC=$?
  echo "suite exit status: $SUITE_RC"
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
fi

step "timing: webgpu against cpu"
(cd "$WORK" && REAL_GPU_TIMING_BUDGET_MS=${REAL_GPU_TIMING_BUDGET_MS:-1500} timeout -k 5 120 "$NODE" timing.mjs "$OUT/timing.json")
echo "timing exit status: $?"

step "summary"
python3 "$REPO/tests/real-gpu/summarize.py" "$OUT" "$CHOSEN" "$PAYLOAD/manifest.json" "$SUITE_RC"
echo "done in $(($(date +%s) - T0)) s; files in $OUT:"
ls -la "$OUT"
rm -rf "$WORK"
exec >&- 2>&-
wait "$TEE" 2>/dev/null
