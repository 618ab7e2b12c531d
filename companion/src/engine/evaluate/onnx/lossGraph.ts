/**
 * Names of the graph inputs and outputs that the ONNX graph builders (gatysGraph.ts,
 * tiledGraphs.ts) and the evaluators that feed them share. The loss's nodes themselves are the
 * terms of ../../loss/terms.ts over graphOps.ts.
 */
/** Names of graph inputs and outputs shared by the builders and the evaluators that feed them. */
export const names = {
  contentTarget: (layer: string) => `content_target_${layer}`,
  styleTarget: (layer: string) => `style_target_${layer}`,
  /** Σ over owned positions of (F − F(c))², per content layer. */
  contentSquares: (layer: string) => `content_sq_${layer}`,
  /** Σ over owned positions of FᵀF (unnormalised), per style layer. */
  gramSum: (layer: string) => `gram_sum_${layer}`,
  /** The style seed matrix S_l, per style layer. */
  styleSeed: (layer: string) => `style_seed_${layer}`,
  /** The interior mask at `pools` poolings. */
  mask: (pools: number) => `mask_${pools}`,
};
