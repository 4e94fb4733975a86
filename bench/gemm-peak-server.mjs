// The Gemm peaks of mlp-peak.mjs's rounds, in a child process of it: the 1024³ Gemm's runs copy 4 MiB outputs into fresh
// ArrayBuffers (onnxruntime-node copies every output) and its session holds 12 MiB; in the MLP's process they left
// every later step costing up to 1.7× the CPU (bench/README.md). The parent asks for one round at a time, so the
// rounds still alternate seconds apart. Message in: { spec, batch, threads }; out: { whole, firstRow, gemms } (the step's
// Gemms alone, each output's first row fetched).
import { denseGemmsPeak, gemmPeak, GEMM_SHAPES } from './gemm-peak.mjs';

process.on('message', async ({ spec, batch, threads }) => {
  const whole = await gemmPeak(GEMM_SHAPES[0], threads);
  const firstRow = await gemmPeak(GEMM_SHAPES[0], threads, { firstRow: true });
  const gemms = await denseGemmsPeak(spec, batch, threads, { firstRows: true });
  process.send({ whole, firstRow, gemms });
});
process.send({ ready: true });
