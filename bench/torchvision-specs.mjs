// torchvision's resnet18 and mobilenet_v2 (torchvision 0.14) as headstart graph ModelSpecs, for the benchmark
// workloads of issue 14. Node names are torchvision's module names with `.` → `_` (`layer1.0.conv1` →
// `layer1_0_conv1`); nodes torchvision has no module for (the residual sums, a block's second ReLU) get a name
// of their own (`layer1_0_add`, `layer1_0_relu_out`). Channels-last input; convolutions have no bias (as
// torchvision's); batch norm as PyTorch's defaults (momentum 0.1 = Keras-style 0.9, epsilon 1e-5).

/** torchvision module name → headstart node name. */
export const sanitize = (name) => name.replaceAll('.', '_');

const BN = { momentum: 0.9, epsilon: 1e-5 };

/** Collects layers; each returns its node name so the next can take it as input. */
function builder() {
  const layers = [];
  const push = (layer, inputs) => {
    layers.push({ ...layer, name: sanitize(layer.name), ...(inputs ? { inputs: inputs.map(sanitize) } : {}) });
    return layer.name;
  };
  return {
    layers,
    conv: (name, input, filters, kernelSize, { strides = 1, padding = 0, groups } = {}) =>
      push({ type: 'conv2d', name, filters, kernelSize, strides, padding, ...(groups > 1 ? { groups } : {}), useBias: false }, [input]),
    bn: (name, input) => push({ type: 'batchNorm', name, ...BN }, [input]),
    act: (name, input, activation) => push({ type: 'activation', name, activation }, [input]),
    add: (name, inputs) => push({ type: 'add', name }, inputs),
    push,
  };
}

/** torchvision `resnet18(num_classes)`: BasicBlocks [2, 2, 2, 2] of 64, 128, 256, 512 channels. */
export function resnet18Spec({ classes = 10, size = 32 } = {}) {
  const b = builder();
  let x = b.conv('conv1', 'input', 64, 7, { strides: 2, padding: 3 });
  x = b.act('relu', b.bn('bn1', x), 'relu');
  x = b.push({ type: 'maxPool2d', name: 'maxpool', poolSize: 3, strides: 2, padding: 1 }, [x]);
  let channels = 64;
  [64, 128, 256, 512].forEach((planes, stage) => {
    for (let block = 0; block < 2; block++) {
      const at = `layer${stage + 1}.${block}`;
      const strides = stage > 0 && block === 0 ? 2 : 1;
      let y = b.conv(`${at}.conv1`, x, planes, 3, { strides, padding: 1 });
      y = b.act(`${at}.relu`, b.bn(`${at}.bn1`, y), 'relu');
      y = b.bn(`${at}.bn2`, b.conv(`${at}.conv2`, y, planes, 3, { padding: 1 }));
      const shortcut =
        strides !== 1 || channels !== planes ? b.bn(`${at}.downsample.1`, b.conv(`${at}.downsample.0`, x, planes, 1, { strides })) : x;
      x = b.act(`${at}.relu_out`, b.add(`${at}.add`, [y, shortcut]), 'relu');
      channels = planes;
    }
  });
  x = b.push({ type: 'globalAvgPool2d', name: 'avgpool' }, [x]);
  b.push({ type: 'dense', name: 'fc', units: classes, activation: 'softmax' }, [x]);
  return { inputShape: [size, size, 3], layers: b.layers };
}

/** A Conv2dNormActivation: conv (padding (k − 1) / 2) → batch norm → ReLU6, named `<at>.0`, `.1`, `.2`. */
function convBnRelu6(b, at, input, filters, kernelSize, { strides = 1, groups } = {}) {
  const conv = b.conv(`${at}.0`, input, filters, kernelSize, { strides, padding: (kernelSize - 1) / 2, groups });
  return b.act(`${at}.2`, b.bn(`${at}.1`, conv), 'relu6');
}

/** torchvision `mobilenet_v2(num_classes)`, width 1.0: inverted residual blocks, ReLU6, depthwise 3×3. */
export function mobilenetV2Spec({ classes = 10, size = 32 } = {}) {
  const b = builder();
  let x = convBnRelu6(b, 'features.0', 'input', 32, 3, { strides: 2 });
  let channels = 32;
  let index = 1;
  // t (expansion), c (channels), n (blocks), s (first block's stride): torchvision's inverted_residual_setting.
  const setting = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  for (const [t, c, n, s] of setting) {
    for (let i = 0; i < n; i++, index++) {
      const at = `features.${index}.conv`;
      const strides = i === 0 ? s : 1;
      const hidden = channels * t;
      let y = x;
      let part = 0;
      if (t !== 1) y = convBnRelu6(b, `${at}.${part++}`, y, hidden, 1);
      y = convBnRelu6(b, `${at}.${part++}`, y, hidden, 3, { strides, groups: hidden });
      y = b.bn(`${at}.${part + 1}`, b.conv(`${at}.${part}`, y, c, 1));
      x = strides === 1 && channels === c ? b.add(`features.${index}.add`, [x, y]) : y;
      channels = c;
    }
  }
  x = convBnRelu6(b, `features.${index}`, x, 1280, 1);
  x = b.push({ type: 'globalAvgPool2d', name: 'avgpool' }, [x]);
  x = b.push({ type: 'dropout', name: 'classifier.0', rate: 0.2 }, [x]);
  b.push({ type: 'dense', name: 'classifier.1', units: classes, activation: 'softmax' }, [x]);
  return { inputShape: [size, size, 3], layers: b.layers };
}

/** Trainable parameters of a spec (torch's `sum(p.numel() for p in model.parameters())`: batch-norm statistics excluded). */
export function trainableCount(parameterShapes) {
  return parameterShapes.filter((p) => p.role !== 'statistic').reduce((n, p) => n + p.shape.reduce((a, d) => a * d, 1), 0);
}
