/**
 * The demo page: trains the regression example's Bayesian MLP live on the backend picked, and
 * draws the data, the predictive mean and the ±2 std band as it learns. Query parameters (for
 * links and tests): `backend` (picked at load), `steps` (default 2000), `start` (1: start at load).
 * `window.demo` holds the state: status, backend, steps per second and the final figures.
 */
import { memory } from '@illia-ts/core';
import { CHOICES, use } from './backends.js';
import { draw } from './plot.js';
import { GRID_X, meanStd, type Prediction, Regression } from './regression.js';

/** What the page shows and tests read. */
interface DemoState {
  status: 'idle' | 'starting' | 'training' | 'done' | 'error';
  backend: string;
  detail: string;
  step: number;
  steps: number;
  loss: number | null;
  stepsPerSecond: number | null;
  stdIn: number | null;
  stdOut: number | null;
  seconds: number | null;
  liveTensors: number | null;
  error: string | null;
  available: Record<string, string | null>;
  /** The final prediction, for tests: std per grid point. */
  std: number[] | null;
}

const params = new URLSearchParams(location.search);
const state: DemoState = {
  status: 'idle',
  backend: '',
  detail: '',
  step: 0,
  steps: Number(params.get('steps') ?? 2000),
  loss: null,
  stepsPerSecond: null,
  stdIn: null,
  stdOut: null,
  seconds: null,
  liveTensors: null,
  error: null,
  available: {},
  std: null,
};
(globalThis as { demo?: DemoState }).demo = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const picker = $<HTMLSelectElement>('backend');
const stepsInput = $<HTMLInputElement>('steps');
const button = $<HTMLButtonElement>('train');
const canvas = $<HTMLCanvasElement>('plot');
const status = $<HTMLElement>('status');
const figures = $<HTMLElement>('figures');
stepsInput.value = String(state.steps);

/** Steps between redraws: each redraw runs the model 30 times on the grid. */
const DRAW_EVERY = 50;
/** Forward passes for the drawn band while training, and for the final figures. */
const LIVE_SAMPLES = 30;
const FINAL_SAMPLES = 100;

function fmt(v: number | null, digits = 4): string {
  return v === null ? '–' : v.toFixed(digits);
}

function render(): void {
  const rate = state.stepsPerSecond === null ? '' : ` · ${state.stepsPerSecond.toFixed(1)} steps/s`;
  const detail = state.detail ? ` (${state.detail})` : '';
  const text: Record<DemoState['status'], string> = {
    idle: 'Pick a backend and press Train.',
    starting: `Starting ${state.backend}…`,
    training: `${state.backend}${detail}: step ${state.step} / ${state.steps} · loss ${fmt(state.loss)}${rate}`,
    done: `${state.backend}${detail}: done, ${state.steps} steps${rate}`,
    error: `${state.backend}: ${state.error}`,
  };
  status.textContent = text[state.status];
  status.className = state.status;
  const ratio = state.stdIn && state.stdOut ? state.stdOut / state.stdIn : null;
  figures.innerHTML =
    state.status !== 'done'
      ? ''
      : `<table>
<tr><th>backend</th><td>${state.backend}${detail}</td></tr>
<tr><th>steps per second</th><td>${fmt(state.stepsPerSecond, 1)}</td></tr>
<tr><th>training time</th><td>${fmt(state.seconds, 1)} s</td></tr>
<tr><th>final loss</th><td>${fmt(state.loss)}</td></tr>
<tr><th>predictive std on the data, x ∈ [0, 0.5]</th><td>${fmt(state.stdIn)}</td></tr>
<tr><th>predictive std away from it, x ∈ [0.6, 1.2]</th><td>${fmt(state.stdOut)}</td></tr>
<tr><th>ratio (the example's goal: ≥ 3)</th><td>${fmt(ratio, 2)}×</td></tr>
<tr><th>live tensors after</th><td>${state.liveTensors ?? '–'}</td></tr>
</table>`;
}

let run: Regression | null = null;

function plot(prediction: Prediction | null): void {
  if (run === null) return;
  draw(canvas, { xs: run.xs, ys: run.ys, grid: GRID_X, prediction, step: run.steps });
}

async function train(): Promise<void> {
  const name = picker.value;
  button.disabled = true;
  picker.disabled = true;
  state.steps = Math.max(1, Math.floor(Number(stepsInput.value) || 2000));
  Object.assign(state, {
    status: 'starting',
    backend: name,
    detail: '',
    step: 0,
    loss: null,
    stepsPerSecond: null,
    stdIn: null,
    stdOut: null,
    seconds: null,
    liveTensors: null,
    error: null,
    std: null,
  } satisfies Partial<DemoState>);
  render();
  try {
    run?.dispose();
    run = null;
    state.detail = (await use(name)).detail;
    run = new Regression();
    state.status = 'training';
    plot(null);
    // Training time only: drawing (the predictive passes) is left out of steps per second.
    let trainingMs = 0;
    while (run.steps < state.steps) {
      const t0 = performance.now();
      const chunk = Math.min(DRAW_EVERY, state.steps - run.steps);
      let loss: number | null = null;
      for (let i = 0; i < chunk; i++) loss = await run.step(i === chunk - 1);
      trainingMs += performance.now() - t0;
      state.step = run.steps;
      state.loss = loss;
      state.stepsPerSecond = run.steps / (trainingMs / 1000);
      plot(await run.predict(LIVE_SAMPLES));
      render();
      // Let the page paint.
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    const prediction = await run.predict(FINAL_SAMPLES);
    plot(prediction);
    state.seconds = trainingMs / 1000;
    state.stdIn = meanStd(prediction.std, 0, 0.5);
    state.stdOut = meanStd(prediction.std, 0.6, 1.2);
    state.std = Array.from(prediction.std);
    run.dispose();
    state.liveTensors = memory().numTensors;
    state.status = 'done';
  } catch (error) {
    state.status = 'error';
    state.error = error instanceof Error ? error.message : String(error);
    console.error(error);
  } finally {
    button.disabled = false;
    picker.disabled = false;
    render();
  }
}

async function init(): Promise<void> {
  for (const choice of CHOICES) {
    const option = document.createElement('option');
    option.value = choice.name;
    option.textContent = choice.label;
    picker.append(option);
    const why = await choice.unavailable();
    state.available[choice.name] = why;
    if (why !== null) {
      option.disabled = true;
      option.textContent = `${choice.label} (unavailable)`;
      option.title = why;
    }
  }
  const wanted = params.get('backend');
  if (wanted !== null && state.available[wanted] === null) picker.value = wanted;
  button.addEventListener('click', () => void train());
  render();
  if (params.get('start') === '1') await train();
}

void init();
