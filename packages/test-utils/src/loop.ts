/**
 * Counts turns of the event loop (setImmediate callbacks) from now until `stop()`: work that
 * yields lets it count, work that blocks does not. `count()` reads it meanwhile (to compare two
 * moments of a long piece of work); `stop()` returns it.
 */
export function countLoopTurns(): { count(): number; stop(): number } {
  let turns = 0;
  let running = true;
  const turn = () => {
    if (!running) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  return {
    count: () => turns,
    stop() {
      running = false;
      return turns;
    },
  };
}
