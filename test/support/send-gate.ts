/**
 * Stands in for the daemon's call spacer (a charge waiting its Create Charge slot): lets
 * `allowed` sends through, then holds the rest until opened.
 */
export class SendGate {
  waiting = 0;
  private allowed = Infinity;
  private release: () => void = () => {};
  private opened: Promise<void> = Promise.resolve();
  hold(allowed: number): void {
    this.allowed = allowed;
    this.opened = new Promise((resolve) => (this.release = resolve));
  }
  open(): void {
    this.allowed = Infinity;
    this.release();
  }
  async pass(): Promise<void> {
    if (this.allowed > 0) {
      this.allowed -= 1;
      return;
    }
    this.waiting += 1;
    await this.opened;
    this.waiting -= 1;
  }
}
