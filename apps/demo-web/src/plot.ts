/** Draws the data, the noise-free curve, the predictive mean and the ±2 std band on a canvas. */
import { curve, type Prediction } from './regression.js';

export interface PlotData {
  readonly xs: readonly number[];
  readonly ys: readonly number[];
  readonly grid: readonly number[];
  readonly prediction: Prediction | null;
  readonly step: number;
}

const X_MIN = -0.2;
const X_MAX = 1.2;
const Y_MIN = -1;
const Y_MAX = 2.5;

export function draw(canvas: HTMLCanvasElement, data: PlotData): void {
  const ratio = globalThis.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const pad = { left: 44, right: 16, top: 16, bottom: 32 };
  const sx = (x: number) =>
    pad.left + ((x - X_MIN) / (X_MAX - X_MIN)) * (width - pad.left - pad.right);
  const sy = (y: number) => {
    const clamped = Math.min(Math.max(y, Y_MIN), Y_MAX);
    return (
      height - pad.bottom - ((clamped - Y_MIN) / (Y_MAX - Y_MIN)) * (height - pad.top - pad.bottom)
    );
  };
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  // The training range.
  ctx.fillStyle = '#f1f1f1';
  ctx.fillRect(sx(0), pad.top, sx(0.5) - sx(0), height - pad.top - pad.bottom);
  // Axes and ticks.
  ctx.strokeStyle = '#444';
  ctx.fillStyle = '#444';
  ctx.lineWidth = 1;
  ctx.font = '12px system-ui, sans-serif';
  ctx.beginPath();
  ctx.moveTo(pad.left, height - pad.bottom);
  ctx.lineTo(width - pad.right, height - pad.bottom);
  ctx.moveTo(pad.left, pad.top);
  ctx.lineTo(pad.left, height - pad.bottom);
  ctx.stroke();
  ctx.textAlign = 'center';
  for (const t of [-0.2, 0, 0.2, 0.4, 0.6, 0.8, 1, 1.2]) {
    ctx.fillText(String(t), sx(t), height - pad.bottom + 16);
  }
  ctx.textAlign = 'right';
  for (const t of [-1, 0, 1, 2]) ctx.fillText(String(t), pad.left - 6, sy(t) + 4);

  const { grid, prediction } = data;
  if (prediction !== null) {
    // The band: mean ± 2 std.
    ctx.fillStyle = 'rgba(74, 144, 217, 0.3)';
    ctx.beginPath();
    grid.forEach((x, i) => {
      const y = (prediction.mean[i] as number) + 2 * (prediction.std[i] as number);
      if (i === 0) ctx.moveTo(sx(x), sy(y));
      else ctx.lineTo(sx(x), sy(y));
    });
    for (let i = grid.length - 1; i >= 0; i--) {
      const y = (prediction.mean[i] as number) - 2 * (prediction.std[i] as number);
      ctx.lineTo(sx(grid[i] as number), sy(y));
    }
    ctx.closePath();
    ctx.fill();
  }
  // The noise-free curve.
  ctx.strokeStyle = '#999';
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  grid.forEach((x, i) => {
    if (i === 0) ctx.moveTo(sx(x), sy(curve(x, 0)));
    else ctx.lineTo(sx(x), sy(curve(x, 0)));
  });
  ctx.stroke();
  ctx.setLineDash([]);
  if (prediction !== null) {
    ctx.strokeStyle = '#1f5fa8';
    ctx.lineWidth = 2;
    ctx.beginPath();
    grid.forEach((x, i) => {
      const y = prediction.mean[i] as number;
      if (i === 0) ctx.moveTo(sx(x), sy(y));
      else ctx.lineTo(sx(x), sy(y));
    });
    ctx.stroke();
  }
  ctx.fillStyle = '#222';
  data.xs.forEach((x, i) => {
    ctx.beginPath();
    ctx.arc(sx(x), sy(data.ys[i] as number), 2, 0, 2 * Math.PI);
    ctx.fill();
  });
  ctx.textAlign = 'left';
  ctx.fillStyle = '#444';
  ctx.fillText(`step ${data.step}`, pad.left + 8, pad.top + 12);
}
