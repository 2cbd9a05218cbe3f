export { type CommandLine, commandLine } from './command-line.js';
export { type Digits, loadDigits, PIXELS, uniform } from './digits.js';
export { type ProgressStream, progressBar } from './progress.js';
