import type { NodeProto } from '../onnx/onnx-proto.js';

/** Ops PyTorch writes from a module's `forward` (`out += identity`), named after that module plus the op. */
const SUFFIXED_OPS: Record<string, string> = { Add: 'add', Concat: 'concat' };

/**
 * Unique, valid layer names (letters, digits and `_`) for imported nodes, read from PyTorch's scope
 * names: `/layer1/layer1.0/conv1/Conv` → `layer1_0_conv1` (the state_dict's `layer1.0.conv1`),
 * `/features/features.1/conv/conv.0/conv.0.0/Conv` → `features_1_conv_0_0`, `/layer1/layer1.0/Add` →
 * `layer1_0_add`. A node without a name is named after its weight, then its output, then its op.
 */
export class LayerNames {
  private readonly used = new Set<string>();

  constructor(reserved: Iterable<string>) {
    for (const name of reserved) this.used.add(name);
  }

  /** A name for the layer `node` becomes; `weight` is the name of its main weight, if it has one. */
  forNode(node: NodeProto, weight?: string): string {
    const fallback = node.opType.charAt(0).toLowerCase() + node.opType.slice(1);
    const candidates = [
      node.name ? fromScope(node.name, node.opType) : '',
      weight && !weight.startsWith('onnx::') ? weight.replace(/\.(weight|bias)$/, '') : '',
      fromScope((node.output[0] ?? '').replace(/_output_\d+$/, ''), node.opType),
    ];
    const base = sanitize(candidates.find((c) => sanitize(c) !== '') ?? '') || fallback;
    return this.unique(base);
  }

  /** `base`, or `base_1`, `base_2` … when taken. */
  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/**
 * The module path of a PyTorch scope name: the op part (`Conv`, `Add_1`) dropped, and each part that
 * only prefixes the next (`layer1` before `layer1.0`) dropped; an op called from a module's forward
 * gets a suffix naming it.
 */
function fromScope(scope: string, opType: string): string {
  const parts = scope.split('/').filter((p) => p !== '');
  const isOp = parts.length > 0 && new RegExp(`^${opType}(_\\d+)?$`).test(parts[parts.length - 1]!);
  if (isOp) parts.pop();
  const path = parts.filter((part, i) => !parts[i + 1]?.startsWith(`${part}.`));
  if (path.length === 0) return '';
  const suffix = isOp ? SUFFIXED_OPS[opType] : undefined;
  return [...path, ...(suffix ? [suffix] : [])].join('_');
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9])/, '_');
}
