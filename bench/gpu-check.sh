#!/usr/bin/env bash
# One-shot GPU check on a machine without Node.js or internet (e.g. a lent NVIDIA box with CUDA
# PyTorch): prints Atelier's WebGPU figures and PyTorch's CUDA figures for the same loss, in one run.
#
# Prepare here (see README "Benchmarks"), then run there from the repository root:
#   bash bench/gpu-check.sh .carry
# where .carry/ holds: node.xz (xz-compressed Node 20 binary), libvulkan1_*.deb (the Vulkan loader),
# bundle/ (node scripts/bundle-companion.mjs --out .carry/bundle, with dawn.node compressed to
# bundle/dist/linux-x64/dawn.node.xz) and torch_gatys.py (copied from ../shared/bench/).
set -uo pipefail
carry=$(cd "${1:-.carry}" && pwd)
out=${OUT:-/tmp/atelier-gpu-check}
mkdir -p "$out" /tmp/atelier-node /tmp/atelier-vk
xz -dc "$carry/node.xz" > /tmp/atelier-node/node && chmod +x /tmp/atelier-node/node
export PATH=/tmp/atelier-node:$PATH
dawn=$carry/bundle/dist/linux-x64/dawn.node
[ -f "$dawn" ] || xz -dk "$dawn.xz"
for f in "$carry"/libvulkan1_*.deb; do dpkg -x "$f" /tmp/atelier-vk; done
export LD_LIBRARY_PATH=/tmp/atelier-vk/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && { export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; break; }
done
echo "== machine"; nvidia-smi -L; node --version; echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-none}"
bench() { echo "== atelier bench $*"; timeout "${T:-180}" node "$carry/bundle/bench.mjs" "$@" 2>&1 | grep -v 'artificially reduced' | tee -a "$out/atelier.log"; }
torch() { echo "== torch_gatys.py $*"; timeout 180 python3 "$carry/torch_gatys.py" --device cuda "$@" 2>&1 | tee -a "$out/torch.log"; }

T=240 bench adam --backend webgpu --size 512 --iterations 500 --warmup 5
torch --size 512 --adam-iters 500
T=240 bench engine --backends webgpu --sizes 256,512,1024 --evals 5 --warmup 2
torch --size 256
torch --size 1024
T=${TILING_T:-200} bench tiling --backend webgpu --sizes ${TILING_SIZES:-1024,2048,4096}
echo "== done"
