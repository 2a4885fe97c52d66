/**
 * Counts turns of the event loop (setImmediate callbacks) from now until `stop()`: work that
 * yields lets it count, work that blocks does not. `stop()` returns the count.
 */
export function countLoopTurns(): { stop(): number } {
  let turns = 0;
  let running = true;
  const turn = () => {
    if (!running) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  return {
    stop() {
      running = false;
      return turns;
    },
  };
}
