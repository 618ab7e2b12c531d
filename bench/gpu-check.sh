#!/usr/bin/env bash
# One-shot GPU check on a machine without Node.js or internet (e.g. a lent NVIDIA box with CUDA
# PyTorch): prints Atelier's WebGPU figures and PyTorch's CUDA figures for the same loss, in one run,
# most important first (a short lease may end it early).
#
# Prepare here (from the repository root):
#   node scripts/bundle-companion.mjs --out .carry/bundle && xz -T2 .carry/bundle/dist/linux-x64/dawn.node
#   xz -c "$(command -v node)" > .carry/node.xz; cp ../shared/bench/torch_gatys.py .carry/
#   mkdir -p .gl && (cd .gl && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
# and, for the onnx-webgpu line, ONNX Runtime's Linux x64 files beside the bundle (~12 MB xz):
#   m=.carry/bundle/node_modules; mkdir -p $m && cp -r node_modules/onnxruntime-common $m/ &&
#   cp -r node_modules/onnxruntime-node $m/ && rm -rf $m/onnxruntime-node/bin/napi-v6/{darwin,win32,linux/arm64} &&
#   xz -T2 $m/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
# then run there, carrying .carry and .gl:   bash bench/gpu-check.sh
set -uo pipefail
carry=$(pwd)/.carry
out=${OUT:-/tmp/atelier-gpu-check}
mkdir -p "$out" /tmp/atelier-node
# The Vulkan loader and GLVND (NVIDIA's Vulkan ICD is libGLX_nvidia, which needs libGLdispatch).
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
xz -dc "$carry/node.xz" > /tmp/atelier-node/node && chmod +x /tmp/atelier-node/node
export PATH=/tmp/atelier-node:$PATH
dawn=$carry/bundle/dist/linux-x64/dawn.node
[ -f "$dawn" ] || xz -dk "$dawn.xz"
ortlib=$carry/bundle/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
[ -f "$ortlib" ] || [ ! -f "$ortlib.xz" ] || xz -dk "$ortlib.xz"
icd=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1)
[ -n "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
echo "== machine"; nvidia-smi -L; node --version; echo "ICD: ${icd:-none}"; [ -n "$icd" ] && cat "$icd"
# CUDA 12 + cuDNN 9 for ONNX Runtime's CUDA provider (onnx-cuda): say what is there.
echo "== cuda libraries"; ls /usr/local/cuda*/lib64/libcudart.so* /usr/lib/x86_64-linux-gnu/libcudnn.so* 2>/dev/null; python3 -c "import torch; print('torch cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version())"
bench() { echo "== atelier bench $*"; timeout "${T:-120}" node "$carry/bundle/bench.mjs" "$@" 2>&1 | grep -v 'artificially reduced' | tee -a "$out/atelier.log"; }
torch() { echo "== torch_gatys.py --device cuda $*"; timeout 60 python3 "$carry/torch_gatys.py" --device cuda "$@" 2>&1 | tee -a "$out/torch.log"; }

size=${SIZE:-512} iters=${ITERS:-500}
# ONNX Runtime on WebGPU first: Adam's step runs inside the graph, image and moments on the GPU.
T=100 bench adam --backend onnx-webgpu --size "$size" --iterations "$iters" --warmup 5
torch --size "$size" --adam-iters "$iters"
T=60 bench engine --backends onnx-webgpu --sizes "$size" --evals 5 --warmup 2
# onnx-cuda only where the CUDA 12 provider's libraries load (it says what is missing otherwise).
T=60 bench engine --backends onnx-cuda --sizes "$size" --evals 5 --warmup 2
T=100 bench adam --backend webgpu --size "$size" --iterations "$iters" --warmup 5
T=60 bench engine --backends webgpu --sizes "$size" --evals 5 --warmup 2
T=${TILING_T:-90} bench tiling --backend onnx-webgpu --sizes ${TILING_SIZES:-2048,4096}
echo "== done"
