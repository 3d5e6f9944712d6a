// The side-by-side anchor of benchmarks/bench_playground_fps.py: what TensorFlow Playground's own
// code does per animation frame, in plain JavaScript, run in the same browser. Its network is an
// object graph (a Node per neuron with Link objects, as in its nn.ts); one frame is one epoch of
// per-example SGD (forward, backward for the squared error, weights updated every `batch`
// examples), then the 100×100 decision grid with every node's output at every grid point
// (its updateDecisionBoundary), the train and test losses, and the painting: the 100×100 output
// heatmap and a 10×10 reduced map per node into ImageData. Returns frames per second.
// Usage in a page: (await import(blob))... or page.evaluate(`${source}; anchorFps(seconds)`).

function makeNetwork(shape, rng) {
  // shape: [inputs, hidden..., 1]; tanh hidden, tanh output (its default for classification)
  const layers = [];
  let id = 0;
  for (let l = 0; l < shape.length; l++) {
    const layer = [];
    for (let i = 0; i < shape[l]; i++) {
      const node = { id: id++, inputLinks: [], outputs: [], bias: 0.1, totalInput: 0, output: 0,
        outputDer: 0, inputDer: 0, accInputDer: 0, numAccumulatedDers: 0 };
      if (l > 0) {
        for (const src of layers[l - 1]) {
          const link = { source: src, dest: node, weight: rng() - 0.5, errorDer: 0, accErrorDer: 0, numAccumulatedDers: 0 };
          src.outputs.push(link);
          node.inputLinks.push(link);
        }
      }
      layer.push(node);
    }
    layers.push(layer);
  }
  return layers;
}

function forwardProp(network, inputs) {
  const inputLayer = network[0];
  for (let i = 0; i < inputLayer.length; i++) inputLayer[i].output = inputs[i];
  for (let l = 1; l < network.length; l++) {
    for (const node of network[l]) {
      let total = node.bias;
      for (const link of node.inputLinks) total += link.weight * link.source.output;
      node.totalInput = total;
      node.output = Math.tanh(total);
    }
  }
  return network[network.length - 1][0].output;
}

function backProp(network, target) {
  const out = network[network.length - 1][0];
  out.outputDer = out.output - target; // squared error's derivative
  for (let l = network.length - 1; l >= 1; l--) {
    for (const node of network[l]) {
      const t = Math.tanh(node.totalInput);
      node.inputDer = node.outputDer * (1 - t * t);
      node.accInputDer += node.inputDer;
      node.numAccumulatedDers++;
    }
    for (const node of network[l]) {
      for (const link of node.inputLinks) {
        link.errorDer = node.inputDer * link.source.output;
        link.accErrorDer += link.errorDer;
        link.numAccumulatedDers++;
      }
    }
    if (l === 1) continue;
    for (const node of network[l - 1]) {
      node.outputDer = 0;
      for (const link of node.outputs) node.outputDer += link.weight * link.dest.inputDer;
    }
  }
}

function updateWeights(network, lr) {
  for (let l = 1; l < network.length; l++) {
    for (const node of network[l]) {
      if (node.numAccumulatedDers > 0) {
        node.bias -= (lr * node.accInputDer) / node.numAccumulatedDers;
        node.accInputDer = 0;
        node.numAccumulatedDers = 0;
      }
      for (const link of node.inputLinks) {
        if (link.numAccumulatedDers > 0) {
          link.weight -= (lr / link.numAccumulatedDers) * link.accErrorDer;
          link.accErrorDer = 0;
          link.numAccumulatedDers = 0;
        }
      }
    }
  }
}

function makeData(n, rng) {
  // two interleaved spirals, labels ±1 (its spiral data set)
  const points = [];
  for (let k = 0; k < 2; k++) {
    for (let i = 0; i < n / 2; i++) {
      const r = (i / (n / 2)) * 5;
      const t = (1.75 * i / (n / 2)) * 2 * Math.PI + k * Math.PI;
      points.push({ x: r * Math.sin(t) + (rng() - 0.5) * 0.5, y: r * Math.cos(t) + (rng() - 0.5) * 0.5, label: k ? 1 : -1 });
    }
  }
  return points;
}

function anchorSetup(hidden = [8, 8, 8, 8, 8, 8], points = 500, density = 100) {
  let seed = 1;
  const rng = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const network = makeNetwork([2, ...hidden, 1], rng);
  const data = makeData(points, rng);
  const train = data.filter((_, i) => i % 2 === 0);
  const test = data.filter((_, i) => i % 2 === 1);
  const nodes = network.flat().filter((_, i) => i >= 0);
  const boundary = nodes.map(() => new Float32Array(density * density));
  const canvas = document.createElement("canvas");
  canvas.width = density;
  canvas.height = density;
  document.body.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  const thumbs = nodes.map(() => {
    const c = document.createElement("canvas");
    c.width = 10;
    c.height = 10;
    document.body.appendChild(c);
    return c.getContext("2d");
  });
  return { network, train, test, nodes, boundary, ctx, thumbs, density, batch: 10, lr: 0.03 };
}

function paint(ctx, values, side) {
  const image = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = values[i];
    image.data[4 * i] = v > 0 ? 245 : 8 + 100 * (1 + v);
    image.data[4 * i + 1] = 150 + 50 * v;
    image.data[4 * i + 2] = v > 0 ? 8 + 100 * (1 - v) : 245;
    image.data[4 * i + 3] = 160;
  }
  ctx.putImageData(image, 0, 0);
}

function anchorFrame(S) {
  const { network, train, test, nodes, boundary, density } = S;
  // one epoch of per-example SGD (its oneStep: update every batchSize examples)
  train.forEach((p, i) => {
    forwardProp(network, [p.x, p.y]);
    backProp(network, p.label);
    if ((i + 1) % S.batch === 0) updateWeights(network, S.lr);
  });
  // decision boundary: every node's output at every grid point
  for (let i = 0; i < density; i++) {
    for (let j = 0; j < density; j++) {
      forwardProp(network, [-6 + (12 * i) / (density - 1), -6 + (12 * j) / (density - 1)]);
      for (let k = 0; k < nodes.length; k++) boundary[k][i * density + j] = nodes[k].output;
    }
  }
  let loss = 0;
  for (const set of [train, test]) for (const p of set) loss += 0.5 * (forwardProp(network, [p.x, p.y]) - p.label) ** 2;
  paint(S.ctx, boundary[nodes.length - 1], density);
  const reduced = new Float32Array(100);
  for (let k = 0; k < nodes.length; k++) {
    for (let a = 0; a < 10; a++) {
      for (let b = 0; b < 10; b++) {
        let s = 0;
        for (let u = 0; u < 10; u++) for (let v = 0; v < 10; v++) s += boundary[k][(a * 10 + u) * density + b * 10 + v];
        reduced[a * 10 + b] = s / 100;
      }
    }
    paint(S.thumbs[k], reduced, 10);
  }
  return loss;
}

/** Frames per second of the anchor loop driven by requestAnimationFrame for `seconds`. */
async function anchorFps(seconds) {
  const S = anchorSetup();
  const t0 = performance.now();
  let frames = 0;
  let work = 0;
  await new Promise((resolve) => {
    const tick = (now) => {
      const a = performance.now();
      anchorFrame(S);
      work += performance.now() - a;
      frames++;
      if (now - t0 < seconds * 1000) requestAnimationFrame(tick);
      else resolve();
    };
    requestAnimationFrame(tick);
  });
  const elapsed = (performance.now() - t0) / 1000;
  return { fps: frames / elapsed, frame_ms: work / frames, frames };
}
