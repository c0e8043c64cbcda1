// Keeps the service's recent log lines (already masked) and hands new ones to subscribers: the
// dashboard's live log view.

export interface LogLine {
  level: number;
  time: number;
  msg: string;
  [field: string]: unknown;
}

export class LogHub {
  private readonly lines: LogLine[] = [];
  private readonly listeners = new Set<(line: LogLine) => void>();
  private readonly keep: number;

  constructor(keep = 500) {
    this.keep = keep;
  }

  write(json: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(json) as LogLine;
    } catch {
      return;
    }
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.shift();
    for (const listener of this.listeners) listener(line);
  }

  recent(): LogLine[] {
    return [...this.lines];
  }

  subscribe(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
