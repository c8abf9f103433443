// Text stored from outside (a rejected import row's id, a status or refund reason, an Amazon Pay
// message) must not drive the operator's terminal: an ESC sequence can recolour, hide lines, set
// the window title or write the clipboard. Human output escapes control characters here, in one
// place: runCli wraps the streams of every command, and table cells escape line breaks too.
// --json and export data are written as they are (JSON escapes controls itself; exports are data).
import type { CliIo } from './command.js';

/**
 * C0 controls (ESC, BEL, CR, …), DEL, C1 controls (CSI U+009B, …), the bidirectional overrides
 * and isolates ("Trojan Source") and the Unicode line separators.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Each control character becomes a visible escape ("\u001b", "\n", …); `keepNewlines` leaves "\n" as a line break. */
export function escapeControls(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(CONTROL, (ch) => {
    if (ch === '\n' && options.keepNewlines) return ch;
    return NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** The streams a command writes to, with control characters escaped (line breaks kept): stdout unless `rawStdout`. */
export function terminalSafeIo(io: CliIo, options: { rawStdout: boolean }): CliIo {
  return {
    ...io,
    out: options.rawStdout ? io.out : (text) => io.out(escapeControls(text, { keepNewlines: true })),
    err: (text) => io.err(escapeControls(text, { keepNewlines: true })),
  };
}
