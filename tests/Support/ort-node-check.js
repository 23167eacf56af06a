// usage: node ort-node-check.js classifier.onnx pixels.u8 N H W  -> prints probabilities as JSON
const ort = require('onnxruntime-node');
const fs = require('fs');
(async () => {
  const [model, pixels, n, h, w] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model);
  const data = new Uint8Array(fs.readFileSync(pixels));
  const input = new ort.Tensor('uint8', data, [Number(n), Number(h), Number(w), 3]);
  const out = await session.run({ image: input });
  console.log(JSON.stringify(Array.from(out.probabilities.data)));
})().catch(e => { console.error(e.message); process.exit(1); });
